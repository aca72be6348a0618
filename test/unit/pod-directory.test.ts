import { describe, expect, it } from 'vitest';
import { CachedPodDirectory } from '../../functions/shared/storage/DynamoPodDirectory.js';
import type { PodDirectory } from '../../functions/shared/storage/ports.js';
import type { PodIdentity, PodLesson } from '../../layers/core/index.js';

/** A directory that counts what reaches it (the DynamoDB one is exercised by the webhook tests). */
function countingDirectory() {
  const stored = new Map<string, readonly PodIdentity[]>();
  const calls = { learn: 0, lookup: 0 };
  const inner: PodDirectory = {
    learn: (cluster, lesson) => {
      calls.learn++;
      stored.set(`${cluster}/${lesson.namespace}/${lesson.name ?? lesson.generateName}`, lesson.requested);
      return Promise.resolve();
    },
    lookup: (cluster, namespace, name) => {
      calls.lookup++;
      return Promise.resolve(stored.get(`${cluster}/${namespace}/${name}`) ?? []);
    },
  };
  return { inner, calls };
}

const pod = (labels: Record<string, string>): PodLesson => ({
  namespace: 'default',
  name: 'web-0',
  requested: [{ namespace: 'default', name: 'web-0', labels, containers: [{ name: 'web', image: 'nginx' }] }],
});

describe('CachedPodDirectory', () => {
  it('passes a lesson on once while it stays the same, and again when it changes or the hour is up', async () => {
    let now = 0;
    const { inner, calls } = countingDirectory();
    const directory = new CachedPodDirectory(inner, { maxEntries: 10, ttlMs: 60_000, now: () => now });
    await directory.learn('c', pod({ app: 'web' }), 86_400);
    await directory.learn('c', pod({ app: 'web' }), 86_400);
    expect(calls.learn).toBe(1);
    await directory.learn('c', pod({ app: 'web', tier: 'gold' }), 86_400);
    expect(calls.learn).toBe(2);
    now += 3_600_001;
    await directory.learn('c', pod({ app: 'web', tier: 'gold' }), 86_400);
    expect(calls.learn).toBe(3);
  });

  it('answers recent lookups from memory, misses included, until they expire', async () => {
    let now = 0;
    const { inner, calls } = countingDirectory();
    const directory = new CachedPodDirectory(inner, { maxEntries: 10, ttlMs: 1_000, now: () => now });
    expect(await directory.lookup('c', 'default', 'web-0')).toEqual([]);
    expect(await directory.lookup('c', 'default', 'web-0')).toEqual([]);
    expect(calls.lookup).toBe(1);
    await inner.learn('c', pod({ app: 'web' }), 1);
    now += 1_001;
    expect((await directory.lookup('c', 'default', 'web-0'))[0]?.labels).toEqual({ app: 'web' });
    expect(calls.lookup).toBe(2);
  });
});
