/** What `within` answers when the promise did not settle in time. */
export const TIMED_OUT = Symbol('timed out');

/** The promise's outcome, or TIMED_OUT after `ms` (waits forever with an infinite budget; rejections pass). */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  if (ms === Number.POSITIVE_INFINITY) return promise;
  if (ms <= 0) {
    // Nobody will wait for the promise: observe its failure so it cannot surface as an unhandled rejection.
    promise.catch(() => undefined);
    return Promise.resolve(TIMED_OUT);
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(TIMED_OUT), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
