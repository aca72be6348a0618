import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { policySchema } from '../../../layers/core/index.js';
import { ConflictError, VersionMismatchError } from '../../../functions/shared/errors.js';
import { createDynamoClients } from '../../../functions/shared/storage/client.js';
import { DynamoConfigStore } from '../../../functions/shared/storage/DynamoConfigStore.js';
import type { ConfigChange } from '../../../functions/shared/storage/ports.js';
import { useTables, type TestTables } from '../../support/use-tables.js';

const admin = 'arn:aws:iam::123456789012:role/vigil-admin';

function policy(name: string, enabled = true) {
  return policySchema.parse({ name, type: 'container', enabled });
}

function creates(prefix: string, count: number): ConfigChange[] {
  return Array.from({ length: count }, (_, i) => {
    const name = `${prefix}-${String(i).padStart(3, '0')}`;
    return { op: 'create', kind: 'policy', name, doc: policy(name) };
  });
}

/**
 * A store whose document client runs `before(n)` ahead of the n-th TransactWriteItems call (1-based):
 * the way to make another writer act between our read and our write, deterministically.
 */
function storeWithHook(
  db: TestTables,
  before: (n: number, document: DynamoDBDocumentClient) => Promise<void>,
): { store: DynamoConfigStore; transactions: () => number } {
  const { document } = createDynamoClients({ endpoint: db.endpoint });
  const send = document.send.bind(document);
  let count = 0;
  const hooked = async (command: Parameters<typeof send>[0]) => {
    if (command instanceof TransactWriteCommand) await before(++count, db.clients.document);
    return send(command);
  };
  document.send = hooked as typeof document.send;
  return { store: new DynamoConfigStore(document, db.tables.config.TableName), transactions: () => count };
}

async function activityFor(db: TestTables, resourcePrefix: string) {
  const page = await db.configStore.activity({ limit: 500 });
  return page.items.filter((entry) => entry.resource.startsWith(resourcePrefix));
}

describe('DynamoConfigStore under concurrent writers', () => {
  const db = useTables();

  it('lets exactly one of 20 writers of the same version win; the others get 412', async () => {
    await db.configStore.apply([{ op: 'create', kind: 'policy', name: 'contended', doc: policy('contended') }], admin);
    const revision = await db.configStore.revision();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        db.configStore.apply(
          [
            {
              op: 'replace',
              kind: 'policy',
              name: 'contended',
              doc: { ...policy('contended'), description: `writer ${i}` },
              expectedVersion: 1,
            },
          ],
          `writer-${i}`,
        ),
      ),
    );
    const won = results.filter((result) => result.status === 'fulfilled');
    const lost = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(19);
    for (const error of lost) expect(error).toBeInstanceOf(VersionMismatchError);
    expect(await db.configStore.get('policy', 'contended')).toMatchObject({ version: 2 });
    expect(await db.configStore.revision()).toBe(revision + 1);
    const updates = (await activityFor(db, 'policy/contended')).filter((entry) => entry.action === 'update');
    expect(updates).toHaveLength(1);
    expect(updates[0]?.before).toMatchObject({ version: 1 });
  });

  it('re-reads and retries a write without expectedVersion when another writer got in between', async () => {
    await db.configStore.apply([{ op: 'create', kind: 'policy', name: 'unguarded', doc: policy('unguarded') }], admin);
    // Before our first transaction, another writer moves the item to version 2 behind our back.
    const { store, transactions } = storeWithHook(db, async (n) => {
      if (n === 1)
        await db.configStore.apply(
          [{ op: 'replace', kind: 'policy', name: 'unguarded', doc: { ...policy('unguarded'), description: 'theirs' } }],
          'someone-else',
        );
    });
    const [saved] = await store.apply(
      [{ op: 'replace', kind: 'policy', name: 'unguarded', doc: { ...policy('unguarded'), description: 'ours' } }],
      admin,
    );
    expect(transactions()).toBe(2);
    expect(saved).toMatchObject({ description: 'ours', version: 3 });
    const updates = (await activityFor(db, 'policy/unguarded')).filter((entry) => entry.action === 'update');
    // Our entry's `before` is what we replaced (their version 2), not what we first read.
    expect(updates[0]?.before).toMatchObject({ description: 'theirs', version: 2 });
  });

  it('fails a guarded write whose item changed between the read and the write with 412', async () => {
    await db.configStore.apply([{ op: 'create', kind: 'policy', name: 'raced', doc: policy('raced') }], admin);
    const { store } = storeWithHook(db, async (n) => {
      if (n === 1)
        await db.configStore.apply([{ op: 'replace', kind: 'policy', name: 'raced', doc: policy('raced', false) }], 'someone-else');
    });
    const error = await store
      .apply([{ op: 'replace', kind: 'policy', name: 'raced', doc: policy('raced'), expectedVersion: 1 }], admin)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect((error as Error).message).toBe('policy "raced" is at version 2, not 1');
  });
});

