import { setTimeout as sleep } from 'node:timers/promises';

// The one home of retrying and bounded concurrency: full-jitter backoff, which failures are worth another
// try, and a pool that keeps at most N calls in flight. The SDK already retries throttled requests a few
// times; these cover what it cannot (whole operations a caller wants to keep trying a little longer).

/** How hard to try before giving up. */
export interface RetryOptions {
  /** @default 5 */
  readonly maxAttempts?: number;
  /** First delay cap; doubles per attempt. @default 25 */
  readonly baseDelayMs?: number;
  /** @default 1000 */
  readonly maxDelayMs?: number;
}

/** Full-jitter exponential backoff: a random wait up to `base * 2^attempt`, capped. */
export function backoffDelay(attempt: number, options: RetryOptions = {}): number {
  const base = options.baseDelayMs ?? 25;
  const cap = options.maxDelayMs ?? 1000;
  return Math.random() * Math.min(cap, base * 2 ** attempt);
}

const retryableNames = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionInProgressException',
  'LimitExceededException',
]);

/** True for failures that may pass when tried again: throttling, 5xx and network errors. */
export function isRetryableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (retryableNames.has(error.name)) return true;
  const meta = error as Error & { $retryable?: unknown; $metadata?: { httpStatusCode?: number }; code?: string };
  if (meta.$retryable) return true;
  const status = meta.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  // Connection-level failures carry no HTTP status.
  return status === undefined && typeof meta.code === 'string' && ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE'].includes(meta.code);
}

/** Runs `operation` until it succeeds, retrying retryable failures with backoff; rethrows the rest. */
export async function withRetry<T>(operation: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= maxAttempts || !isRetryableError(error)) throw error;
      await sleep(backoffDelay(attempt, options));
    }
  }
}

/** Maps `items` with at most `concurrency` calls in flight; results keep the input order. */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
