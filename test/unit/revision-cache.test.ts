import { describe, expect, it } from 'vitest';
import { NoConfigurationError, RevisionCache } from '../../functions/shared/revision-cache.js';
import type { ConfigStore } from '../../functions/shared/storage/ports.js';

/** A store whose revision reads can be counted, failed or delayed (the DynamoDB one is covered elsewhere). */
function fakeStore() {
  const state = { revision: 1, fail: false, delayMs: 0, revisionReads: 0, loads: 0 };
  const store = {
    revision: async () => {
      state.revisionReads++;
      if (state.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
      if (state.fail) throw new Error('storage down');
      return state.revision;
    },
  } as unknown as ConfigStore;
  const load = () => {
    state.loads++;
    if (state.fail) return Promise.reject(new Error('storage down'));
    return Promise.resolve({ revision: state.revision, loadedAt: state.loads });
  };
  return { state, store, load };
}

describe('RevisionCache', () => {
  it('reads nothing while fresh, re-checks the revision after the interval and reloads only on change', async () => {
    let now = 0;
    const { state, store, load } = fakeStore();
    const cache = new RevisionCache(store, load, { recheckMs: 1000, now: () => now });
    expect((await cache.get()).loadedAt).toBe(1);
    await cache.get();
    expect(state.revisionReads).toBe(1);
    now += 1001;
    await cache.get();
    expect(state).toMatchObject({ revisionReads: 2, loads: 1 });
    state.revision = 2;
    now += 1001;
    expect(await cache.get()).toEqual({ revision: 2, loadedAt: 2 });
  });

  it('keeps serving the last known good value while storage fails, and backs off for an interval', async () => {
    let now = 0;
    const errors: unknown[] = [];
    const { state, store, load } = fakeStore();
    const cache = new RevisionCache(store, load, { recheckMs: 1000, now: () => now, onRefreshError: (e) => errors.push(e) });
    await cache.get();
    state.fail = true;
    now += 1001;
    expect((await cache.get()).revision).toBe(1);
    expect(errors).toHaveLength(1);
    const reads = state.revisionReads;
    await cache.get();
    expect(state.revisionReads).toBe(reads);
  });

  it('answers from the cache when storage is slower than the budget, and fails without a cache', async () => {
    let now = 0;
    const { state, store, load } = fakeStore();
    const cache = new RevisionCache(store, load, { recheckMs: 0, now: () => now });
    await cache.get();
    state.delayMs = 200;
    state.revision = 5;
    now += 1;
    expect((await cache.get(20)).revision).toBe(1);
    const cold = new RevisionCache(store, load, { recheckMs: 0 });
    await expect(cold.get(20)).rejects.toBeInstanceOf(NoConfigurationError);
  });
});

describe('RevisionCache while storage stalls (stale-while-revalidate)', () => {
  it('serves the cached value at once to calls that find a refresh in flight, and the starter waits only revalidateWaitMs', async () => {
    let now = 0;
    const { state, store, load } = fakeStore();
    const cache = new RevisionCache(store, load, { recheckMs: 10, now: () => now, revalidateWaitMs: 5 });
    await cache.get();
    state.delayMs = 60_000; // never answers within the test
    now += 11;
    const started = performance.now();
    expect((await cache.get(30_000)).revision).toBe(1); // starts the refresh, waits 5 ms
    expect((await cache.get(30_000)).revision).toBe(1); // joins it: no wait at all
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(state.revisionReads).toBe(2);
    now += 500;
    expect(cache.refreshAgeMs()).toBe(500);
  });
});
