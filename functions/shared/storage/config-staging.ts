import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchWriteWithRetry, deletePartition } from './batch.js';
import {
  copyTransactions,
  packStagedWrites,
  stagedWrites,
  switchTransaction,
  unpackStagedWrites,
  type StagedWrite,
} from './config-stage-plan.js';
import { ConditionsFailed, transact } from './config-transactions.js';
import type { Plan } from './config-write-plan.js';
import type { Item } from './paging.js';
import { APPLYING_ATTRIBUTE, configKeys, stagePartition, stagePartKey, stageRegistryKey, type ConfigKey } from './tables.js';

// Staged imports (docs/adr/0009): a change too large for one transaction is written to a partition of its
// own, where no reader looks, and made visible by ONE conditional update of `META`/`revision` that names it.
// From that moment the change is committed: readers lay the staged writes over the stored items, and anyone
// who writes first copies them to their places (idempotent, any number of helpers), then clears the name.
// A process that dies before the switch leaves only an invisible stage, collected later; one that dies
// after it leaves a committed import that the next writer finishes.

/** Stages older than this are collected when they are not the import being applied (no import stages for an hour). */
export const STAGE_RETENTION_MS = 60 * 60 * 1000;
/** Stages collected per import at most, so that collecting never makes one import slow. */
const STAGES_COLLECTED_PER_CALL = 4;

/** The revision and, while a committed import is being copied, its id. */
export interface MetaState {
  readonly revision: number;
  readonly applying?: string | undefined;
}

/** The switch of a staged import failed: something was written after the revision was read. Internal to storage. */
export class RevisionMoved extends Error {
  constructor() {
    super('the configuration changed while the import was staged');
  }
}

/** `META`/`revision`, read consistently. */
export async function readMeta(document: DynamoDBDocumentClient, tableName: string): Promise<MetaState> {
  const output = await document.send(new GetCommand({ TableName: tableName, Key: { ...configKeys.meta }, ConsistentRead: true }));
  return metaOf(output.Item);
}

/** The state a `META`/`revision` item (or its absence) stands for. */
export function metaOf(item: Record<string, unknown> | undefined): MetaState {
  const applying = item?.[APPLYING_ATTRIBUTE];
  return { revision: Number(item?.revision ?? 0), ...(typeof applying === 'string' ? { applying } : {}) };
}

/** The staged writes of an import, all of them or those of one target partition. */
export async function readStagedWrites(
  document: DynamoDBDocumentClient,
  tableName: string,
  importId: string,
  targetPk?: string,
): Promise<StagedWrite[]> {
  const parts: Uint8Array[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const output = await document.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': stagePartition(importId) },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of output.Items ?? []) parts.push(item.data as Uint8Array);
    startKey = output.LastEvaluatedKey;
  } while (startKey);
  const writes = unpackStagedWrites(parts);
  return targetPk === undefined ? writes : writes.filter((write) => write.target.pk === targetPk);
}

/** The staged write of one target item, if the import has one. */
export async function readStagedWrite(
  document: DynamoDBDocumentClient,
  tableName: string,
  importId: string,
  target: ConfigKey,
): Promise<StagedWrite | undefined> {
  const writes = await readStagedWrites(document, tableName, importId, target.pk);
  return writes.find((write) => write.target.sk === target.sk);
}

/**
 * Copies a committed import's writes to their places and then clears its name from `META`/`revision`.
 * Safe to run by several processes at once and after a crash at any point: the copies are idempotent and
 * conditioned on the import still being applied, and the clear is conditioned on its id.
 */
export async function finishImport(document: DynamoDBDocumentClient, tableName: string, importId: string): Promise<void> {
  const writes = await readStagedWrites(document, tableName, importId);
  for (const items of copyTransactions(tableName, importId, writes)) {
    try {
      await transact(document, items);
    } catch (error) {
      // Someone else finished it meanwhile.
      if (error instanceof ConditionsFailed) return;
      throw error;
    }
  }
  try {
    await document.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { ...configKeys.meta },
        UpdateExpression: 'REMOVE #applying',
        ConditionExpression: '#applying = :id',
        ExpressionAttributeNames: { '#applying': APPLYING_ATTRIBUTE },
        ExpressionAttributeValues: { ':id': importId },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

/**
 * Stages the planned writes and commits them with one switch, on condition that the configuration is still
 * at `revision` (every write bumps it, so the plan's reads are still true). Throws RevisionMoved when it is
 * not; the stage then stays behind, invisible, until it is collected. Then copies the writes to their places.
 */
export async function applyStaged(
  document: DynamoDBDocumentClient,
  tableName: string,
  input: { readonly plans: readonly Plan[]; readonly revision: number; readonly importId: string; readonly now: Date },
): Promise<void> {
  const { importId } = input;
  await document.send(
    new PutCommand({
      TableName: tableName,
      Item: { ...stageRegistryKey(importId), createdAt: input.now.toISOString() },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
  const requests = packStagedWrites(stagedWrites(input.plans)).map((data, part) => ({
    PutRequest: { Item: { ...stagePartKey(importId, part), data } },
  }));
  await batchWriteWithRetry(document, tableName, requests);
  try {
    await transact(document, switchTransaction(tableName, importId, input.revision));
  } catch (error) {
    if (error instanceof ConditionsFailed) throw new RevisionMoved();
    throw error;
  }
  // Committed: readers see the import from now on. Copying it is also the job of whoever writes or reads the
  // trail next, so a failure here (storage gone, the process ending) changes nothing of the answer.
  try {
    await finishImport(document, tableName, importId);
  } catch {
    // The import is committed; the next writer finishes the copy.
  }
}

/**
 * Removes stages older than STAGE_RETENTION_MS (a few per call): those of finished imports and those of
 * imports that never committed. Never the one being applied. Readers of a finished import's writes are
 * done with them within seconds, so an hour is a wide margin.
 */
export async function collectStages(document: DynamoDBDocumentClient, tableName: string, now: Date, applying?: string): Promise<void> {
  const cutoff = new Date(now.getTime() - STAGE_RETENTION_MS).toISOString();
  const output = await document.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': configKeys.stage },
      ConsistentRead: true,
    }),
  );
  const old = (output.Items ?? []).filter((entry: Item) => String(entry.createdAt) < cutoff && entry.sk !== applying);
  for (const entry of old.slice(0, STAGES_COLLECTED_PER_CALL)) {
    const importId = String(entry.sk);
    await deletePartition(document, tableName, stagePartition(importId));
    await document.send(new DeleteCommand({ TableName: tableName, Key: { ...stageRegistryKey(importId) } }));
  }
}
