import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BadRequestError, ConflictError, GoneError } from '../errors.js';
import type { ConfigItem } from './config-write-plan.js';
import type { MetaState } from './config-staging.js';
import { decodeCursorBody } from './paging.js';
import { configKeys } from './tables.js';

// The export walk (`GET /v1/export`, docs/adr/0016): the configuration of ONE revision, in pages of at most
// MAX_PAGE_BYTES of items. A page carries the settings (first page only), then application scopes, then
// policies, then enforcer groups, each in name order; the cursor names the revision the export began at and the last item sent.
// Every page is read between two reads of `META`/`revision`: if the revision is not the pinned one, the page
// is refused with 410 and the reader starts again. This module holds the cursor and the walk's order.

/** The partitions an export walks, in the order of the document. */
export const EXPORT_SECTIONS = [
  configKeys.partitions.applicationScope,
  configKeys.partitions.policy,
  configKeys.partitions.enforcerGroup,
] as const;
type ExportSection = (typeof EXPORT_SECTIONS)[number];

/** Where an export continues: the revision it is pinned to and the last item already sent. */
export interface ExportCursor {
  readonly revision: number;
  readonly after: { readonly pk: ExportSection; readonly sk: string };
}

const CURSOR_INDEX = 'export';
const MAX_NAME_LENGTH = 2048;

export function encodeExportCursor(cursor: ExportCursor): string {
  return Buffer.from(JSON.stringify({ v: 1, i: CURSOR_INDEX, r: cursor.revision, k: cursor.after }), 'utf8').toString('base64url');
}

function invalidCursor(): BadRequestError {
  return new BadRequestError('invalid cursor', [
    { path: 'cursor', message: 'pass the nextCursor of the previous export page unchanged, or no cursor to start an export' },
  ]);
}

/** Decodes an export cursor strictly: anything `encodeExportCursor` did not make is a 400 naming `cursor`. */
export function decodeExportCursor(text: string | undefined): ExportCursor | undefined {
  if (text === undefined) return undefined;
  const { v, i, r, k, ...rest } = decodeCursorBody(text, invalidCursor);
  if (v !== 1 || i !== CURSOR_INDEX || Object.keys(rest).length > 0) throw invalidCursor();
  if (typeof r !== 'number' || !Number.isSafeInteger(r) || r < 0) throw invalidCursor();
  if (typeof k !== 'object' || k === null || Array.isArray(k)) throw invalidCursor();
  const { pk, sk, ...extra } = k as Record<string, unknown>;
  if (Object.keys(extra).length > 0 || !EXPORT_SECTIONS.includes(pk as ExportSection)) throw invalidCursor();
  if (typeof sk !== 'string' || sk.length === 0 || sk.length > MAX_NAME_LENGTH) throw invalidCursor();
  return { revision: r, after: { pk: pk as ExportSection, sk } };
}

/** The 410 of a page asked for after the configuration moved on from the export's revision. */
export function exportRevisionGone(pinned: number, now: number): GoneError {
  return new GoneError(
    `the configuration changed since this export began (it was at revision ${pinned}, it is at revision ${now} now): start the export again without a cursor`,
    [{ path: 'cursor', message: `pinned to revision ${pinned}, which is no longer the current one` }],
  );
}

/** A first page whose revision kept moving while it was read. */
export function exportKeepsMoving(): ConflictError {
  return new ConflictError('the configuration kept changing while the export was read; try again');
}

/** Bytes of one item as a page counts them (its JSON). */
export function itemBytes(item: object): number {
  return Buffer.byteLength(JSON.stringify(item), 'utf8');
}

/**
 * The items of one partition after `afterSk` (all of them without it), in key order, as of `meta`: from a
 * query while no import is being copied, else from the partition with the import laid over it (`overlay`).
 */
export async function* walkPartition(
  document: DynamoDBDocumentClient,
  tableName: string,
  input: {
    readonly pk: string;
    readonly afterSk?: string | undefined;
    readonly meta: MetaState;
    readonly overlay: (pk: string, meta: MetaState) => Promise<ConfigItem[]>;
  },
): AsyncGenerator<ConfigItem> {
  const after = input.afterSk === undefined ? undefined : Buffer.from(input.afterSk, 'utf8');
  if (input.meta.applying !== undefined) {
    for (const item of await input.overlay(input.pk, input.meta)) {
      if (after === undefined || Buffer.compare(Buffer.from(item.sk, 'utf8'), after) > 0) yield item;
    }
    return;
  }
  let startKey: Record<string, unknown> | undefined = input.afterSk === undefined ? undefined : { pk: input.pk, sk: input.afterSk };
  do {
    const output = await document.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': input.pk },
        ConsistentRead: true,
        // Pages hold about a megabyte: a few hundred full policies. Small reads keep the overshoot small.
        Limit: 100,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of output.Items ?? []) yield item as ConfigItem;
    startKey = output.LastEvaluatedKey;
  } while (startKey);
}
