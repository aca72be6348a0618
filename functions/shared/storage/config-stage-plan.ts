import { gunzipSync, gzipSync } from 'node:zlib';
import type { Item } from './paging.js';
import type { Plan, TransactItem } from './config-write-plan.js';
import { APPLYING_ATTRIBUTE, configKeys, stageRegistryKey, type ConfigKey } from './tables.js';

// The plan of a staged import, without I/O (docs/adr/0009): which writes a change too large for one
// transaction stages, the one transaction that commits them, and the transactions that copy them to their
// places afterwards. config-staging.ts sends what this module builds.

/** DynamoDB allows 100 actions per transaction: one is the check that the import is still being applied. */
const COPY_WRITES_PER_TRANSACTION = 99;
/** DynamoDB allows 4 MB per transaction; our size estimate is rough, so keep a margin. */
const COPY_BYTES_PER_TRANSACTION = 3.5 * 1024 * 1024;

/** One staged write: the whole target item to put, or (without `item`) the target key to delete. */
export interface StagedWrite {
  readonly target: ConfigKey;
  readonly item?: Item & ConfigKey;
}

/** Every write of the planned changes: each item, its activity entry and its derived items. */
export function stagedWrites(plans: readonly Plan[]): StagedWrite[] {
  const writes: StagedWrite[] = [];
  for (const plan of plans) {
    writes.push(plan.after ? { target: plan.key, item: plan.after as unknown as Item & ConfigKey } : { target: plan.key });
    writes.push({ target: { pk: plan.activity.pk, sk: plan.activity.sk }, item: plan.activity });
    for (const derived of plan.derived) {
      if (derived.Put) {
        const item = derived.Put.Item as Item & ConfigKey;
        writes.push({ target: { pk: item.pk, sk: item.sk }, item });
      } else if (derived.Delete) {
        const key = derived.Delete.Key as ConfigKey;
        writes.push({ target: { pk: key.pk, sk: key.sk } });
      }
    }
  }
  return writes;
}

/** Compressed bytes per stage part when it holds several writes: a few parts for an import of thousands of items. */
const PART_BYTES = 350 * 1024;
/** Uncompressed bytes per part before compressing it; halved while the compressed part is too large. */
const PART_SOURCE_BYTES = 2 * 1024 * 1024;

function compressed(writes: readonly StagedWrite[]): Buffer {
  return gzipSync(Buffer.from(JSON.stringify(writes), 'utf8'));
}

/**
 * The staged writes packed into parts, each gzipped JSON of a list of writes, in order. One item per write
 * would cost a write unit per kilobyte of every item and a BatchWriteItem per 25; compressed, the writes of
 * an import of a thousand policies fit one or two items. A part with a single write may reach the size of
 * that write (at most an item's size, since gzip adds only a few bytes to what it cannot compress).
 */
export function packStagedWrites(writes: readonly StagedWrite[]): Buffer[] {
  const parts: Buffer[] = [];
  const pack = (group: readonly StagedWrite[]): void => {
    const data = compressed(group);
    if (data.length <= PART_BYTES || group.length === 1) {
      parts.push(data);
      return;
    }
    const half = Math.ceil(group.length / 2);
    pack(group.slice(0, half));
    pack(group.slice(half));
  };
  let group: StagedWrite[] = [];
  let bytes = 0;
  for (const write of writes) {
    const size = writeBytes(write);
    if (group.length > 0 && bytes + size > PART_SOURCE_BYTES) {
      pack(group);
      group = [];
      bytes = 0;
    }
    group.push(write);
    bytes += size;
  }
  if (group.length > 0) pack(group);
  return parts;
}

/** The staged writes of parts made by packStagedWrites, in order. */
export function unpackStagedWrites(parts: readonly Uint8Array[]): StagedWrite[] {
  return parts.flatMap((part) => JSON.parse(gunzipSync(part).toString('utf8')) as StagedWrite[]);
}

/**
 * The transaction that makes a staged import visible: `META`/`revision` names it and the revision grows, on
 * condition that nothing was written since `revision` was read (every write bumps it) and no other import
 * is being applied; the registry entry must still exist (a stage is collected only when it is old).
 */
export function switchTransaction(tableName: string, importId: string, revision: number): TransactItem[] {
  return [
    {
      ConditionCheck: {
        TableName: tableName,
        Key: { ...stageRegistryKey(importId) },
        ConditionExpression: 'attribute_exists(pk)',
      },
    },
    {
      Update: {
        TableName: tableName,
        Key: { ...configKeys.meta },
        UpdateExpression: 'SET #applying = :id ADD #revision :one',
        // Revision 0 is an item that does not exist yet: every write creates it with ADD.
        ConditionExpression:
          revision === 0
            ? 'attribute_not_exists(#revision) AND attribute_not_exists(#applying)'
            : '#revision = :read AND attribute_not_exists(#applying)',
        ExpressionAttributeNames: { '#revision': 'revision', '#applying': APPLYING_ATTRIBUTE },
        ExpressionAttributeValues: { ':id': importId, ':one': 1, ...(revision === 0 ? {} : { ':read': revision }) },
      },
    },
  ];
}

function writeBytes(write: StagedWrite): number {
  return Buffer.byteLength(JSON.stringify(write.item ?? write.target), 'utf8');
}

/**
 * The transactions that copy a committed import's writes to their places, each conditioned on the import
 * still being the one being applied: a copy delayed past the end of the apply (a slow helper, a retried
 * request) then fails instead of overwriting a later write. Copies are idempotent, so any number of
 * helpers may run them at the same time.
 */
export function copyTransactions(tableName: string, importId: string, writes: readonly StagedWrite[]): TransactItem[][] {
  const stillApplying: TransactItem = {
    ConditionCheck: {
      TableName: tableName,
      Key: { ...configKeys.meta },
      ConditionExpression: '#applying = :id',
      ExpressionAttributeNames: { '#applying': APPLYING_ATTRIBUTE },
      ExpressionAttributeValues: { ':id': importId },
    },
  };
  const transactions: TransactItem[][] = [];
  let current: TransactItem[] = [];
  let bytes = 0;
  for (const write of writes) {
    const size = writeBytes(write);
    if (current.length > 0 && (current.length >= COPY_WRITES_PER_TRANSACTION || bytes + size > COPY_BYTES_PER_TRANSACTION)) {
      transactions.push([stillApplying, ...current]);
      current = [];
      bytes = 0;
    }
    current.push(
      write.item
        ? { Put: { TableName: tableName, Item: write.item } }
        : { Delete: { TableName: tableName, Key: { pk: write.target.pk, sk: write.target.sk } } },
    );
    bytes += size;
  }
  if (current.length > 0) transactions.push([stillApplying, ...current]);
  return transactions;
}

/**
 * The items of one partition as a reader must see them while an import is applied: the stored items with
 * the import's staged writes of that partition on top (put replaces or adds, delete removes), in key order.
 */
export function overlaid<T extends ConfigKey>(stored: readonly T[], writes: readonly StagedWrite[], pk: string): T[] {
  const merged = new Map<string, T>(stored.map((item) => [item.sk, item]));
  for (const write of writes) {
    if (write.target.pk !== pk) continue;
    if (write.item) merged.set(write.target.sk, write.item as unknown as T);
    else merged.delete(write.target.sk);
  }
  // DynamoDB orders string keys by their UTF-8 bytes.
  return [...merged.values()].sort((a, b) => Buffer.compare(Buffer.from(a.sk, 'utf8'), Buffer.from(b.sk, 'utf8')));
}
