import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { auditEventSchema, type AuditEvent } from '../../../layers/core/index.js';
import { BadRequestError } from '../../../functions/shared/errors.js';
import { createDynamoClients } from '../../../functions/shared/storage/client.js';
import { DynamoAuditStore } from '../../../functions/shared/storage/DynamoAuditStore.js';
import type { AuditQuery } from '../../../functions/shared/storage/ports.js';
import { useTables, type TestTables } from '../../support/use-tables.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** A fixed "now" for the stores under test, so that day walks are deterministic. */
const NOW = Date.parse('2026-11-28T12:00:00.000Z');

interface EventOptions {
  readonly status?: 'Detect' | 'Block';
  readonly policy?: string;
  readonly policyType?: 'container' | 'function' | 'host';
  readonly cluster?: string | null;
  readonly namespace?: string | null;
}

function auditEvent(id: string, time: number | string, options: EventOptions = {}): AuditEvent {
  const type = options.policyType ?? 'container';
  return auditEventSchema.parse({
    id,
    time: typeof time === 'number' ? new Date(time).toISOString() : time,
    status: options.status ?? 'Detect',
    policy: options.policy ?? 'exec-guard',
    policyType: type,
    policyVersion: 3,
    control: 'blockContainerExec',
    controlName: 'Block Container Exec',
    enforcementMode: 'audit',
    action: 'exec',
    message: 'exec of "sh" is not an allowed process',
    workload: {
      cluster: options.cluster === undefined ? (type === 'container' ? 'prod' : null) : options.cluster,
      namespace: options.namespace === undefined ? (type === 'container' ? 'default' : null) : options.namespace,
      pod: type === 'container' ? 'test-nginx' : null,
      container: type === 'container' ? 'nginx' : null,
      image: type === 'container' ? 'nginx:latest' : null,
      function: type === 'function' ? 'checkout' : null,
      host: type === 'host' ? 'node-1' : null,
    },
    user: { name: 'alice', groups: ['sre'] },
    command: ['sh'],
    enforcer: { group: 'default-ke', type: 'kube_enforcer', id: null },
  });
}

/** A store over the same table whose clock says NOW. */
function storeAtNow(db: TestTables): DynamoAuditStore {
  return new DynamoAuditStore(db.clients.document, db.tables.audit.TableName, { clock: () => new Date(NOW) });
}

/** All pages of a query, each page's ids. */
async function allPages(store: DynamoAuditStore, query: Omit<AuditQuery, 'cursor'>): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await store.query({ ...query, cursor });
    pages.push(page.items.map((event) => event.id));
    cursor = page.nextCursor;
  } while (cursor && pages.length < 100);
  return pages;
}

