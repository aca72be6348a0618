import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { TransactionCanceledException, type CancellationReason } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DependencyError } from '../errors.js';
import { backoffDelay, isRetryableError } from '../retry.js';
import { chunkTransaction, classifyCancellation, undoTransaction, type Plan, type TransactItem } from './config-write-plan.js';

// The transactions of a configuration write: each chunk of the plan in its own TransactWriteItems call,
// committed chunks undone if a later one fails (docs/adr/0002). What to write comes from config-write-plan.ts.

/** Attempts of one transaction that lost a race for the revision item or was throttled. */
const TRANSACTION_ATTEMPTS = 8;

/** A transaction failed on conditions; the reasons say which. Internal: classified before it escapes. */
class ConditionsFailed extends Error {
  constructor(readonly reasons: readonly CancellationReason[]) {
    super('transaction conditions failed');
  }
}

/**
 * Runs one transaction, retrying what is transient: a race for the revision item (TransactionConflict),
 * throttling, 5xx. Failed conditions are final and come back as ConditionsFailed.
 */
async function transact(document: DynamoDBDocumentClient, items: TransactItem[]): Promise<void> {
  // One token per logical attempt: the SDK's own retries of a request whose answer was lost then
  // cannot apply it twice. After a cancellation nothing was applied, so the next attempt gets a new one.
  let token = randomUUID();
  for (let attempt = 1; ; attempt++) {
    try {
      await document.send(new TransactWriteCommand({ TransactItems: items, ClientRequestToken: token }));
      return;
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        const reasons = error.CancellationReasons ?? [];
        if (reasons.some((reason) => reason.Code === 'ConditionalCheckFailed')) throw new ConditionsFailed(reasons);
        const transient = reasons.some(
          (reason) =>
            reason.Code === 'TransactionConflict' || reason.Code === 'ThrottlingError' || reason.Code === 'ProvisionedThroughputExceeded',
        );
        if (!transient || attempt >= TRANSACTION_ATTEMPTS) throw error;
        token = randomUUID();
      } else if (!isRetryableError(error) || attempt >= TRANSACTION_ATTEMPTS) {
        throw error;
      }
      await sleep(backoffDelay(attempt, { baseDelayMs: 20, maxDelayMs: 500 }));
    }
  }
}

/**
 * Undoes chunks that were already committed, newest first. If that fails too, the state is partial: say so.
 */
async function undo(document: DynamoDBDocumentClient, tableName: string, applied: readonly Plan[][], failure: unknown): Promise<void> {
  try {
    for (const chunk of [...applied].reverse()) await transact(document, undoTransaction(tableName, chunk));
  } catch (undoError) {
    const error = new DependencyError(
      'storage is unavailable: the change failed and could not be undone completely, so part of it may be applied',
    );
    error.cause = new AggregateError([failure, undoError], 'a chunked change failed and could not be undone');
    throw error;
  }
}

/**
 * Commits the chunks in order. When one fails, the committed ones are undone and the failure is thrown as
 * the typed error of the change that caused it (StaleRead for an unguarded change that met a newer item).
 */
export async function commitChunks(document: DynamoDBDocumentClient, tableName: string, chunks: readonly Plan[][]): Promise<void> {
  const applied: Plan[][] = [];
  for (const chunk of chunks) {
    try {
      await transact(document, chunkTransaction(tableName, chunk));
    } catch (error) {
      const failure = error instanceof ConditionsFailed ? classifyCancellation(chunk, error.reasons) : error;
      if (applied.length > 0) await undo(document, tableName, applied, failure);
      throw failure;
    }
    applied.push(chunk);
  }
}