describe('DynamoConfigStore atomicity of large changes', () => {
  const db = useTables();

  it('writes nothing when the last of 100 changes conflicts', async () => {
    await db.configStore.apply([{ op: 'create', kind: 'policy', name: 'hundred-099', doc: policy('hundred-099') }], admin);
    const revision = await db.configStore.revision();
    const error = await db.configStore.apply(creates('hundred', 100), admin).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toBe('policy "hundred-099" already exists');
    expect(await db.configStore.revision()).toBe(revision);
    // Only the entry of the item created beforehand.
    expect(await activityFor(db, 'policy/hundred-')).toHaveLength(1);
    const page = await db.configStore.list('policy', { limit: 500 });
    expect(page.items.map((item) => item.name)).toEqual(['hundred-099']);
  });

  it('applies 120 changes staged and committed by one switch: one revision bump', async () => {
    const revision = await db.configStore.revision();
    const saved = await db.configStore.apply(creates('big', 120), admin);
    expect(saved).toHaveLength(120);
    expect(saved.every((item) => item?.version === 1)).toBe(true);
    const page = await db.configStore.list('policy', { limit: 500 });
    expect(page.items.filter((item) => item.name.startsWith('big-'))).toHaveLength(120);
    expect(await db.configStore.revision()).toBe(revision + 1);
    expect(await activityFor(db, 'policy/big-')).toHaveLength(120);
  });

  it('writes nothing of a large change when another writer gets in between its read and its commit', async () => {
    // Items the big change replaces and deletes, so that a partial write would show.
    const setup: ConfigChange[] = [...creates('keep', 5), ...creates('drop', 5)];
    await db.configStore.apply(setup, admin);
    const before = await db.configStore.list('policy', { limit: 500 });
    const activityBefore = (await db.configStore.activity({ limit: 500 })).items.length;
    const revision = await db.configStore.revision();

    const changes: ConfigChange[] = [
      ...creates('keep', 5).map((change): ConfigChange => ({
        op: 'replace',
        kind: 'policy',
        name: change.name,
        doc: policy(change.name, false),
        expectedVersion: 1,
      })),
      ...creates('drop', 5).map((change): ConfigChange => ({ op: 'delete', kind: 'policy', name: change.name })),
      ...creates('staged', 110),
    ];
    const last = changes[changes.length - 1] as ConfigChange;
    // Someone creates the last item after our reads, just before the switch that would commit the change.
    const { store, transactions } = storeWithHook(db, async (n) => {
      if (n === 1) await db.configStore.apply([{ op: 'create', kind: 'policy', name: last.name, doc: policy(last.name) }], 'intruder');
    });
    const error = await store.apply(changes, admin).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toBe(`policy "${last.name}" already exists`);
    // The switch failed on the revision; the retry's read found the intruder before writing anything.
    expect(transactions()).toBe(1);

    const after = await db.configStore.list('policy', { limit: 500 });
    expect(after.items.find((item) => item.name === last.name)?.updatedBy).toBe('intruder');
    expect(after.items.filter((item) => item.name !== last.name)).toEqual(before.items);
    // Only the intruder's entry is new.
    expect((await db.configStore.activity({ limit: 500 })).items).toHaveLength(activityBefore + 1);
    expect(await db.configStore.revision()).toBe(revision + 1);
  });
});