describe('DynamoAuditStore writes', () => {
  const db = useTables();

  it('stores an event and reads it back by id', async () => {
    const event = auditEvent('w-1', NOW);
    expect(await db.auditStore.put([event], 90)).toEqual({ accepted: 1, duplicates: 0 });
    expect(await db.auditStore.get('w-1')).toEqual(event);
    expect(await db.auditStore.get('missing')).toBeUndefined();
  });

  it('stores a re-sent id once and counts it as a duplicate', async () => {
    const events = [auditEvent('d-1', NOW), auditEvent('d-2', NOW), auditEvent('d-3', NOW)];
    expect(await db.auditStore.put(events, 90)).toEqual({ accepted: 3, duplicates: 0 });
    expect(await db.auditStore.put([events[0]!, auditEvent('d-4', NOW), { ...events[2]!, message: 'changed' }], 90)).toEqual({
      accepted: 1,
      duplicates: 2,
    });
    expect((await db.auditStore.get('d-3'))?.message).toBe(events[2]!.message);
    // The same id twice in one call: one write wins.
    expect(await db.auditStore.put([auditEvent('d-5', NOW), auditEvent('d-5', NOW)], 90)).toEqual({ accepted: 1, duplicates: 1 });
  });

  it('writes many events with bounded concurrency', async () => {
    const events = Array.from({ length: 120 }, (_, i) => auditEvent(`bulk-${i}`, NOW - i * 1000));
    expect(await db.auditStore.put(events, 90)).toEqual({ accepted: 120, duplicates: 0 });
    expect(await db.auditStore.get('bulk-119')).toEqual(events[119]);
  });

  it('stores a batch over several transactions where some events exist: the rest are stored, the existing counted and never overwritten', async () => {
    const existing = [3, 97, 100, 101, 180, 249].map((i) => auditEvent(`mix-${i}`, NOW - i));
    expect(await db.auditStore.put(existing, 90)).toEqual({ accepted: 6, duplicates: 0 });
    // 250 events are three transactions; every one of them meets an existing event, and ids 7 and 150 come twice.
    const batch = Array.from({ length: 250 }, (_, i) => ({ ...auditEvent(`mix-${i}`, NOW - i), message: 'sent again' }));
    batch.push({ ...batch[7]! }, { ...batch[150]! });
    expect(await db.auditStore.put(batch, 90)).toEqual({ accepted: 244, duplicates: 8 });
    for (const event of existing) expect((await db.auditStore.get(event.id))?.message).toBe(event.message);
    expect((await db.auditStore.get('mix-0'))?.message).toBe('sent again');
    expect((await db.auditStore.get('mix-248'))?.message).toBe('sent again');
    // Everything sent again: all duplicates, nothing written.
    expect(await db.auditStore.put(batch, 90)).toEqual({ accepted: 0, duplicates: 252 });
  });

  it('stores each event once when overlapping batches race (transactions conflicting on the same items)', async () => {
    const events = Array.from({ length: 300 }, (_, i) => auditEvent(`race-${i}`, NOW - i));
    const results = await Promise.all([
      db.auditStore.put(events.slice(0, 200), 90),
      db.auditStore.put(events.slice(100, 300), 90),
      db.auditStore.put(events.slice(50, 250), 90),
    ]);
    expect(results.reduce((sum, result) => sum + result.accepted, 0)).toBe(300);
    expect(results.reduce((sum, result) => sum + result.duplicates, 0)).toBe(300);
    for (const i of [0, 99, 100, 199, 200, 299]) expect(await db.auditStore.get(`race-${i}`)).toEqual(events[i]);
  });

  it('cuts large events into transactions under DynamoDB’s 4 MB, so that a batch of them is stored whole', async () => {
    // Every field near its bound in 3-byte characters: about 115 KB of JSON each, 36 of them over 4 MB.
    const wide = (length: number) => '€'.repeat(length);
    const events = Array.from({ length: 36 }, (_, i) => {
      const event = auditEvent(`large-${i}`, NOW - i);
      return auditEventSchema.parse({
        ...event,
        message: wide(2048),
        workload: Object.fromEntries(Object.keys(event.workload).map((field) => [field, wide(1024)])),
        user: { name: wide(1024), groups: Array.from({ length: 4 }, () => wide(1024)) },
        command: Array.from({ length: 4 }, () => wide(4096)),
        unresolved: Array.from({ length: 64 }, () => wide(128)),
      });
    });
    expect(Buffer.byteLength(JSON.stringify(events))).toBeGreaterThan(4_100_000);
    expect(await db.auditStore.put(events, 90)).toEqual({ accepted: 36, duplicates: 0 });
    expect(await db.auditStore.get('large-35')).toEqual(events[35]);
  });

  it('sets the TTL attribute from the event time and the retention', async () => {
    const time = Date.parse('2026-11-01T10:30:00.500Z');
    await db.auditStore.put([auditEvent('ttl-1', time)], 30);
    const output = await db.clients.document.send(new GetCommand({ TableName: db.tables.audit.TableName, Key: { pk: 'EVENT#ttl-1' } }));
    expect(output.Item?.[db.tables.auditTtlAttribute]).toBe(Math.floor(time / 1000) + 30 * 86_400);
  });

  it('rejects invalid events with their paths and writes none of the batch', async () => {
    const good = auditEvent('valid-but-not-written', NOW);
    const bad = { ...auditEvent('bad', NOW), status: 'Maybe', extra: true } as unknown as AuditEvent;
    const error = await db.auditStore.put([good, bad], 90).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    const paths = (error as BadRequestError).details.map((detail) => detail.path);
    expect(paths).toContain('events[1].status');
    expect(paths.some((path) => path.startsWith('events[1]') && path !== 'events[1].status')).toBe(true);
    expect(await db.auditStore.get('valid-but-not-written')).toBeUndefined();
  });
});

