import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { countEvent, emptyHistogram, type Histogram, type HistogramBucket } from '../../../layers/core/audit-histogram.js';
import { auditEventSchema, type AuditEvent } from '../../../layers/core/index.js';
import { BadRequestError, type ErrorDetail } from '../errors.js';
import { mapWithConcurrency } from '../retry.js';
import { ConditionsFailed, transactMarshalled } from './config-transactions.js';
import { storageError } from './client.js';
import {
  checkLimit,
  collect,
  decodeCursor,
  encodeCursor,
  queryPage,
  sortableInstant,
  type CursorState,
  type Item,
  type ItemKey,
} from './paging.js';
import { attributeValues, dayOf, indexValue, toItem, writeGeneratedAuditEvents } from './audit-items.js';
import type { AuditQuery, AuditStore, GeneratedAuditEvent, Page } from './ports.js';
import { auditKeys, type AuditIndexName } from './tables.js';

// Audit events in their own table (see tables.ts and docs/dynamodb-access-patterns.md): one item per
// event keyed by id, found newest first through four sparse indexes that all sort by time, expired by TTL.

/**
 * Conditional puts in one TransactWriteItems call: DynamoDB's limit. One call per 100 events instead of one per
 * event; each put keeps its own condition, and a cancelled call names which ones failed (see `putChunk`).
 */
export const EVENTS_PER_TRANSACTION = 100;
/**
 * A transaction may carry 4 MB of items. Events are bounded to MAX_AUDIT_EVENT_BYTES of JSON, so 100 of the
 * largest would not fit: a chunk closes before its estimated size passes this budget.
 */
const TRANSACTION_BYTES_BUDGET = 3_500_000;
/** What an item adds to its event's JSON: keys, index values (each at most 1 KB), status, TTL. */
const ITEM_OVERHEAD_BYTES = 5_000;
/**
 * Transactions in flight for all concurrent `put` calls of one store together, the chunks of each `put` in turn.
 * Five keep DynamoDB Local as busy as more would (one post of 500 events is five chunks), and when a forwarder
 * posts its next batch before the last one is answered, that batch's chunks wait here and start the moment a
 * slot frees, so storage never idles between posts. It also stays well below the SDK's pool of 50 sockets: a
 * request queued for a socket counts against the 1 s connection timeout (issue 14 item 13). A Lambda instance
 * serves one request at a time, so in AWS this is the concurrency of one post.
 */
const TRANSACTIONS_IN_FLIGHT = 5;
/** Rounds of one chunk: each round stores what it can or drops duplicates; only races and throttling repeat. */
const CHUNK_ROUNDS = 8;

