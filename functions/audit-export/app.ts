import { setTimeout as sleep } from 'node:timers/promises';
import middy from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { auditEventSchema, boundAuditEvent, unboundedAuditEventSchema, type AuditEvent } from '../../layers/core/index.js';
import { AUDIT_EVENT_DETAIL_TYPE, type EventBatchPublisher, type PublishOutcome } from '../shared/events/ports.js';
import { backoffDelay, type RetryOptions } from '../shared/retry.js';
import { storedAuditEvent } from '../shared/storage/DynamoAuditStore.js';

// The audit-export Lambda: new audit events from the audit table's stream go to the event bus, where rules
// route them to SIEM, chat or Security Hub. Bad items are logged and skipped so that they never block the
// shard; what the bus did not take is reported so that Lambda retries from there (docs/user-guide.md).

export interface AuditExportDependencies {
  readonly publisher: EventBatchPublisher;
  readonly logger: Logger;
  /** Retries, within one invocation, of events the bus did not take. @default { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000 } */
  readonly retry?: RetryOptions;
}

export type AuditExportHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse>;

/** One audit event to publish and the stream record it came from. */
interface Export {
  readonly sequenceNumber: string | undefined;
  readonly event: AuditEvent;
}

/** The audit event a stream record brings, or undefined when the record is not exported (logged when it should have been). */
function exportOf(record: DynamoDBRecord, logger: Logger): Export | undefined {
  // Events are written once and never updated; REMOVE records are TTL expiry (or clean-up), not news.
  if (record.eventName !== 'INSERT') return undefined;
  const sequenceNumber = record.dynamodb?.SequenceNumber;
  const image = record.dynamodb?.NewImage;
  if (!image) {
    logger.error('skipped a stream record without a new image: the stream view type must be NEW_IMAGE', { sequenceNumber });
    return undefined;
  }
  let stored: unknown;
  try {
    // The Lambda event's attribute values are the stream API's JSON, which is what unmarshall reads.
    stored = storedAuditEvent(unmarshall(image as Record<string, AttributeValue>));
  } catch {
    logger.error('skipped a stream record whose image cannot be read', { sequenceNumber });
    return undefined;
  }
  // Learned pods share the table.
  if (stored === undefined) return undefined;
  // An event stored before events were cut when made may break the schema's bounds or be too large for one
  // bus entry: it is exported cut to them, never dropped for its length.
  const parsed = auditEventSchema.safeParse(stored);
  const unbounded = parsed.success ? parsed : unboundedAuditEventSchema.safeParse(stored);
  if (!unbounded.success) {
    // Paths and messages only: the values (commands, user names) may hold secrets.
    const issues = unbounded.error.issues.slice(0, 10).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    logger.error('skipped an audit event that is not valid', { sequenceNumber, eventId: idOf(stored), issues });
    return undefined;
  }
  const event = boundAuditEvent(unbounded.data);
  if (event !== unbounded.data) {
    logger.warn('exported an audit event cut to the bounds of the schema', {
      sequenceNumber,
      eventId: event.id,
      truncated: event.truncated?.slice(0, 10).map((cut) => cut.field),
    });
  }
  return { sequenceNumber, event };
}

function idOf(stored: unknown): string | undefined {
  const id = (stored as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id.slice(0, 128) : undefined;
}

/** What became of a batch's audit events after the retries. */
interface PublishReport {
  /** Still not taken, in stream order, each with the bus's last reason. */
  readonly failed: ReadonlyArray<Export & { readonly reason: string }>;
  /** Never to be taken (logged and skipped). */
  readonly rejected: number;
}

/** Publishes, retrying with backoff just the events that failed. */
async function publishWithRetries(toPublish: readonly Export[], deps: AuditExportDependencies): Promise<PublishReport> {
  const retry = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000, ...deps.retry };
  let pending: readonly Export[] = toPublish;
  let rejected = 0;
  for (let attempt = 1; ; attempt++) {
    const outcomes: PublishOutcome[] = await deps.publisher.publishAll(
      pending.map((e) => ({ detailType: AUDIT_EVENT_DETAIL_TYPE, detail: e.event })),
    );
    const failed: Array<Export & { reason: string }> = [];
    pending.forEach((item, i) => {
      const outcome = outcomes[i] ?? { status: 'failed', reason: 'no outcome' };
      if (outcome.status === 'failed') failed.push({ ...item, reason: outcome.reason });
      if (outcome.status === 'rejected') {
        rejected++;
        deps.logger.error('skipped an audit event the event bus does not take', {
          sequenceNumber: item.sequenceNumber,
          eventId: item.event.id,
          reason: outcome.reason,
        });
      }
    });
    if (failed.length === 0 || attempt >= retry.maxAttempts) return { failed, rejected };
    await sleep(backoffDelay(attempt, retry));
    pending = failed;
  }
}

/** The handler: stream records → audit events → the bus; `batchItemFailures` names the first record to retry from. */
export function createAuditExportHandler(deps: AuditExportDependencies): AuditExportHandler {
  const handle = async (streamEvent: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const toPublish = streamEvent.Records.map((record) => exportOf(record, deps.logger)).filter((e): e is Export => e !== undefined);
    const { failed, rejected } = toPublish.length > 0 ? await publishWithRetries(toPublish, deps) : { failed: [], rejected: 0 };
    deps.logger.info('audit export', {
      records: streamEvent.Records.length,
      published: toPublish.length - failed.length - rejected,
      rejected,
      failed: failed.length,
    });
    const first = failed[0];
    if (!first) return { batchItemFailures: [] };
    // Records of a batch come in stream order, so the first failure is the earliest. Lambda checkpoints just
    // before it and retries from there, later records included: consumers dedupe on the event id.
    deps.logger.warn('the event bus did not take some audit events; Lambda will retry from the first', {
      sequenceNumber: first.sequenceNumber,
      reasons: [...new Set(failed.map((f) => f.reason))].slice(0, 5),
    });
    // Lambda always sends sequence numbers; without one, failing the invocation retries the whole batch.
    if (first.sequenceNumber === undefined) throw new Error('a stream record that failed to export has no sequence number');
    return { batchItemFailures: [{ itemIdentifier: first.sequenceNumber }] };
  };
  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse>()
    .use(injectLambdaContext(deps.logger, { resetKeys: true }))
    .handler(handle);
}
