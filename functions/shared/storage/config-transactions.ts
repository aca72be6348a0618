import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  TransactionCanceledException,
  TransactWriteItemsCommand,
  type CancellationReason,
  type TransactWriteItem,
  type TransactWriteItemsCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { backoffDelay, isRetryableError } from '../retry.js';
import { chunkTransaction, classifyCancellation, type Plan, type TransactItem } from './config-write-plan.js';

// The transactions of a configuration write. A change that fits one transaction is committed here; larger
// ones are staged and committed by one switch (config-staging.ts, docs/adr/0009). What to write comes from
// config-write-plan.ts.

/** Attempts of one transaction that lost a race for the revision item or was throttled. */
const TRANSACTION_ATTEMPTS = 8;

/** A transaction failed on conditions; the reasons say which. Internal: classified before it escapes storage. */
export class ConditionsFailed extends Error {
  constructor(readonly reasons: readonly CancellationReason[]) {
    super('transaction conditions failed');
  }
}

/**
 * Runs one transaction, retrying what is transient: a race for the revision item (TransactionConflict),
 * throttling, 5xx. Failed conditions are final and come back as ConditionsFailed.
 */
export async function transact(document: DynamoDBDocumentClient, items: TransactItem[]): Promise<void> {
  await withTransactionRetries((token) => document.send(new TransactWriteCommand({ TransactItems: items, ClientRequestToken: token })));
}

/**
 * The one method transactMarshalled uses. The document client passes the low-level command through as it is
 * (its items are AttributeValue maps already), so either client serves.
 */
export interface MarshalledTransactClient {
  send(command: TransactWriteItemsCommand): Promise<TransactWriteItemsCommandOutput>;
}

/**
 * `transact` for items whose AttributeValues the caller built (audit-items.ts): the document client's
 * marshalling of every item is left out. For the audit store's hot path; retries and errors as `transact`.
 */
export async function transactMarshalled(client: MarshalledTransactClient, items: TransactWriteItem[]): Promise<void> {
  await withTransactionRetries((token) => client.send(new TransactWriteItemsCommand({ TransactItems: items, ClientRequestToken: token })));
}

/** The retry loop of both forms: `send` makes one attempt with the token it is given. */
async function withTransactionRetries(send: (token: string) => Promise<unknown>): Promise<void> {
  // One token per logical attempt: the SDK's own retries of a request whose answer was lost then
  // cannot apply it twice. After a cancellation nothing was applied, so the next attempt gets a new one.
  let token = randomUUID();
  for (let attempt = 1; ; attempt++) {
    try {
      await send(token);
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
 * Commits a change that fits one transaction. A failed condition is thrown as the typed error of the change
 * that caused it (StaleRead for an unguarded change that met a newer item, ImportPending while a staged
 * import is being applied).
 */
export async function commitAtOnce(document: DynamoDBDocumentClient, tableName: string, plans: readonly Plan[]): Promise<void> {
  try {
    await transact(document, chunkTransaction(tableName, plans));
  } catch (error) {
    throw error instanceof ConditionsFailed ? classifyCancellation(plans, error.reasons) : error;
  }
}
