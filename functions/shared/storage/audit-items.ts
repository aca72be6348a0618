import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { boundAuditEvent } from '../../../layers/core/zod-free.js';
import type { AuditEvent } from '../../../layers/core/index.js';
import { DependencyError } from '../errors.js';
import { BATCH_WRITE_LIMIT, batchWriteMarshalledWithRetry, chunk, type MarshalledBatchClient } from './batch.js';
import { mapWithConcurrency, type RetryOptions } from '../retry.js';
import type { Item } from './paging.js';
import type { GeneratedAuditEvent } from './ports.js';
import { auditKeys } from './tables.js';

// The item layout of audit events (docs/dynamodb-access-patterns.md) and the unconditional batch write of
// events this service generated itself. Kept apart from DynamoAuditStore, whose conditional write validates
// what enforcers send: the webhook writes only its own events and must not load the validating schemas.

/** GSI partition keys may have 2048 bytes; longer names are hashed so the event is still indexed. */
const MAX_INDEX_KEY_BYTES = 1024;

/** `<prefix><value>`, or `<prefix>sha256:<hex>` when the value is too long for an index key. */
export function indexValue(prefix: string, value: string): string {
  const plain = `${prefix}${value}`;
  if (Buffer.byteLength(plain, 'utf8') <= MAX_INDEX_KEY_BYTES) return plain;
  return `${prefix}sha256:${createHash('sha256').update(value).digest('hex')}`;
}

/** The UTC day of an ISO instant in sort-key form. */
export function dayOf(iso: string): string {
  return iso.slice(0, 10);
}

/**
 * The table item of one event: the event under `event`, index keys and filter attributes on top. Events are
 * bounded when they are made; bounding again here (a no-op for those) guarantees that no event can exceed
 * the item limit, since one over it would fail the whole batch it is written with.
 */
export function toItem(unbounded: AuditEvent, retentionDays: number): Item {
  const event = boundAuditEvent(unbounded);
  // Millisecond form, so that lexical order is time order whatever precision the sender used.
  const time = new Date(event.time).toISOString();
  const { indexes } = auditKeys;
  return {
    pk: `${auditKeys.eventPrefix}${event.id}`,
    [auditKeys.sortKey]: `${time}#${event.id}`,
    [indexes.byDay.partitionKey]: `${indexes.byDay.prefix}${dayOf(time)}`,
    [indexes.byPolicy.partitionKey]: indexValue(indexes.byPolicy.prefix, event.policy),
    // Sparse: events of functions and hosts have no cluster or namespace and stay out of those indexes.
    ...(event.workload.cluster ? { [indexes.byCluster.partitionKey]: indexValue(indexes.byCluster.prefix, event.workload.cluster) } : {}),
    ...(event.workload.namespace
      ? { [indexes.byNamespace.partitionKey]: indexValue(indexes.byNamespace.prefix, event.workload.namespace) }
      : {}),
    status: event.status,
    policyType: event.policyType,
    // Retention counts from the event's own time: an event reported late is not kept longer.
    [auditKeys.ttl]: Math.floor(Date.parse(time) / 1000) + retentionDays * 86_400,
    event,
  };
}

/**
 * The AttributeValue of a JSON value, exactly as the document client marshalls it with the options of
 * createDynamoClients (undefined members left out, no class instances): strings, finite numbers within the
 * safe integers, booleans, null, arrays and plain objects. The webhook (writeGeneratedAuditEvents) and the
 * enforcers' events route (DynamoAuditStore.put, docs/adr/0014) write their audit items in this form: the
 * document client would walk each item to marshall it and the SDK's serializer would walk the result again.
 * One typed walk instead took a quarter off the instance's CPU for a write call of 22 events (docs/adr/0005).
 * Property tests hold it to the document client's marshall.
 */
