import { QueryCommand, type QueryCommandInput, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { BadRequestError } from '../errors.js';

// Paging over DynamoDB queries. A page holds exactly `limit` items unless the data ran out (or a
// filtered query hit its work budget), and `nextCursor` is absent exactly when nothing is left: one
// item more than asked is read, so that a last page never needs a follow-up that comes back empty.

/** A DynamoDB key as the document client gives it: every key attribute of ours is a string. */
export type ItemKey = Record<string, string>;

/** A stored item as the document client returns it. */
export type Item = Record<string, unknown>;

/** Where a list continues: the index (or partition) it walks, the day for day walks, the start key. */
export interface CursorState {
  readonly index: string;
  readonly day?: string | undefined;
  readonly key?: ItemKey | undefined;
}

/** Encodes a cursor as base64url JSON; opaque to clients. */
export function encodeCursor(state: CursorState): string {
  const body: Record<string, unknown> = { v: 1, i: state.index };
  if (state.day !== undefined) body.d = state.day;
  if (state.key !== undefined) body.k = state.key;
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

/** What a cursor must look like to be accepted for one query. */
export interface CursorExpectation {
  readonly index: string;
  /** Exactly these attributes must make up the key. */
  readonly keyAttributes: readonly string[];
  /** Further checks on the decoded state, e.g. that the key lies in the queried partition. */
  readonly check?: (state: CursorState) => boolean;
}

const MAX_CURSOR_LENGTH = 4096;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

function invalidCursor(): BadRequestError {
  return new BadRequestError('invalid cursor', [
    { path: 'cursor', message: 'pass the nextCursor of a previous page of the same query, unchanged' },
  ]);
}

/**
 * The JSON object inside a cursor, or `invalid()` thrown: bounded in length, base64url only, an object.
 * Each kind of cursor checks its own fields on what this answers.
 */
export function decodeCursorBody(text: string, invalid: () => Error): Record<string, unknown> {
  if (text.length === 0 || text.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text)) throw invalid();
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid();
  return body as Record<string, unknown>;
}

/**
 * Decodes and checks a cursor strictly: anything not produced by `encodeCursor` for this very query
 * (tampered, truncated, from another list) is a BadRequestError('invalid cursor'), never a storage error.
 */
export function decodeCursor(text: string | undefined, expected: CursorExpectation): CursorState | undefined {
  if (text === undefined) return undefined;
  const { v, i, d, k, ...rest } = decodeCursorBody(text, invalidCursor);
  if (v !== 1 || i !== expected.index || Object.keys(rest).length > 0) throw invalidCursor();
  if (d !== undefined && (typeof d !== 'string' || !DAY.test(d) || Number.isNaN(Date.parse(`${d}T00:00:00Z`)))) throw invalidCursor();
  let key: ItemKey | undefined;
  if (k !== undefined) {
    if (typeof k !== 'object' || k === null || Array.isArray(k)) throw invalidCursor();
    const entries = Object.entries(k);
    const wanted = new Set(expected.keyAttributes);
    if (entries.length !== wanted.size) throw invalidCursor();
    for (const [name, value] of entries) {
      if (!wanted.has(name) || typeof value !== 'string' || value.length === 0 || value.length > 2048) throw invalidCursor();
    }
    key = k as ItemKey;
  }
  const state: CursorState = { index: i, day: d, key };
  if (expected.check && !expected.check(state)) throw invalidCursor();
  return state;
}

/** The one method of the document client paging uses. */
export interface QueryClient {
  send(command: QueryCommand): Promise<QueryCommandOutput>;
}

/** How far one collection may go. */
export interface CollectOptions {
  /** Stop once this many items are collected. */
  readonly max: number;
  readonly startKey?: ItemKey | undefined;
  /**
   * Query calls allowed before returning what was found with a resume key. Only filtered queries get
   * near it: a rare filter value must not make one request read a whole partition.
   * @default 10
   */
  readonly maxCalls?: number;
}

/** What `collect` found: `full`, `exhausted` (the range has no more items), or stopped with `resumeKey`. */
export interface Collected {
  readonly items: Item[];
  readonly full: boolean;
  readonly exhausted: boolean;
  readonly resumeKey?: ItemKey | undefined;
}

/** Runs one query, following LastEvaluatedKey until `max` items, the end of the range, or the call budget. */
export async function collect(client: QueryClient, input: QueryCommandInput, options: CollectOptions): Promise<Collected> {
  const filtered = input.FilterExpression !== undefined;
  const maxCalls = options.maxCalls ?? 10;
  const items: Item[] = [];
  let key: ItemKey | undefined = options.startKey;
  for (let calls = 1; ; calls++) {
    const needed = options.max - items.length;
    // Limit counts items read before the filter: read a little more per call when filtering.
    const output = await client.send(
      new QueryCommand({ ...input, ExclusiveStartKey: key, Limit: filtered ? Math.max(needed, 100) : needed }),
    );
    items.push(...(output.Items ?? []));
    key = output.LastEvaluatedKey as ItemKey | undefined;
    if (items.length >= options.max) return { items: items.slice(0, options.max), full: true, exhausted: false };
    if (!key) return { items, full: false, exhausted: true };
    if (calls >= maxCalls) return { items, full: false, exhausted: false, resumeKey: key };
  }
}

/** One page of a single-partition query: `limit` items and the key to continue from, if anything is left. */
export async function queryPage(
  client: QueryClient,
  input: QueryCommandInput,
  options: {
    readonly limit: number;
    readonly startKey?: ItemKey | undefined;
    readonly keyOf: (item: Item) => ItemKey;
    readonly maxCalls?: number;
  },
): Promise<{ items: Item[]; nextKey?: ItemKey | undefined }> {
  const found = await collect(client, input, { max: options.limit + 1, startKey: options.startKey, maxCalls: options.maxCalls });
  if (found.full) {
    const items = found.items.slice(0, options.limit);
    return { items, nextKey: options.keyOf(items[items.length - 1] as Item) };
  }
  return { items: found.items, nextKey: found.resumeKey };
}

/** Checks a page size against the API contract (1..500) before any read. */
export function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > 500)
    throw new BadRequestError('invalid limit', [{ path: 'limit', message: 'must be a whole number from 1 to 500' }]);
  return limit;
}

/** Normalises an ISO instant to the millisecond form used in sort keys; BadRequestError when invalid. */
export function sortableInstant(value: string, name: string): string {
  const time = Date.parse(value);
  if (Number.isNaN(time))
    throw new BadRequestError(`invalid ${name}`, [{ path: name, message: 'must be an ISO 8601 instant, e.g. 2026-11-28T12:00:00Z' }]);
  return new Date(time).toISOString();
}
