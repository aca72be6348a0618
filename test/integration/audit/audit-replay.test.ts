import { randomUUID } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import type { SendMessageBatchCommand, SendMessageBatchCommandOutput } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createAuditReplayHandler } from '../../../functions/audit-replay/app.js';
import { AuditWriteError, writeGeneratedAuditEvents } from '../../../functions/shared/storage/audit-items.js';
import type { GeneratedAuditEvent } from '../../../functions/shared/storage/ports.js';
import { SqsAuditFallback } from '../../../functions/shared/storage/SqsAuditFallback.js';
import { useTables } from '../../support/use-tables.js';
import { blockedExecEvent } from '../../support/audit-events.js';

// The AWS path of docs/adr/0011 end to end but for SQS itself (a test double at that boundary): the webhook's
// fallback sends the events, the replay function receives those very message bodies and writes them to the
// audit table on DynamoDB Local, idempotently by event id.

const db = useTables();
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/vigil-audit-fallback';

function generated(policy: string, pod: string): GeneratedAuditEvent {
  return blockedExecEvent(policy, pod);
}

/** A test double of SQS that keeps the messages it was sent, as the queue would deliver them. */
function queueDouble() {
  const messages: SQSRecord[] = [];
  const sender = {
    send: (command: SendMessageBatchCommand) => {
      for (const entry of command.input.Entries ?? [])
        messages.push({
          messageId: randomUUID(),
          receiptHandle: randomUUID(),
          body: entry.MessageBody!,
          attributes: {
            ApproximateReceiveCount: '1',
            SentTimestamp: String(Date.now()),
            SenderId: 'AROAEXAMPLE:vigil-admission',
            ApproximateFirstReceiveTimestamp: String(Date.now()),
          },
          messageAttributes: {},
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:vigil-audit-fallback',
          awsRegion: 'eu-west-1',
        });
      return Promise.resolve({ Successful: [], Failed: [], $metadata: {} } as SendMessageBatchCommandOutput);
    },
  };
  return { fallback: new SqsAuditFallback(sender, QUEUE_URL), messages };
}

/** The real table writer; `down` fails it as an unreachable DynamoDB would. */
function writer() {
  const state = { down: false };
  const write = async (events: readonly GeneratedAuditEvent[]) => {
    if (state.down) throw new AuditWriteError(events, Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' }));
    await writeGeneratedAuditEvents(db.clients.document, db.tables.audit.TableName, events);
  };
  return { state, write };
}

async function storedIds(policy: string): Promise<string[]> {
  const output = await db.clients.document.send(
    new QueryCommand({
      TableName: db.tables.audit.TableName,
      IndexName: 'byPolicy',
      KeyConditionExpression: 'policyPk = :p',
      ExpressionAttributeValues: { ':p': `POLICY#${policy}` },
    }),
  );
  return (output.Items ?? []).map((item) => String((item.event as { id: string }).id)).sort();
}

const silent = new Logger({ serviceName: 'vigil-test', logLevel: 'SILENT' });
const sqsEvent = (records: SQSRecord[]): SQSEvent => ({ Records: records });

describe('the audit replay function', () => {
  it('stores the events the webhook queued, each once, also when SQS delivers a message twice', async () => {
    const { fallback, messages } = queueDouble();
    const events = Array.from({ length: 12 }, (_, i) => generated('replayed', `pod-${i}`));
    await fallback.hold(events);
    const replay = createAuditReplayHandler({ ...writer(), logger: silent });

    expect(await replay(sqsEvent(messages.slice(0, 7)))).toEqual({ batchItemFailures: [] });
    // At-least-once delivery: messages 5 and 6 again, with the rest.
    expect(await replay(sqsEvent(messages.slice(5)))).toEqual({ batchItemFailures: [] });
    // And a batch holding the same message twice (BatchWriteItem refuses duplicate keys in one call).
    expect(await replay(sqsEvent([messages[0]!, messages[0]!]))).toEqual({ batchItemFailures: [] });
    expect(await storedIds('replayed')).toEqual(events.map(({ event }) => event.id).sort());
  });

  it('reports every message back while storage is down, and stores them on a later delivery', async () => {
    const { fallback, messages } = queueDouble();
    const events = [generated('outage', 'a'), generated('outage', 'b')];
    await fallback.hold(events);
    const table = writer();
    const replay = createAuditReplayHandler({ ...table, logger: silent });
    table.state.down = true;
    expect(await replay(sqsEvent(messages))).toEqual({ batchItemFailures: messages.map((m) => ({ itemIdentifier: m.messageId })) });
    expect(await storedIds('outage')).toEqual([]);
    table.state.down = false;
    expect(await replay(sqsEvent(messages))).toEqual({ batchItemFailures: [] });
    expect(await storedIds('outage')).toEqual(events.map(({ event }) => event.id).sort());
  });

  it('reports a message that is not a list of audit events, with its id in the log, and stores the others', async () => {
    const { fallback, messages } = queueDouble();
    const good = generated('mixed', 'good');
    await fallback.hold([good]);
    const bad = { ...messages[0]!, messageId: 'not-events', body: '{"events":[{"event":{"id":""},"retentionDays":0}]}' };
    const logged: string[] = [];
    const logger = { info: () => undefined, warn: () => undefined, error: (message: string) => void logged.push(message) };
    const replay = createAuditReplayHandler({ ...writer(), logger });
    expect(await replay(sqsEvent([bad, messages[0]!]))).toEqual({ batchItemFailures: [{ itemIdentifier: 'not-events' }] });
    expect(await storedIds('mixed')).toEqual([good.event.id]);
    expect(logged).toEqual(['a queued audit message is not a list of audit events; it goes to the dead-letter queue']);
  });
});