/** Runs at most `limit` operations at once, the others waiting in order. */
class Slots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly limit: number) {}

  async run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await operation();
    } finally {
      // The slot passes straight to the next waiter, so `running` stays counted.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/**
 * Events cut into transactions: at most EVENTS_PER_TRANSACTION each, and within the size budget by an estimate
 * from the event's JSON (an event alone always makes a chunk).
 */
export function transactionChunks(items: readonly Item[]): Item[][] {
  const chunks: Item[][] = [];
  let current: Item[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = Buffer.byteLength(JSON.stringify(item.event), 'utf8') + ITEM_OVERHEAD_BYTES;
    if (current.length > 0 && (current.length >= EVENTS_PER_TRANSACTION || bytes + size > TRANSACTION_BYTES_BUDGET)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

const DAY_MS = 86_400_000;
/** How far back a query without `since` looks: the longest retention settings allow. */
const MAX_LOOKBACK_DAYS = 3650;
/** Day partitions one request may walk before answering with a cursor (most are empty on quiet systems). */
const MAX_DAYS_PER_REQUEST = 400;
/** Empty day partitions are queried this many at a time at most (the window doubles while days are empty). */
const MAX_DAY_WINDOW = 16;

function shiftDay(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/**
 * The event an item of the audit table holds, as reads return it (the inverse of `toItem`, also used by
 * the audit export); undefined for the table's other items (learned pods).
 */
export function storedAuditEvent(item: Readonly<Record<string, unknown>>): unknown {
  return typeof item.pk === 'string' && item.pk.startsWith(auditKeys.eventPrefix) ? item.event : undefined;
}

/** What a query walks: one partition of an index, or the day index from a day backwards. */
interface QueryPlan {
  readonly index: AuditIndexName;
  /** Partition key value; for the day index, set per day. */
  readonly partition?: string;
  readonly filter?: { readonly expression: string; readonly names: Record<string, string>; readonly values: Record<string, unknown> };
  readonly from?: string;
  readonly to?: string;
}

/** Implements AuditStore: idempotent conditional writes, newest-first queries without scans. */
export class DynamoAuditStore implements AuditStore {
  private readonly clock: () => Date;
  private readonly transactionSlots = new Slots(TRANSACTIONS_IN_FLIGHT);

  /**
   * @param document the document client (see createDynamoClients)
   * @param tableName the audit table, `<prefix>audit`
   */
  constructor(
    private readonly document: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: { readonly clock?: () => Date } = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
  }

  /**
   * Validates every event first (nothing is written if one is invalid), then writes each with a
   * conditional put so that a re-sent id is stored once and counted as a duplicate.
   */
  async put(events: readonly AuditEvent[], retentionDays: number): Promise<{ accepted: number; duplicates: number }> {
    const details: ErrorDetail[] = [];
    const valid: AuditEvent[] = [];
    events.forEach((event, i) => {
      const parsed = auditEventSchema.safeParse(event);
      if (parsed.success) valid.push(parsed.data);
      else
        for (const issue of parsed.error.issues)
          details.push({ path: [`events[${i}]`, ...issue.path.map(String)].join('.'), message: issue.message });
    });
    if (details.length > 0)
      throw new BadRequestError(`${details.length === 1 ? 'an audit event is' : 'audit events are'} invalid`, details);
    if (!Number.isInteger(retentionDays) || retentionDays < 1)
      throw new BadRequestError('invalid retention', [{ path: 'retentionDays', message: 'must be a whole number of days, at least 1' }]);

    // An id sent twice in one batch is one event: a transaction may not name an item twice, and the second
    // copy would be a duplicate of the first anyway.
    const seen = new Set<string>();
    const items: Item[] = [];
    for (const event of valid) {
      if (seen.has(event.id)) continue;
      seen.add(event.id);
      items.push(toItem(event, retentionDays));
    }
    try {
      // BatchWriteItem cannot be conditional, and only a condition makes a re-sent event a no-op: transactions
      // of conditional puts keep that, with one call per 100 events.
      const stored = await mapWithConcurrency(transactionChunks(items), TRANSACTIONS_IN_FLIGHT, (chunk) =>
        this.transactionSlots.run(() => this.putChunk(chunk)),
      );
      const accepted = stored.reduce((sum, count) => sum + count, 0);
      return { accepted, duplicates: valid.length - accepted };
    } catch (error) {
      throw storageError(error);
    }
  }

  /**
   * Stores one chunk with conditional puts in one transaction and answers how many were new. A transaction is
   * all or nothing: when some puts meet an existing event, DynamoDB cancels it and names them
   * (`ConditionalCheckFailed`), and the others are written again without them. A transaction whose answer was
   * lost and is sent again meets its own events, which then count as duplicates, as a re-sent event does.
   * The items go as AttributeValues built once per item (attributeValues), not marshalled by the document
   * client in every round: 12-17 µs less of local mode's CPU per stored event, of about 100 (docs/adr/0014).
   */
  private async putChunk(chunk: readonly Item[]): Promise<number> {
    let pending: TransactWriteItem[] = chunk.map((item) => ({
      Put: { TableName: this.tableName, Item: attributeValues(item), ConditionExpression: 'attribute_not_exists(pk)' },
    }));
    for (let round = 1; round <= CHUNK_ROUNDS && pending.length > 0; round++) {
      try {
        await transactMarshalled(this.document, pending);
        return pending.length;
      } catch (error) {
        if (!(error instanceof ConditionsFailed)) throw error;
        const reasons = error.reasons;
        pending = pending.filter((_, i) => reasons[i]?.Code !== 'ConditionalCheckFailed');
      }
    }
    if (pending.length > 0) throw new Error(`audit events still not stored after ${CHUNK_ROUNDS} transactions`);
    return 0;
  }

  /** Events the webhook generated: batched, unconditional writes (see writeGeneratedAuditEvents). */
  async putGenerated(events: readonly GeneratedAuditEvent[]): Promise<void> {
    await writeGeneratedAuditEvents(this.document, this.tableName, events);
  }

  /** One event by id. */
  async get(id: string): Promise<AuditEvent | undefined> {
    try {
      const output = await this.document.send(new GetCommand({ TableName: this.tableName, Key: { pk: `${auditKeys.eventPrefix}${id}` } }));
      return output.Item ? (storedAuditEvent(output.Item) as AuditEvent | undefined) : undefined;
    } catch (error) {
      throw storageError(error);
    }
  }

  /**
   * Detect and Block counts per bucket between `since` and `until` (inclusive): one Query per day partition of
   * the byDay index, newest day first, reading only each event's sort key and status. Stops after `maxEvents`
   * events and says `truncated` (the oldest buckets then count only part of their events). Never a scan.
   */
  async histogram(query: {
    readonly since: string;
    readonly until: string;
    readonly bucket: HistogramBucket;
    readonly maxEvents: number;
  }): Promise<Histogram & { readonly eventsRead: number; readonly truncated: boolean }> {
    try {
      const histogram = emptyHistogram(new Date(query.since), new Date(query.until), query.bucket);
      const { partitionKey, prefix } = auditKeys.indexes.byDay;
      let eventsRead = 0;
      for (let day = dayOf(query.until); day >= dayOf(query.since); day = shiftDay(day, -1)) {
        let startKey: Record<string, unknown> | undefined;
        do {
          const output = await this.document.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: 'byDay',
              KeyConditionExpression: '#day = :day AND #time BETWEEN :since AND :until',
              ExpressionAttributeNames: { '#day': partitionKey, '#time': auditKeys.sortKey, '#status': 'status' },
              ExpressionAttributeValues: { ':day': `${prefix}${day}`, ':since': query.since, ':until': `${query.until}\uffff` },
              ProjectionExpression: '#time, #status',
              ScanIndexForward: false,
              Limit: Math.min(1000, query.maxEvents - eventsRead),
              ExclusiveStartKey: startKey,
            }),
          );
          for (const item of output.Items ?? []) {
            // timeSk is `<iso time>#<id>`: the instant is everything before the first '#'.
            countEvent(histogram, String(item[auditKeys.sortKey]).split('#', 1)[0] ?? '', String(item.status));
            eventsRead++;
          }
          startKey = output.LastEvaluatedKey;
          if (eventsRead >= query.maxEvents && (startKey !== undefined || day > dayOf(query.since)))
            return { ...histogram, eventsRead, truncated: true };
        } while (startKey !== undefined);
      }
      return { ...histogram, eventsRead, truncated: false };
    } catch (error) {
      throw storageError(error);
    }
  }

  /**
   * Newest first, through the most selective index the query allows (policy > namespace > cluster >
   * day); the other criteria become filters. Time-only queries walk day partitions backwards.
   */
  async query(query: AuditQuery): Promise<Page<AuditEvent>> {
    try {
      const limit = checkLimit(query.limit);
      const plan = this.planQuery(query);
      if (plan.from !== undefined && plan.to !== undefined && plan.from > plan.to) return { items: [] };
      const { partitionKey } = auditKeys.indexes[plan.index];
      const keyAttributes = ['pk', partitionKey, auditKeys.sortKey];
      const inRange = (key: ItemKey) => {
        const sort = key[auditKeys.sortKey] ?? '';
        return (plan.from === undefined || sort >= plan.from) && (plan.to === undefined || sort <= plan.to);
      };
      if (plan.index !== 'byDay') {
        const cursor = decodeCursor(query.cursor, {
          index: plan.index,
          keyAttributes,
          check: (state) =>
            state.day === undefined && state.key !== undefined && state.key[partitionKey] === plan.partition && inRange(state.key),
        });
        const { items, nextKey } = await queryPage(this.document, this.queryInput(plan, plan.partition ?? ''), {
          limit,
          startKey: cursor?.key,
          keyOf: (item) => this.keyOf(item, partitionKey),
        });
        return {
          items: items.map((item) => storedAuditEvent(item) as AuditEvent),
          ...(nextKey ? { nextCursor: encodeCursor({ index: plan.index, key: nextKey }) } : {}),
        };
      }
      const cursor = decodeCursor(query.cursor, {
        index: plan.index,
        keyAttributes,
        check: (state) =>
          state.day !== undefined &&
          (state.key === undefined || (state.key[partitionKey] === `${auditKeys.indexes.byDay.prefix}${state.day}` && inRange(state.key))),
      });
      return await this.walkDays(plan, limit, cursor);
    } catch (error) {
      throw storageError(error);
    }
  }

  private planQuery(query: AuditQuery): QueryPlan {
    const { indexes } = auditKeys;
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const conditions: string[] = [];
    const where = (attribute: string, value: string) => {
      const n = `#f${conditions.length}`;
      const v = `:f${conditions.length}`;
      names[n] = attribute;
      values[v] = value;
      conditions.push(`${n} = ${v}`);
    };
    const dimensions: Array<{ index: AuditIndexName; value: string | undefined }> = [
      { index: 'byPolicy', value: query.policy },
      { index: 'byNamespace', value: query.namespace },
      { index: 'byCluster', value: query.cluster },
    ];
    let chosen: { index: AuditIndexName; partition: string } | undefined;
    for (const { index, value } of dimensions) {
      if (value === undefined) continue;
      const partition = indexValue(indexes[index].prefix, value);
      if (!chosen) chosen = { index, partition };
      else where(indexes[index].partitionKey, partition);
    }
    if (query.status !== undefined) where('status', query.status);
    if (query.type !== undefined) where('policyType', query.type);
    const from = query.since === undefined ? undefined : sortableInstant(query.since, 'since');
    // Sort keys are `<time>#<id>`: everything at `until` sorts below `until` plus one millisecond.
    const to = query.until === undefined ? undefined : new Date(Date.parse(sortableInstant(query.until, 'until')) + 1).toISOString();
    return {
      index: chosen?.index ?? 'byDay',
      partition: chosen?.partition,
      from,
      to,
      ...(conditions.length > 0 ? { filter: { expression: conditions.join(' AND '), names, values } } : {}),
    };
  }

  private queryInput(plan: QueryPlan, partition: string): QueryCommandInput {
    const { partitionKey } = auditKeys.indexes[plan.index];
    const names: Record<string, string> = { '#p': partitionKey, '#s': auditKeys.sortKey, ...plan.filter?.names };
    const values: Record<string, unknown> = { ':p': partition, ...plan.filter?.values };
    let keyCondition = '#p = :p';
    if (plan.from !== undefined && plan.to !== undefined) {
      keyCondition += ' AND #s BETWEEN :from AND :to';
      values[':from'] = plan.from;
      values[':to'] = plan.to;
    } else if (plan.from !== undefined) {
      keyCondition += ' AND #s >= :from';
      values[':from'] = plan.from;
    } else if (plan.to !== undefined) {
      keyCondition += ' AND #s <= :to';
      values[':to'] = plan.to;
    } else {
      delete names['#s'];
    }
    return {
      TableName: this.tableName,
      IndexName: plan.index,
      KeyConditionExpression: keyCondition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: false,
      ...(plan.filter ? { FilterExpression: plan.filter.expression } : {}),
    };
  }

  private keyOf(item: Item, partitionKey: string): ItemKey {
    return { pk: String(item.pk), [partitionKey]: String(item[partitionKey]), [auditKeys.sortKey]: String(item[auditKeys.sortKey]) };
  }

  /**
   * Walks day partitions from the newest day backwards until the page is full, the lower bound is reached,
   * or MAX_DAYS_PER_REQUEST days were walked. A full page answers a cursor without looking for one more
   * event: proving that nothing is left could mean walking every older day, and a client that asked for
   * `limit` events usually stops there; following the cursor may give an empty last page.
   * Empty days are queried a few at a time, the window doubling while they stay empty.
   */
  private async walkDays(plan: QueryPlan, limit: number, cursor: CursorState | undefined): Promise<Page<AuditEvent>> {
    const { partitionKey, prefix } = auditKeys.indexes.byDay;
    const now = this.clock().getTime();
    const lastDay = dayOf(plan.from ?? new Date(now - MAX_LOOKBACK_DAYS * DAY_MS).toISOString());
    // Without `until`, start a day ahead: enforcers' clocks drift, and their events must not be lost.
    const firstDay = cursor?.day ?? dayOf(plan.to ?? new Date(now + DAY_MS).toISOString());
    const wanted = limit;
    const found: Array<{ item: Item; day: string }> = [];
    let day = firstDay;
    let startKey = cursor?.key;
    let walked = 0;
    let window = 1;

    while (day >= lastDay && walked < MAX_DAYS_PER_REQUEST) {
      const days: string[] = [];
      for (let d = day; days.length < Math.min(window, MAX_DAYS_PER_REQUEST - walked) && d >= lastDay; d = shiftDay(d, -1)) days.push(d);
      const needed = wanted - found.length;
      const results = await Promise.all(
        days.map((d, i) =>
          collect(this.document, this.queryInput(plan, `${prefix}${d}`), { max: needed, startKey: i === 0 ? startKey : undefined }),
        ),
      );
      startKey = undefined;
      for (const [i, result] of results.entries()) {
        const d = days[i] as string;
        walked++;
        found.push(...result.items.map((item) => ({ item, day: d })));
        if (found.length >= wanted) return this.dayPage(found, limit, partitionKey);
        if (!result.exhausted) {
          // A filtered query hit its work budget inside this day: continue there next time.
          return {
            items: found.map((f) => storedAuditEvent(f.item) as AuditEvent),
            nextCursor: encodeCursor({ index: 'byDay', day: d, key: result.resumeKey }),
          };
        }
      }
      day = shiftDay(days[days.length - 1] as string, -1);
      window = found.length === 0 ? Math.min(window * 2, MAX_DAY_WINDOW) : 1;
    }
    const items = found.map((f) => storedAuditEvent(f.item) as AuditEvent);
    // Stopped by the day budget with days left: let the client continue from the next one.
    return day >= lastDay ? { items, nextCursor: encodeCursor({ index: 'byDay', day }) } : { items };
  }

  private dayPage(found: ReadonlyArray<{ item: Item; day: string }>, limit: number, partitionKey: string): Page<AuditEvent> {
    const page = found.slice(0, limit);
    const last = page[page.length - 1] as { item: Item; day: string };
    return {
      items: page.map((f) => storedAuditEvent(f.item) as AuditEvent),
      nextCursor: encodeCursor({ index: 'byDay', day: last.day, key: this.keyOf(last.item, partitionKey) }),
    };
  }
}