export function attributeValue(value: unknown): AttributeValue {
  switch (typeof value) {
    case 'string':
      return { S: value };
    case 'number':
      // As marshall refuses them: DynamoDB has no such number, and beyond the safe integers it would round.
      if (!Number.isFinite(value) || value > Number.MAX_SAFE_INTEGER || value < Number.MIN_SAFE_INTEGER)
        throw new RangeError(`the number ${value} cannot be stored`);
      return { N: String(value) };
    case 'boolean':
      return { BOOL: value };
    case 'object': {
      if (value === null) return { NULL: true };
      if (Array.isArray(value)) {
        const list: AttributeValue[] = [];
        for (const member of value as unknown[])
          if (member !== undefined && typeof member !== 'function') list.push(attributeValue(member));
        return { L: list };
      }
      const prototype = Object.getPrototypeOf(value) as unknown;
      if (prototype === Object.prototype || prototype === null) return { M: attributeValues(value as Record<string, unknown>) };
    }
  }
  throw new TypeError(`a ${typeof value} is not a JSON value and cannot be stored`);
}

/** The AttributeValue map of a plain object (an item), as attributeValue makes it for each member. */
export function attributeValues(object: Readonly<Record<string, unknown>>): Record<string, AttributeValue> {
  const map: Record<string, AttributeValue> = {};
  for (const key in object) {
    const member = object[key];
    if (member !== undefined && typeof member !== 'function') map[key] = attributeValue(member);
  }
  return map;
}

/** Some generated events were not written; `unwritten` lists them in the order given, to be tried again. */
export class AuditWriteError extends DependencyError {
  constructor(
    readonly unwritten: readonly GeneratedAuditEvent[],
    cause: unknown,
  ) {
    super('storage is unavailable', [], { cause });
  }
}

/**
 * BatchWriteItem calls a write of more than 25 generated events keeps in flight. DynamoDB Local stored 1.1 to
 * 2.3 times as many items per second with four writers as with one in our measurements.
 */
export const AUDIT_WRITE_CALLS = 4;

/** How generated events are written. */
export interface AuditWriteOptions extends RetryOptions {
  /**
   * BatchWriteItem calls in flight at once when there are more than 25 events.
   * @default AUDIT_WRITE_CALLS
   */
  readonly concurrency?: number;
}

/**
 * Writes events whose ids this service generated with BatchWriteItem, 25 per call and a few calls in flight,
 * retrying unprocessed items with backoff. No condition is needed: a fresh id cannot collide, and writing the
 * same event again stores the identical item. After a call fails, no further call starts. Throws
 * AuditWriteError naming what was not written, in the order given (a call that failed half way may have
 * stored some of its items: rewriting them is harmless).
 */
export async function writeGeneratedAuditEvents(
  client: MarshalledBatchClient,
  tableName: string,
  events: readonly GeneratedAuditEvent[],
  options: AuditWriteOptions = {},
): Promise<void> {
  for (const { retentionDays } of events) {
    if (!Number.isInteger(retentionDays) || retentionDays < 1)
      throw new RangeError(`audit retention must be a whole number of days, at least 1 (got ${retentionDays})`);
  }
  const calls = chunk(events, BATCH_WRITE_LIMIT);
  let failure: { readonly error: unknown } | undefined;
  const written = await mapWithConcurrency(calls, Math.max(1, options.concurrency ?? AUDIT_WRITE_CALLS), async (part) => {
    // After a failure no further call starts: its events are reported unwritten.
    if (failure) return false;
    try {
      await batchWriteMarshalledWithRetry(
        client,
        tableName,
        part.map(({ event, retentionDays }) => ({ PutRequest: { Item: attributeValues(toItem(event, retentionDays)) } })),
        { ...options, concurrency: 1 },
      );
      return true;
    } catch (error) {
      failure ??= { error };
      return false;
    }
  });
  if (failure) throw new AuditWriteError(calls.filter((_, index) => !written[index]).flat(), failure.error);
}