describe('DynamoAuditStore queries', () => {
  const db = useTables();
  // Ten events over six days, in no particular order of writing.
  const events = [
    auditEvent('e-01', NOW - 5 * DAY, { policy: 'exec-guard', cluster: 'prod', namespace: 'payments' }),
    auditEvent('e-02', NOW - 4 * DAY - 3 * HOUR, { policy: 'drift', cluster: 'staging', namespace: 'default', status: 'Block' }),
    auditEvent('e-03', NOW - 2 * DAY, { policy: 'exec-guard', cluster: 'staging', namespace: 'payments' }),
    auditEvent('e-04', NOW - 2 * DAY + HOUR, { policy: 'lambda-guard', policyType: 'function' }),
    auditEvent('e-05', NOW - DAY - 11 * HOUR, { policy: 'exec-guard', cluster: 'prod', namespace: 'default', status: 'Block' }),
    auditEvent('e-06', NOW - DAY, { policy: 'drift', cluster: 'prod', namespace: 'payments' }),
    auditEvent('e-07', NOW - 6 * HOUR, { policy: 'exec-guard', cluster: 'prod', namespace: 'default' }),
    auditEvent('e-08', NOW - 2 * HOUR, { policy: 'host-guard', policyType: 'host', status: 'Block' }),
    auditEvent('e-09', NOW - HOUR, { policy: 'exec-guard', cluster: 'staging', namespace: 'default', status: 'Block' }),
    auditEvent('e-10', NOW - 1, { policy: 'drift', cluster: 'prod', namespace: 'default' }),
  ];
  const newestFirst = [...events].sort((a, b) => b.time.localeCompare(a.time)).map((event) => event.id);
  const ids = (predicate: (event: AuditEvent) => boolean) =>
    events
      .filter(predicate)
      .sort((a, b) => b.time.localeCompare(a.time))
      .map((event) => event.id);

  it('lists all events newest first across days', async () => {
    await db.auditStore.put([...events].reverse(), 90);
    const store = storeAtNow(db);
    const page = await store.query({ limit: 50, since: new Date(NOW - 30 * DAY).toISOString() });
    expect(page.items.map((event) => event.id)).toEqual(newestFirst);
    expect(page.nextCursor).toBeUndefined();
  });

  it('pages across day partitions with a cursor, without gaps or repeats', async () => {
    const pages = await allPages(storeAtNow(db), { limit: 3, since: new Date(NOW - 30 * DAY).toISOString() });
    expect(pages).toEqual([newestFirst.slice(0, 3), newestFirst.slice(3, 6), newestFirst.slice(6, 9), newestFirst.slice(9)]);
  });

  it('bounds by since and until, both inclusive', async () => {
    const store = storeAtNow(db);
    const since = events[2]!.time;
    const until = events[6]!.time;
    const page = await store.query({ limit: 50, since, until });
    expect(page.items.map((event) => event.id)).toEqual(['e-07', 'e-06', 'e-05', 'e-04', 'e-03']);
    expect((await store.query({ limit: 50, since: new Date(NOW - 90 * 60_000).toISOString() })).items.map((event) => event.id)).toEqual([
      'e-10',
      'e-09',
    ]);
    expect(
      (await store.query({ limit: 50, until: events[1]!.time, since: new Date(NOW - 30 * DAY).toISOString() })).items.map(
        (event) => event.id,
      ),
    ).toEqual(['e-02', 'e-01']);
    expect(await store.query({ limit: 50, since: until, until: since })).toEqual({ items: [] });
  });

  it('finds events of one policy, cluster or namespace through their indexes', async () => {
    const store = storeAtNow(db);
    expect((await store.query({ limit: 50, policy: 'exec-guard' })).items.map((event) => event.id)).toEqual(
      ids((event) => event.policy === 'exec-guard'),
    );
    expect((await store.query({ limit: 50, cluster: 'staging' })).items.map((event) => event.id)).toEqual(
      ids((event) => event.workload.cluster === 'staging'),
    );
    expect((await store.query({ limit: 50, namespace: 'payments' })).items.map((event) => event.id)).toEqual(
      ids((event) => event.workload.namespace === 'payments'),
    );
    expect((await store.query({ limit: 50, policy: 'nobody' })).items).toEqual([]);
  });

  it('combines criteria: one picks the index, the others filter', async () => {
    const store = storeAtNow(db);
    expect(
      (await store.query({ limit: 50, policy: 'exec-guard', cluster: 'prod', namespace: 'default' })).items.map((event) => event.id),
    ).toEqual(['e-07', 'e-05']);
    expect((await store.query({ limit: 50, cluster: 'prod', status: 'Block' })).items.map((event) => event.id)).toEqual(['e-05']);
    expect(
      (await store.query({ limit: 50, namespace: 'default', since: new Date(NOW - 3 * HOUR).toISOString() })).items.map(
        (event) => event.id,
      ),
    ).toEqual(['e-10', 'e-09']);
  });

  it('filters by status and type on time-only queries', async () => {
    const store = storeAtNow(db);
    const since = new Date(NOW - 30 * DAY).toISOString();
    expect((await store.query({ limit: 50, since, status: 'Block' })).items.map((event) => event.id)).toEqual(
      ids((event) => event.status === 'Block'),
    );
    expect((await store.query({ limit: 50, since, type: 'function' })).items.map((event) => event.id)).toEqual(['e-04']);
    expect((await store.query({ limit: 50, since, type: 'host', status: 'Block' })).items.map((event) => event.id)).toEqual(['e-08']);
    // Filtered pages are still full pages. A full page does not look further for one more event, so the
    // cursor after the last full page leads to an empty page.
    expect(await allPages(store, { limit: 2, since, status: 'Block' })).toEqual([['e-09', 'e-08'], ['e-05', 'e-02'], []]);
  });

  it('pages through one policy with a cursor', async () => {
    const pages = await allPages(storeAtNow(db), { limit: 2, policy: 'exec-guard' });
    expect(pages.flat()).toEqual(ids((event) => event.policy === 'exec-guard'));
    expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
  });

  it('keeps events without a cluster out of cluster queries but not out of time queries', async () => {
    const store = storeAtNow(db);
    const clusterIds = [
      ...(await store.query({ limit: 50, cluster: 'prod' })).items,
      ...(await store.query({ limit: 50, cluster: 'staging' })).items,
    ].map((event) => event.id);
    expect(clusterIds).not.toContain('e-04');
    expect(clusterIds).not.toContain('e-08');
  });

  it('stops walking days once the page is full, instead of walking every day to learn whether more exist', async () => {
    const counted = createDynamoClients({ endpoint: db.endpoint });
    let queries = 0;
    counted.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'QueryCommand') queries++;
        return next(args);
      },
      { step: 'initialize', name: 'countQueries' },
    );
    try {
      const store = new DynamoAuditStore(counted.document, db.tables.audit.TableName, { clock: () => new Date(NOW) });
      // No lower bound: the walk may go back 3650 days. The ten events lie in the newest six, plus tomorrow.
      const page = await store.query({ limit: events.length });
      expect(page.items.map((event) => event.id)).toEqual(newestFirst);
      expect(page.nextCursor).toBeDefined();
      expect(queries).toBeLessThanOrEqual(7);
      queries = 0;
      const short = await store.query({ limit: 50, since: new Date(NOW - 3 * HOUR).toISOString() });
      expect(short.items.map((event) => event.id)).toEqual(['e-10', 'e-09', 'e-08']);
      expect(short.nextCursor).toBeUndefined();
      expect(queries).toBeLessThanOrEqual(2);
    } finally {
      counted.client.destroy();
    }
  });

  it('starts at the day after now without bounds, so that events from fast clocks are listed', async () => {
    await db.auditStore.put([auditEvent('from-the-future', NOW + 2 * HOUR)], 90);
    const page = await storeAtNow(db).query({ limit: 2 });
    expect(page.items.map((event) => event.id)).toEqual(['from-the-future', 'e-10']);
  });

  it('answers a cursor after walking its budget of empty days, and continues from there', async () => {
    const store = storeAtNow(db);
    const until = new Date(NOW - 10 * DAY).toISOString();
    const since = new Date(NOW - 600 * DAY).toISOString();
    const first = await store.query({ limit: 10, since, until });
    expect(first.items).toEqual([]);
    expect(first.nextCursor).toBeDefined();
    const second = await store.query({ limit: 10, since, until, cursor: first.nextCursor });
    expect(second).toEqual({ items: [] });
  });

  it('rejects malformed cursors and cursors of another query', async () => {
    const store = storeAtNow(db);
    const byPolicy = await store.query({ limit: 1, policy: 'exec-guard' });
    const byDay = await store.query({ limit: 1, since: new Date(NOW - 30 * DAY).toISOString() });
    const cases: Array<[AuditQuery, string]> = [
      [{ limit: 1 }, 'garbage!'],
      [{ limit: 1 }, Buffer.from('not json').toString('base64url')],
      [{ limit: 1 }, Buffer.from('{"v":1,"i":"byDay","d":"yesterday"}').toString('base64url')],
      [{ limit: 1, policy: 'exec-guard' }, Buffer.from('{"v":2,"i":"byPolicy"}').toString('base64url')],
      [{ limit: 1, cluster: 'prod' }, byPolicy.nextCursor!],
      [{ limit: 1, policy: 'drift' }, byPolicy.nextCursor!],
      [{ limit: 1, policy: 'exec-guard' }, byDay.nextCursor!],
      // The position lies outside the requested range.
      [{ limit: 1, policy: 'exec-guard', until: new Date(NOW - 2 * DAY).toISOString() }, byPolicy.nextCursor!],
    ];
    for (const [query, cursor] of cases) {
      const error = await store.query({ ...query, cursor }).catch((e: unknown) => e);
      expect(error, cursor).toBeInstanceOf(BadRequestError);
      expect((error as Error).message).toBe('invalid cursor');
    }
  });

  it('rejects an invalid time bound as a bad request', async () => {
    await expect(db.auditStore.query({ limit: 5, since: 'last tuesday' })).rejects.toThrow(BadRequestError);
  });
});
