import { setTimeout as sleep } from 'node:timers/promises';
import {
  BatchWriteItemCommand,
  type BatchWriteItemCommandOutput,
  type WriteRequest as MarshalledWriteRequest,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  QueryCommand,
  type BatchGetCommandInput,
  type BatchGetCommandOutput,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { backoffDelay, mapWithConcurrency, withRetry, type RetryOptions } from '../retry.js';
import { storageError } from './client.js';

// Batching shared by the DynamoDB adapters. The SDK already retries throttled requests a few times;
// these loops cover what it cannot: items DynamoDB reports as unprocessed (retried as ../retry.ts says).

/** Splits `items` into chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** The one method of the document client the batch helpers use (tests wrap it). */
export interface BatchClient {
  send(command: BatchWriteCommand): Promise<BatchWriteCommandOutput>;
  send(command: BatchGetCommand): Promise<BatchGetCommandOutput>;
}

/**
 * The one method batchWriteMarshalledWithRetry uses. The document client passes the low-level command through
 * as it is (its items are AttributeValue maps already), so either client serves.
 */
export interface MarshalledBatchClient {
  send(command: BatchWriteItemCommand): Promise<BatchWriteItemCommandOutput>;
}

/** One put or delete of a BatchWriteItem call, in document-client form. */
export type WriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];

/** BatchWriteItem takes at most 25 requests. */
export const BATCH_WRITE_LIMIT = 25;

/**
 * Writes all requests to one table with BatchWriteItem, 25 per call and a few calls in flight, retrying
 * what DynamoDB returns as UnprocessedItems with backoff. Not atomic and not conditional: for bulk
 * deletes and loads where every item is independent. Throws DependencyError if items stay unprocessed.
 */
export async function batchWriteWithRetry(
  client: BatchClient,
  tableName: string,
  requests: readonly WriteRequest[],
  options: RetryOptions & { readonly concurrency?: number } = {},
): Promise<{ written: number }> {
  return writeInBatches(
    tableName,
    requests,
    async (batch) => {
      const output = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: batch } }));
      return output.UnprocessedItems?.[tableName] ?? [];
    },
    options,
  );
}

/**
 * batchWriteWithRetry for requests whose items are AttributeValue maps already: the document client's
 * marshalling (a walk over every value of every item, then the same walk again by the SDK's serializer)
 * is left out. For hot paths that build their items' AttributeValues themselves (audit-items.ts).
 */
export async function batchWriteMarshalledWithRetry(
  client: MarshalledBatchClient,
  tableName: string,
  requests: readonly MarshalledWriteRequest[],
  options: RetryOptions & { readonly concurrency?: number } = {},
): Promise<{ written: number }> {
  return writeInBatches(
    tableName,
    requests,
    async (batch) => {
      const output = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: batch } }));
      return output.UnprocessedItems?.[tableName] ?? [];
    },
    options,
  );
}

/** The loop of both: chunks of 25, a few in flight, what comes back unprocessed sent again after a backoff. */
async function writeInBatches<R>(
  tableName: string,
  requests: readonly R[],
  write: (batch: R[]) => Promise<R[]>,
  options: RetryOptions & { readonly concurrency?: number },
): Promise<{ written: number }> {
  const maxAttempts = options.maxAttempts ?? 8;
  await mapWithConcurrency(chunk(requests, BATCH_WRITE_LIMIT), options.concurrency ?? 4, async (batch) => {
    let pending: R[] = batch;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const sending = pending;
      pending = await withRetry(() => write(sending), options);
      if (pending.length === 0) break;
      if (attempt >= maxAttempts) throw storageError(new Error(`${pending.length} items stayed unprocessed in ${tableName}`));
      // Unprocessed items mean the table or a partition is at capacity: give it time.
      await sleep(backoffDelay(attempt, options));
    }
  });
  return { written: requests.length };
}

/** BatchGetItem takes at most 100 keys. */
export const BATCH_GET_LIMIT = 100;

/**
 * Reads items by key from one table with BatchGetItem, retrying UnprocessedKeys with backoff.
 * Keys are deduplicated by the caller; the result is in no particular order.
 */
export async function batchGetWithRetry(
  client: BatchClient,
  tableName: string,
  keys: readonly Record<string, unknown>[],
  options: RetryOptions & { readonly consistentRead?: boolean } = {},
): Promise<Record<string, unknown>[]> {
  const maxAttempts = options.maxAttempts ?? 8;
  const pages = await mapWithConcurrency(chunk(keys, BATCH_GET_LIMIT), 4, async (batch) => {
    const found: Record<string, unknown>[] = [];
    let pending: BatchGetCommandInput['RequestItems'] = { [tableName]: { Keys: batch, ConsistentRead: options.consistentRead ?? false } };
    for (let attempt = 1; pending; attempt++) {
      const request: BatchGetCommandInput['RequestItems'] = pending;
      const output: BatchGetCommandOutput = await withRetry(() => client.send(new BatchGetCommand({ RequestItems: request })), options);
      found.push(...(output.Responses?.[tableName] ?? []));
      const unprocessed = output.UnprocessedKeys?.[tableName];
      pending = unprocessed?.Keys?.length ? { [tableName]: unprocessed } : undefined;
      if (!pending) break;
      if (attempt >= maxAttempts)
        throw storageError(new Error(`${unprocessed?.Keys?.length ?? 0} keys stayed unprocessed in ${tableName}`));
      await sleep(backoffDelay(attempt, options));
    }
    return found;
  });
  return pages.flat();
}

/** Deletes every item of one partition (`pk`), reading only the keys, all pages of them. */
export async function deletePartition(document: DynamoDBDocumentClient, tableName: string, pk: string): Promise<void> {
  const keys: { pk: string; sk: string }[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await document.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ProjectionExpression: 'pk, sk',
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) keys.push({ pk: String(item.pk), sk: String(item.sk) });
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  await batchWriteWithRetry(
    document,
    tableName,
    keys.map((key) => ({ DeleteRequest: { Key: key } })),
  );
}
