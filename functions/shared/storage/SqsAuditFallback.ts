import { SendMessageBatchCommand, SQSClient, type SendMessageBatchCommandOutput } from '@aws-sdk/client-sqs';
import type { AuditFallback } from './audit-fallback.js';
import type { GeneratedAuditEvent } from './ports.js';

// The webhook's durable fallback in AWS (docs/adr/0011): events the audit table did not take before the
// verdict go to an SQS queue that does not depend on the table; the audit-replay function writes them to the
// table when it is back. One event per message, so that a message the consumer cannot store holds one event.

/** SendMessageBatch takes at most 10 entries... */
export const SQS_BATCH_ENTRIES = 10;
/** ...and 256 KiB in all (each message too). Kept a little below, for the SDK's own encoding. */
export const SQS_BATCH_BYTES = 256 * 1024 - 1024;

/** Bounds of one SendMessageBatch call: the webhook may be frozen right after it answers, so the wait is short. */
const SQS_CONNECTION_TIMEOUT_MS = 1000;
const SQS_REQUEST_TIMEOUT_MS = 1500;

/** The one method of the SQS client the fallback uses (tests pass a test double). */
export interface SqsSender {
  send(command: SendMessageBatchCommand): Promise<SendMessageBatchCommandOutput>;
}

/** The body of one queued message: the event and its retention, as the spool of local mode holds them. */
export function messageBody(entry: GeneratedAuditEvent): string {
  return JSON.stringify({ events: [{ event: entry.event, retentionDays: entry.retentionDays }] });
}

/** Sends every event as one message, in SendMessageBatch calls of at most 10 entries and 256 KiB. */
export class SqsAuditFallback implements AuditFallback {
  constructor(
    private readonly sqs: SqsSender,
    private readonly queueUrl: string,
  ) {}

  async hold(events: readonly GeneratedAuditEvent[]): Promise<void> {
    const batches: Array<Array<{ readonly Id: string; readonly MessageBody: string }>> = [];
    let batch: Array<{ readonly Id: string; readonly MessageBody: string }> = [];
    let bytes = 0;
    events.forEach((entry, index) => {
      const body = messageBody(entry);
      const size = Buffer.byteLength(body, 'utf8');
      if (size > SQS_BATCH_BYTES) throw new RangeError(`audit event ${entry.event.id} is ${size} bytes, over the queue's message limit`);
      if (batch.length === SQS_BATCH_ENTRIES || bytes + size > SQS_BATCH_BYTES) {
        batches.push(batch);
        batch = [];
        bytes = 0;
      }
      // Entry ids only need to be unique within a call; the event's own id travels in the body.
      batch.push({ Id: String(index), MessageBody: body });
      bytes += size;
    });
    if (batch.length > 0) batches.push(batch);
    await Promise.all(batches.map((entries) => this.send(entries)));
  }

  /** One call; entries SQS reports as failed are sent once more, and still failing ones fail the hold. */
  private async send(entries: ReadonlyArray<{ readonly Id: string; readonly MessageBody: string }>): Promise<void> {
    let pending = entries;
    for (let attempt = 1; ; attempt++) {
      const output = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: [...pending] }));
      const failed = new Set((output.Failed ?? []).map((failure) => failure.Id));
      if (failed.size === 0) return;
      pending = pending.filter((entry) => failed.has(entry.Id));
      if (attempt >= 2) {
        const reasons = (output.Failed ?? []).map((failure) => `${failure.Code ?? 'unknown'}: ${failure.Message ?? ''}`.trim());
        throw new Error(`SQS did not take ${pending.length} audit events: ${[...new Set(reasons)].join('; ')}`);
      }
    }
  }
}

/**
 * The fallback on the queue with its own SQS client. The client and its one command are imported by name: a
 * namespace import would keep every command of the client (and its schema) in the webhook's bundle, which
 * evaluates them all on every cold start (docs/adr/0021).
 */
export function sqsAuditFallback(queueUrl: string, region: string | undefined): SqsAuditFallback {
  const sqs = new SQSClient({
    ...(region ? { region } : {}),
    maxAttempts: 2,
    requestHandler: { connectionTimeout: SQS_CONNECTION_TIMEOUT_MS, requestTimeout: SQS_REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true },
  });
  return new SqsAuditFallback(sqs, queueUrl);
}
