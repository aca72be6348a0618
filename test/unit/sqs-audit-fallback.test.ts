import { randomUUID } from 'node:crypto';
import { SendMessageBatchCommand, type SendMessageBatchCommandOutput } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import type { GeneratedAuditEvent } from '../../functions/shared/storage/ports.js';
import { SqsAuditFallback, messageBody, type SqsSender } from '../../functions/shared/storage/SqsAuditFallback.js';
import { blockedExecEvent } from '../support/audit-events.js';

// The webhook's AWS fallback against a test double of SQS (unreachable from tests): the exact
// SendMessageBatch requests it makes, and what it does with entries SQS reports as failed.

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/vigil-audit-fallback';

/** A Block the webhook could not store: the shared audit-event fixture, under the policy these tests name. */
function generated(pod: string, message?: string): GeneratedAuditEvent {
  return blockedExecEvent('no-exec', pod, 90, message);
}

/** A test double of the SQS client: records every request, answers with the failures a test scripts per call. */
function sqsDouble(failedPerCall: Array<Array<{ Id: string; Code: string; Message: string }>> = []) {
  const requests: Array<SendMessageBatchCommand['input']> = [];
  const sender: SqsSender = {
    send: (command: SendMessageBatchCommand) => {
      expect(command).toBeInstanceOf(SendMessageBatchCommand);
      requests.push(structuredClone(command.input));
      const failed = (failedPerCall[requests.length - 1] ?? []).map((f) => ({ ...f, SenderFault: false }));
      const successful = (command.input.Entries ?? [])
        .filter((entry) => !failed.some((f) => f.Id === entry.Id))
        .map((entry) => ({ Id: entry.Id, MessageId: randomUUID(), MD5OfMessageBody: 'x' }));
      return Promise.resolve({ Successful: successful, Failed: failed, $metadata: {} } as SendMessageBatchCommandOutput);
    },
  };
  return { sender, requests };
}

describe('SqsAuditFallback', () => {
  it('sends each event as one message of its own, with its retention, in one SendMessageBatch call', async () => {
    const { sender, requests } = sqsDouble();
    const events = [generated('a'), generated('b')];
    await new SqsAuditFallback(sender, QUEUE_URL).hold(events);
    expect(requests).toEqual([
      {
        QueueUrl: QUEUE_URL,
        Entries: [
          { Id: '0', MessageBody: JSON.stringify({ events: [{ event: events[0]!.event, retentionDays: 90 }] }) },
          { Id: '1', MessageBody: JSON.stringify({ events: [{ event: events[1]!.event, retentionDays: 90 }] }) },
        ],
      },
    ]);
  });

  it('splits at ten entries and at 256 KiB per call', async () => {
    const { sender, requests } = sqsDouble();
    await new SqsAuditFallback(sender, QUEUE_URL).hold(Array.from({ length: 23 }, (_, i) => generated(`pod-${i}`)));
    expect(requests.map((r) => r.Entries!.length)).toEqual([10, 10, 3]);

    const big = sqsDouble();
    // Each about 100 KB: two fit in one call, a third would pass 256 KiB.
    const large = Array.from({ length: 5 }, (_, i) => generated(`large-${i}`, 'x'.repeat(2048)));
    for (const entry of large) (entry.event as { command: string[] }).command = Array.from({ length: 25 }, () => 'y'.repeat(4000));
    await new SqsAuditFallback(big.sender, QUEUE_URL).hold(large);
    expect(big.requests.map((r) => r.Entries!.map((e) => e.Id))).toEqual([['0', '1'], ['2', '3'], ['4']]);
    for (const request of big.requests)
      expect(request.Entries!.reduce((sum, e) => sum + Buffer.byteLength(e.MessageBody!), 0)).toBeLessThanOrEqual(256 * 1024);
  });

  it('sends the entries SQS reports as failed once more, and fails the hold naming the reason when they fail again', async () => {
    const events = [generated('a'), generated('b'), generated('c')];
    const throttled = { Id: '1', Code: 'InternalError', Message: 'try again' };
    const once = sqsDouble([[throttled]]);
    await new SqsAuditFallback(once.sender, QUEUE_URL).hold(events);
    expect(once.requests.map((r) => r.Entries!.map((e) => e.Id))).toEqual([['0', '1', '2'], ['1']]);
    expect(once.requests[1]!.Entries![0]!.MessageBody).toBe(messageBody(events[1]!));

    const twice = sqsDouble([[throttled], [throttled]]);
    await expect(new SqsAuditFallback(twice.sender, QUEUE_URL).hold(events)).rejects.toThrow(
      'SQS did not take 1 audit events: InternalError: try again',
    );
    expect(twice.requests).toHaveLength(2);
  });

  it('refuses an event over the message limit without sending anything', async () => {
    const { sender, requests } = sqsDouble();
    const huge = generated('huge');
    (huge.event as { command: string[] }).command = Array.from({ length: 70 }, () => 'z'.repeat(4000));
    await expect(new SqsAuditFallback(sender, QUEUE_URL).hold([huge])).rejects.toThrow(/over the queue's message limit/);
    expect(requests).toEqual([]);
  });
});
