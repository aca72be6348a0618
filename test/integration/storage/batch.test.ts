import {
  BatchGetCommand,
  BatchWriteCommand,
  QueryCommand,
  type BatchGetCommandOutput,
  type BatchWriteCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DependencyError } from '../../../functions/shared/errors.js';
import { batchGetWithRetry, batchWriteWithRetry, type BatchClient, type WriteRequest } from '../../../functions/shared/storage/batch.js';
import { useTables, type TestTables } from '../../support/use-tables.js';

const fast = { baseDelayMs: 1, maxDelayMs: 5 };

function puts(partition: string, count: number): WriteRequest[] {
  return Array.from({ length: count }, (_, i) => ({ PutRequest: { Item: { pk: partition, sk: String(i).padStart(3, '0'), n: i } } }));
}

async function storedCount(db: TestTables, partition: string): Promise<number> {
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const output = await db.clients.document.send(
      new QueryCommand({
        TableName: db.tables.config.TableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': partition },
        ExclusiveStartKey: startKey,
      }),
    );
    count += output.Count ?? 0;
    startKey = output.LastEvaluatedKey;
  } while (startKey);
  return count;
}

/**
 * The real document client, except that the first BatchWriteItem call writes only half of its items
 * and reports the other half as unprocessed, as DynamoDB does when a partition is at capacity.
 */
function halfUnprocessedOnce(db: TestTables): { client: BatchClient; calls: () => number } {
  const document = db.clients.document;
  let calls = 0;
  const send = async (command: BatchWriteCommand | BatchGetCommand): Promise<BatchWriteCommandOutput | BatchGetCommandOutput> => {
    if (command instanceof BatchGetCommand) return document.send(command);
    calls++;
    const requests = command.input.RequestItems ?? {};
    if (calls > 1) return document.send(command);
    const [table, items] = Object.entries(requests)[0]!;
    const half = Math.ceil(items.length / 2);
    const output = await document.send(new BatchWriteCommand({ RequestItems: { [table]: items.slice(0, half) } }));
    return { ...output, UnprocessedItems: { [table]: items.slice(half) } };
  };
  return { client: { send }, calls: () => calls };
}

describe('batchWriteWithRetry', () => {
  const db = useTables();

  it('retries the items DynamoDB reports as unprocessed until all are stored', async () => {
    const { client, calls } = halfUnprocessedOnce(db);
    const result = await batchWriteWithRetry(client, db.tables.config.TableName, puts('BATCH#half', 60), { ...fast, concurrency: 1 });
    expect(result).toEqual({ written: 60 });
    expect(await storedCount(db, 'BATCH#half')).toBe(60);
    // 60 items are three calls of at most 25, plus the retry of the first call's unprocessed half.
    expect(calls()).toBe(4);
  });

  it('deletes as well as puts', async () => {
    await batchWriteWithRetry(db.clients.document, db.tables.config.TableName, puts('BATCH#delete', 30));
    const deletes: WriteRequest[] = Array.from({ length: 30 }, (_, i) => ({
      DeleteRequest: { Key: { pk: 'BATCH#delete', sk: String(i).padStart(3, '0') } },
    }));
    await batchWriteWithRetry(db.clients.document, db.tables.config.TableName, deletes);
    expect(await storedCount(db, 'BATCH#delete')).toBe(0);
  });

  it('gives up with a 503 when items stay unprocessed', async () => {
    const never: BatchClient = {
      send: ((command: BatchWriteCommand) =>
        Promise.resolve({ $metadata: {}, UnprocessedItems: command.input.RequestItems })) as BatchClient['send'],
    };
    const error = await batchWriteWithRetry(never, db.tables.config.TableName, puts('BATCH#never', 3), { ...fast, maxAttempts: 3 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DependencyError);
    expect((error as Error).message).toBe('storage is unavailable');
    expect((error as Error).cause).toBeInstanceOf(Error);
  });
});

describe('batchGetWithRetry', () => {
  const db = useTables();

  it('reads every key, retrying the keys DynamoDB reports as unprocessed', async () => {
    await batchWriteWithRetry(db.clients.document, db.tables.config.TableName, puts('BATCH#get', 150));
    let calls = 0;
    const client: BatchClient = {
      send: async (command: BatchGetCommand | BatchWriteCommand) => {
        if (!(command instanceof BatchGetCommand)) throw new Error('unexpected write');
        calls++;
        if (calls > 1) return db.clients.document.send(command);
        const [table, request] = Object.entries(command.input.RequestItems ?? {})[0]!;
        const keys = request.Keys ?? [];
        const output = await db.clients.document.send(
          new BatchGetCommand({ RequestItems: { [table]: { ...request, Keys: keys.slice(0, 10) } } }),
        );
        return { ...output, UnprocessedKeys: { [table]: { ...request, Keys: keys.slice(10) } } };
      },
    };
    const keys = Array.from({ length: 150 }, (_, i) => ({ pk: 'BATCH#get', sk: String(i).padStart(3, '0') }));
    const items = await batchGetWithRetry(client, db.tables.config.TableName, keys, { ...fast, consistentRead: true });
    expect(items.map((item) => item.n).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 150 }, (_, i) => i));
  });
});
