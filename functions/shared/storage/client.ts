import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ApiError, DependencyError } from '../errors.js';
import { BOUNDED_ATTEMPTS, boundEveryCall } from '../call-budget.js';

/** Where the adapters find DynamoDB, and how long they wait for it. */
export interface DynamoClientOptions {
  /**
   * An explicit endpoint, e.g. `http://127.0.0.1:8000`. Only DynamoDB Local is reached this way (local mode
   * and tests), so it gets placeholder credentials: DynamoDB Local accepts any signature.
   * @default the regional AWS endpoint
   */
  readonly endpoint?: string | undefined;
  /** @default the SDK's own resolution (AWS_REGION in Lambda); `local` with an explicit endpoint */
  readonly region?: string | undefined;
  /**
   * The most one storage call may take, the SDK's own retries included; then it fails with a
   * `StorageTimeoutError` (a 503 on the API), and its attempt in flight is aborted and no further one sent.
   * @default STORAGE_CALL_BUDGET_MS
   */
  readonly callBudgetMs?: number | undefined;
}

/** The low-level client (table management) and the document client (everything else). */
export interface DynamoClients {
  readonly client: DynamoDBClient;
  readonly document: DynamoDBDocumentClient;
}

/**
 * How long one storage call may take in all. Well under API Gateway's 30 s integration limit and the
 * enforcer function's 10 s timeout, so that a stalled DynamoDB is answered with a retryable 503 by the
 * handler instead of a 500 by the platform; far above what a healthy table needs (milliseconds).
 */
export const STORAGE_CALL_BUDGET_MS = 8_000;

/** A storage call ran out of its budget. Not retried: the budget is what the caller could afford. */
export class StorageTimeoutError extends Error {
  constructor(
    readonly operation: string,
    readonly budgetMs: number,
  ) {
    super(`DynamoDB did not answer ${operation} within ${budgetMs} ms`);
    this.name = 'StorageTimeoutError';
  }
}

/** Builds the DynamoDB clients once per Lambda instance (or once for local mode). */
export function createDynamoClients(options: DynamoClientOptions = {}): DynamoClients {
  // Late attempts fail and are retried, and the budget below bounds the retries of one call (call-budget.ts).
  const requestHandler = BOUNDED_ATTEMPTS;
  const client = options.endpoint
    ? new DynamoDBClient({
        endpoint: options.endpoint,
        // DynamoDB Local keys nothing on the region with -sharedDb; any valid label signs.
        region: options.region ?? 'local',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        requestHandler,
      })
    : new DynamoDBClient({ ...(options.region ? { region: options.region } : {}), requestHandler });
  const document = DynamoDBDocumentClient.from(client, {
    marshallOptions: {
      // Optional fields of zod outputs are `undefined`; DynamoDB has no such value.
      removeUndefinedValues: true,
      // Documents are plain JSON; a class instance here is a bug that must fail loudly.
      convertClassInstanceToMap: false,
    },
  });
  const budgetMs = options.callBudgetMs ?? STORAGE_CALL_BUDGET_MS;
  // On the low-level client's stack, which the document client shares: every call of both is bounded.
  boundEveryCall(client, budgetMs, (operation) => new StorageTimeoutError(operation, budgetMs), [client, document]);
  return { client, document };
}

/**
 * Maps any failure of a storage call to what the API may show: typed errors pass through, everything
 * else becomes a 503 `DependencyError` whose `cause` keeps the SDK error for the logs.
 */
export function storageError(cause: unknown): Error {
  if (cause instanceof ApiError) return cause;
  const error = new DependencyError('storage is unavailable');
  error.cause = cause;
  return error;
}
