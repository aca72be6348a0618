import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { generatedEventsOf, isRefusal, uniqueById } from '../shared/storage/audit-fallback.js';
import type { GeneratedAuditEvent } from '../shared/storage/ports.js';

// The audit-replay Lambda (docs/adr/0011): audit events the webhook could not store before its verdict wait
// in an SQS queue; this function writes them to the audit table. Writing a generated event again stores the
// identical item, so a message delivered twice, or replayed after a partial failure, is stored once. A
// message it cannot store is reported as failed: SQS delivers it again later (storage may be back by then),
// and after the queue's receive limit moves it to the dead-letter queue, whose depth raises an alarm.

export interface AuditReplayDependencies {
  /** Writes generated events to the audit table (unconditionally; throws AuditWriteError when some were not written). */
  readonly write: (events: readonly GeneratedAuditEvent[]) => Promise<void>;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
}

export type AuditReplayHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

export function createAuditReplayHandler({ write, logger }: AuditReplayDependencies): AuditReplayHandler {
  return async (event) => {
    const failures: string[] = [];
    const readable: Array<{ readonly record: SQSRecord; readonly events: GeneratedAuditEvent[] }> = [];
    for (const record of event.Records) {
      const events = eventsOf(record.body);
      if (events) {
        readable.push({ record, events });
        continue;
      }
      // Never valid, so never retried into success: straight on towards the dead-letter queue, for a person.
      logger.error('a queued audit message is not a list of audit events; it goes to the dead-letter queue', {
        messageId: record.messageId,
        bytes: Buffer.byteLength(record.body, 'utf8'),
      });
      failures.push(record.messageId);
    }
    if (readable.length === 0) return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };

    try {
      // One write for the whole batch: the common case when storage is back.
      await write(uniqueById(readable.flatMap(({ events }) => events)));
      logger.info('queued audit events stored', { messages: readable.length });
    } catch (batchError) {
      // Message by message, so that only those that cannot be stored come back.
      for (const { record, events } of readable) {
        try {
          await write(uniqueById(events));
        } catch (error) {
          const details = {
            messageId: record.messageId,
            eventIds: events.map((entry) => entry.event.id),
            receiveCount: record.attributes.ApproximateReceiveCount,
            error: ((error as { cause?: unknown }).cause ?? error) as Error,
          };
          if (isRefusal(error))
            logger.error('the audit table refused a queued audit event; after its last receive it goes to the dead-letter queue', details);
          else logger.warn('queued audit events could not be stored yet; SQS delivers them again', details);
          failures.push(record.messageId);
        }
      }
      if (failures.length === 0)
        logger.info('queued audit events stored one message at a time', { messages: readable.length, firstError: batchError as Error });
    }
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

function eventsOf(body: string): GeneratedAuditEvent[] | undefined {
  try {
    return generatedEventsOf((JSON.parse(body) as { events?: unknown } | null)?.events);
  } catch {
    return undefined;
  }
}
