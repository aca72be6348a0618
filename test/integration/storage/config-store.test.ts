import { describe, expect, it } from 'vitest';
import {
  applicationScopeSchema,
  enforcerGroupSchema,
  enforcerSettingsSchema,
  policySchema,
  type PolicyInput,
} from '../../../layers/core/index.js';
import { BadRequestError, ConflictError, NotFoundError, VersionMismatchError } from '../../../functions/shared/errors.js';
import { MAX_PAGE_BYTES } from '../../../functions/shared/storage/config-reads.js';
import { DynamoConfigStore } from '../../../functions/shared/storage/DynamoConfigStore.js';
import type { ConfigChange, ConfigKind } from '../../../functions/shared/storage/ports.js';
import { useTables } from '../../support/use-tables.js';

const admin = 'arn:aws:iam::123456789012:role/vigil-admin';
const other = 'arn:aws:iam::123456789012:role/other-admin';

function policy(name: string, extra: Partial<PolicyInput> = {}) {
  return policySchema.parse({ name, type: 'container', ...extra });
}

function create(kind: ConfigKind, name: string, doc: object): ConfigChange {
  return { op: 'create', kind, name, doc };
}

describe('DynamoConfigStore items', () => {
  const db = useTables();

  it('creates an item at version 1 and reads it back with server-managed metadata', async () => {
    const [created] = await db.configStore.apply(
      [create('policy', 'exec-guard', policy('exec-guard', { description: 'no shells' }))],
      admin,
    );
    expect(created).toMatchObject({ name: 'exec-guard', description: 'no shells', version: 1, updatedBy: admin });
    const read = await db.configStore.get('policy', 'exec-guard');
    expect(read).toEqual(created);
    expect(read?.createdAt).toBe(read?.updatedAt);
    expect(Date.parse(read?.createdAt ?? '')).not.toBeNaN();
  });

  it('ignores server-managed fields sent in the document', async () => {
    const doc = { ...policy('sent-fields'), version: 42, createdAt: '2000-01-01T00:00:00.000Z', updatedBy: 'someone-else' };
    const [created] = await db.configStore.apply([create('policy', 'sent-fields', doc)], admin);
    expect(created).toMatchObject({ version: 1, updatedBy: admin });
    expect(created?.createdAt).not.toBe('2000-01-01T00:00:00.000Z');
  });

  it('answers undefined for an item that does not exist', async () => {
    expect(await db.configStore.get('policy', 'nothing-here')).toBeUndefined();
  });

  it('bumps the version on replace, keeps createdAt and records who changed it', async () => {
    const [v1] = await db.configStore.apply([create('policy', 'to-replace', policy('to-replace'))], admin);
    const [v2] = await db.configStore.apply(
      [{ op: 'replace', kind: 'policy', name: 'to-replace', doc: policy('to-replace', { enabled: false }), expectedVersion: 1 }],
      other,
    );
    expect(v2).toMatchObject({ enabled: false, version: 2, createdAt: v1?.createdAt, updatedBy: other });
    const [v3] = await db.configStore.apply([{ op: 'replace', kind: 'policy', name: 'to-replace', doc: policy('to-replace') }], admin);
    expect(v3?.version).toBe(3);
    expect(await db.configStore.get('policy', 'to-replace')).toEqual(v3);
  });

  it('deletes an item and answers undefined in its position', async () => {
    await db.configStore.apply([create('applicationScope', 'payments', applicationScopeSchema.parse({ name: 'payments' }))], admin);
    const result = await db.configStore.apply([{ op: 'delete', kind: 'applicationScope', name: 'payments', expectedVersion: 1 }], admin);
    expect(result).toEqual([undefined]);
    expect(await db.configStore.get('applicationScope', 'payments')).toBeUndefined();
  });

  it('returns the stored items in change order', async () => {
    await db.configStore.apply([create('policy', 'order-b', policy('order-b'))], admin);
    const result = await db.configStore.apply(
      [
        create('policy', 'order-c', policy('order-c')),
        { op: 'delete', kind: 'policy', name: 'order-b' },
        create('policy', 'order-a', policy('order-a')),
      ],
      admin,
    );
    expect(result.map((item) => (item as { name?: string } | undefined)?.name)).toEqual(['order-c', undefined, 'order-a']);
  });

  it('refuses to create an item that exists (409)', async () => {
    await db.configStore.apply([create('policy', 'twice', policy('twice'))], admin);
    const error = await db.configStore.apply([create('policy', 'twice', policy('twice'))], admin).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toBe('policy "twice" already exists');
  });

  it('refuses a replace with a stale expectedVersion (412) and names both versions', async () => {
    await db.configStore.apply([create('policy', 'stale', policy('stale'))], admin);
    await db.configStore.apply([{ op: 'replace', kind: 'policy', name: 'stale', doc: policy('stale'), expectedVersion: 1 }], admin);
    const error = await db.configStore
      .apply([{ op: 'replace', kind: 'policy', name: 'stale', doc: policy('stale'), expectedVersion: 1 }], admin)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect((error as Error).message).toBe('policy "stale" is at version 2, not 1');
    const stale = await db.configStore
      .apply([{ op: 'delete', kind: 'policy', name: 'stale', expectedVersion: 1 }], admin)
      .catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(VersionMismatchError);
    expect((await db.configStore.get('policy', 'stale'))?.version).toBe(2);
  });

  it('refuses to replace or delete an item that does not exist (404)', async () => {
    const replace = await db.configStore
      .apply([{ op: 'replace', kind: 'policy', name: 'ghost', doc: policy('ghost') }], admin)
      .catch((e: unknown) => e);
    expect(replace).toBeInstanceOf(NotFoundError);
    expect((replace as Error).message).toBe('policy "ghost" does not exist');
    const remove = await db.configStore.apply([{ op: 'delete', kind: 'cluster', name: 'ghost' }], admin).catch((e: unknown) => e);
    expect(remove).toBeInstanceOf(NotFoundError);
    expect((remove as Error).message).toBe('cluster "ghost" does not exist');
  });

  it('writes nothing when one change of several fails', async () => {
    await db.configStore.apply([create('policy', 'exists-already', policy('exists-already'))], admin);
    const error = await db.configStore
      .apply(
        [create('policy', 'would-be-new', policy('would-be-new')), create('policy', 'exists-already', policy('exists-already'))],
        admin,
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(await db.configStore.get('policy', 'would-be-new')).toBeUndefined();
  });

  it('rejects a change that names the same item twice', async () => {
    const error = await db.configStore
      .apply([create('policy', 'dup', policy('dup')), { op: 'delete', kind: 'policy', name: 'dup' }], admin)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(await db.configStore.get('policy', 'dup')).toBeUndefined();
  });

  it('keeps the token hash of an enforcer group in the stored document', async () => {
    const group = { ...enforcerGroupSchema.parse({ name: 'edge', type: 'agent' }), tokenHash: 'sha256:abc' };
    await db.configStore.apply([create('enforcerGroup', 'edge', group)], admin);
    expect(await db.configStore.get('enforcerGroup', 'edge')).toMatchObject({ name: 'edge', tokenHash: 'sha256:abc', version: 1 });
  });
});

describe('DynamoConfigStore.list', () => {
  const db = useTables();

  it('pages through items sorted by name, without a cursor on the last page', async () => {
    const names = ['p-5', 'p-1', 'p-7', 'p-3', 'p-2', 'p-6', 'p-4'];
    await db.configStore.apply(
      names.map((name) => create('policy', name, policy(name))),
      admin,
    );
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await db.configStore.list('policy', { limit: 3, cursor });
      pages.push(page.items.map((item) => item.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages).toEqual([['p-1', 'p-2', 'p-3'], ['p-4', 'p-5', 'p-6'], ['p-7']]);
  });

  it('has no cursor on a last page that is exactly full', async () => {
    await db.configStore.apply(
      ['s-1', 's-2', 's-3', 's-4'].map((name) => create('applicationScope', name, applicationScopeSchema.parse({ name }))),
      admin,
    );
    const first = await db.configStore.list('applicationScope', { limit: 2 });
    const second = await db.configStore.list('applicationScope', { limit: 2, cursor: first.nextCursor });
    expect(second.items.map((item) => item.name)).toEqual(['s-3', 's-4']);
    expect(second.nextCursor).toBeUndefined();
  });

  it('ends a page at 1 MiB of items whatever the limit, so that no answer nears the 6 MB a Lambda may answer', async () => {
    // Five groups of about 300 KB each: three fit in 1 MiB, the fourth would cross it.
    const names = ['big-1', 'big-2', 'big-3', 'big-4', 'big-5'];
    await db.configStore.apply(
      names.map((name) => create('enforcerGroup', name, { name, type: 'container', note: name.repeat(60 * 1024) })),
      admin,
    );
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await db.configStore.list('enforcerGroup', { limit: 500, cursor });
      expect(Buffer.byteLength(JSON.stringify(page.items), 'utf8')).toBeLessThanOrEqual(MAX_PAGE_BYTES + 16 * 1024);
      pages.push(page.items.map((item) => item.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages).toEqual([
      ['big-1', 'big-2', 'big-3'],
      ['big-4', 'big-5'],
    ]);
  });

  it('answers an empty page for a kind without items', async () => {
    expect(await db.configStore.list('cluster', { limit: 50 })).toEqual({ items: [] });
  });

  it('filters by type and enabled in storage, keeping pages full', async () => {
    const docs = [
      policy('f-1', { enabled: false }),
      policySchema.parse({ name: 'f-2', type: 'function' }),
      policy('f-3'),
      policy('f-4', { enabled: false }),
      policySchema.parse({ name: 'f-5', type: 'host' }),
      policy('f-6', { enabled: false }),
    ];
    await db.configStore.apply(
      docs.map((doc) => create('policy', doc.name, doc)),
      admin,
    );
    const first = await db.configStore.list('policy', { limit: 2 }, { type: 'container', enabled: false });
    expect(first.items.map((item) => item.name)).toEqual(['f-1', 'f-4']);
    const second = await db.configStore.list('policy', { limit: 2, cursor: first.nextCursor }, { type: 'container', enabled: false });
    expect(second.items.map((item) => item.name)).toEqual(['f-6']);
    expect(second.nextCursor).toBeUndefined();
    const functions = await db.configStore.list('policy', { limit: 50 }, { type: 'function' });
    expect(functions.items.map((item) => item.name)).toEqual(['f-2']);
  });

  it('rejects a malformed or foreign cursor as a bad request', async () => {
    await db.configStore.apply(
      ['c-1', 'c-2'].map((name) =>
        create('enforcerGroup', name, { ...enforcerGroupSchema.parse({ name, type: 'agent' }), tokenHash: 'x' }),
      ),
      admin,
    );
    const groups = await db.configStore.list('enforcerGroup', { limit: 1 });
    expect(groups.nextCursor).toBeDefined();
    for (const cursor of [
      'not a cursor',
      'eyJ2IjoxfQ',
      Buffer.from('{"v":1,"i":"config:GROUP","k":{"pk":"GROUP"}}').toString('base64url'),
      `${groups.nextCursor}x`,
    ]) {
      await expect(db.configStore.list('enforcerGroup', { limit: 1, cursor }), cursor).rejects.toThrow(BadRequestError);
    }
    // A cursor of one kind is no cursor for another.
    const error = await db.configStore.list('policy', { limit: 1, cursor: groups.nextCursor }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as Error).message).toBe('invalid cursor');
  });
});

describe('DynamoConfigStore revision and activity', () => {
  const db = useTables();
  // A clock a second apart per apply, far from the real one: trail order and `since` do not depend on timing.
  let tick = Date.parse('2030-01-01T00:00:00.000Z');
  const timed = () => new DynamoConfigStore(db.clients.document, db.tables.config.TableName, { clock: () => new Date((tick += 1000)) });

  it('starts at revision 0 and bumps it exactly once per apply, whatever the number of changes', async () => {
    expect(await db.configStore.revision()).toBe(0);
    await db.configStore.apply([create('policy', 'r-1', policy('r-1'))], admin);
    expect(await db.configStore.revision()).toBe(1);
    await db.configStore.apply(
      [create('policy', 'r-2', policy('r-2')), create('policy', 'r-3', policy('r-3')), { op: 'delete', kind: 'policy', name: 'r-1' }],
      admin,
    );
    expect(await db.configStore.revision()).toBe(2);
    await db.configStore.apply([create('policy', 'r-2', policy('r-2'))], admin).catch(() => undefined);
    expect(await db.configStore.revision()).toBe(2);
    expect(await db.configStore.apply([], admin)).toEqual([]);
    expect(await db.configStore.revision()).toBe(2);
  });

  it('records one activity entry per change with before and after, newest first', async () => {
    const store = timed();
    const started = new Date(tick).toISOString();
    await store.apply([create('policy', 'a-1', policy('a-1'))], admin);
    await store.apply(
      [{ op: 'replace', kind: 'policy', name: 'a-1', doc: policy('a-1', { enabled: false }), expectedVersion: 1 }],
      other,
      'mode-change',
    );
    await store.apply([{ op: 'delete', kind: 'policy', name: 'a-1' }], admin);
    const page = await store.activity({ limit: 500, since: started });
    const entries = page.items.filter((entry) => entry.resource === 'policy/a-1');
    expect(entries.map((entry) => [entry.action, entry.actor])).toEqual([
      ['delete', admin],
      ['mode-change', other],
      ['create', admin],
    ]);
    const [deleted, changed, created] = entries;
    expect(created?.before).toBeNull();
    expect(created?.after).toMatchObject({ name: 'a-1', enabled: true, version: 1 });
    expect(changed?.before).toMatchObject({ enabled: true, version: 1 });
    expect(changed?.after).toMatchObject({ enabled: false, version: 2, updatedBy: other });
    expect(deleted?.before).toMatchObject({ version: 2 });
    expect(deleted?.after).toBeNull();
    for (const entry of entries) {
      expect(entry.id).toEqual(expect.any(String));
      expect(Date.parse(entry.time)).not.toBeNaN();
    }
    const times = page.items.map((entry) => entry.time);
    expect(times).toEqual([...times].sort().reverse());
  });

  it('filters the trail by time and pages through it', async () => {
    const store = timed();
    await store.apply([create('policy', 'old-1', policy('old-1'))], admin);
    const since = new Date(tick + 1000).toISOString();
    for (const name of ['new-1', 'new-2', 'new-3']) await store.apply([create('policy', name, policy(name))], admin);
    const first = await store.activity({ limit: 2, since });
    const second = await store.activity({ limit: 2, since, cursor: first.nextCursor });
    expect([...first.items, ...second.items].map((entry) => entry.resource)).toEqual(['policy/new-3', 'policy/new-2', 'policy/new-1']);
    expect(second.nextCursor).toBeUndefined();
    await expect(db.configStore.activity({ limit: 2, cursor: 'bm9wZQ' })).rejects.toThrow(BadRequestError);
  });

  it('keeps token hashes out of the trail', async () => {
    const group = { ...enforcerGroupSchema.parse({ name: 'secretive', type: 'agent' }), tokenHash: 'sha256:do-not-show' };
    await db.configStore.apply([create('enforcerGroup', 'secretive', group)], admin);
    const page = await db.configStore.activity({ limit: 500 });
    const entry = page.items.find((item) => item.resource === 'enforcerGroup/secretive');
    expect(entry?.after).toMatchObject({ name: 'secretive', tokenHash: '[redacted]' });
    expect(JSON.stringify(page.items)).not.toContain('do-not-show');
  });
});

describe('DynamoConfigStore.loadSnapshot', () => {
  const db = useTables();

  it('answers an empty configuration with default settings at revision 0', async () => {
    const snapshot = await db.configStore.loadSnapshot();
    expect(snapshot).toEqual({ revision: 0, policies: [], applicationScopes: [], groups: [], settings: enforcerSettingsSchema.parse({}) });
  });

  it('returns what was written, with the revision and without token hashes', async () => {
    const settings = enforcerSettingsSchema.parse({ admissionWarnings: false, auditRetentionDays: 30 });
    await db.configStore.apply(
      [
        create('policy', 'snap-b', policy('snap-b')),
        create('policy', 'snap-a', policy('snap-a', { enforcementMode: 'enforce' })),
        create(
          'applicationScope',
          'payments',
          applicationScopeSchema.parse({
            name: 'payments',
            expression: 'v1',
            variables: [{ attribute: 'kubernetes.namespace', value: 'payments' }],
          }),
        ),
        create('enforcerGroup', 'default-ke', {
          ...enforcerGroupSchema.parse({ name: 'default-ke', type: 'kube_enforcer' }),
          tokenHash: 'sha256:secret',
        }),
        create('cluster', 'prod', { name: 'prod', enforcerGroup: 'default-ke', secretHash: 'sha256:x' }),
      ],
      admin,
    );
    await db.configStore.apply([create('settings', 'enforcer', settings)], admin);
    const snapshot = await db.configStore.loadSnapshot();
    expect(snapshot.revision).toBe(2);
    expect(snapshot.policies.map((p) => [p.name, p.enforcementMode, p.version])).toEqual([
      ['snap-a', 'enforce', 1],
      ['snap-b', 'audit', 1],
    ]);
    expect(snapshot.applicationScopes).toEqual([expect.objectContaining({ name: 'payments', expression: 'v1' })]);
    expect(snapshot.groups).toEqual([expect.objectContaining({ name: 'default-ke', type: 'kube_enforcer', enforce: false })]);
    expect(snapshot.groups[0]).not.toHaveProperty('tokenHash');
    expect(snapshot.settings).toMatchObject({
      admissionWarnings: false,
      auditRetentionDays: 30,
      bypassScopes: settings.bypassScopes,
      version: 1,
    });
  });
});
