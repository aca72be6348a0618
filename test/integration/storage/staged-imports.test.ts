import { GetCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { policySchema } from '../../../layers/core/index.js';
import { createDynamoClients } from '../../../functions/shared/storage/client.js';
import { collectStages, STAGE_RETENTION_MS } from '../../../functions/shared/storage/config-staging.js';
import { DynamoConfigStore } from '../../../functions/shared/storage/DynamoConfigStore.js';
import type { ConfigChange } from '../../../functions/shared/storage/ports.js';
import { useTables, type TestTables } from '../../support/use-tables.js';

// docs/adr/0009: a change too large for one transaction is staged and committed by one switch of
// META/revision. These tests stop a store right after the switch (its copies fail, as when the process
// dies there) and check what every reader sees, who finishes the copy, and that stages are collected.

const admin = 'arn:aws:iam::123456789012:role/vigil-admin';

function policy(name: string, description: string, change?: { id: string; scheduledFor: string }) {
  return policySchema.parse({
    name,
    type: 'container',
    description,
    enabled: !name.endsWith('-003'),
    ...(change ? { enforcementModeChange: { to: 'enforce', afterDays: 7, state: 'pending', ...change } } : {}),
  });
}

/** A store whose transactions after the first (the switch) fail: a process that dies right after committing. */
function storeDyingAfterSwitch(db: TestTables): { store: DynamoConfigStore; transactions: () => number } {
  const { document } = createDynamoClients({ endpoint: db.endpoint });
  const send = document.send.bind(document);
  let count = 0;
  const dying = async (command: Parameters<typeof send>[0]) => {
    if (command instanceof TransactWriteCommand && ++count > 1) throw new Error('the process died');
    return send(command);
  };
  document.send = dying as typeof document.send;
  return { store: new DynamoConfigStore(document, db.tables.config.TableName), transactions: () => count };
}

async function meta(db: TestTables): Promise<Record<string, unknown> | undefined> {
  const output = await db.clients.document.send(
    new GetCommand({ TableName: db.tables.config.TableName, Key: { pk: 'META', sk: 'revision' }, ConsistentRead: true }),
  );
  return output.Item;
}

/** What the policy partition holds in DynamoDB itself, without the store's overlay. */
async function storedDescriptions(document: DynamoDBDocumentClient, table: string, prefix: string): Promise<string[]> {
  const output = await document.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': 'POLICY', ':prefix': prefix },
      ConsistentRead: true,
    }),
  );
  return (output.Items ?? []).map((item) => String((item.doc as { description: string }).description));
}

async function partition(db: TestTables, pk: string): Promise<number> {
  const output = await db.clients.document.send(
    new QueryCommand({
      TableName: db.tables.config.TableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
      ConsistentRead: true,
      Select: 'COUNT',
    }),
  );
  return output.Count ?? 0;
}

function names(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);
}

describe('staged imports: committed by one switch, seen whole by every reader before they are copied', () => {
  const db = useTables();

  it('shows a committed but uncopied import to get, list, loadSnapshot; the trail and the next writer finish it', async () => {
    const table = db.tables.config.TableName;
    await db.configStore.apply(
      names('sw', 60).map((name): ConfigChange => ({ op: 'create', kind: 'policy', name, doc: policy(name, 'old') })),
      admin,
    );
    const revision = await db.configStore.revision();
    const { store, transactions } = storeDyingAfterSwitch(db);
    const changes = names('sw', 60).map((name, i): ConfigChange => ({
      op: 'replace',
      kind: 'policy',
      name,
      doc: policy(name, 'new', i === 0 ? { id: 'due-1', scheduledFor: '2030-01-01T00:00:00.000Z' } : undefined),
    }));
    // The switch committed it: the answer is success although not one item was copied.
    const saved = await store.apply(changes, admin, 'import');
    expect(saved.map((item) => item?.version)).toEqual(names('sw', 60).map(() => 2));
    expect(transactions()).toBe(2);
    expect(await meta(db)).toMatchObject({ revision: revision + 1, applying: expect.any(String) });
    expect(await storedDescriptions(db.clients.document, table, 'sw-')).toEqual(names('sw', 60).map(() => 'old'));

    // Readers see the import whole.
    expect(await db.configStore.revision()).toBe(revision + 1);
    expect((await db.configStore.get('policy', 'sw-007'))?.description).toBe('new');
    expect((await db.configStore.get('policy', 'sw-007'))?.version).toBe(2);
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await db.configStore.list('policy', { limit: 25, ...(cursor ? { cursor } : {}) });
      pages.push(page.items.map((item) => `${item.name}:${item.description}`));
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages.map((page) => page.length)).toEqual([25, 25, 10]);
    expect(pages.flat()).toEqual(names('sw', 60).map((name) => `${name}:new`));
    const disabled = await db.configStore.list('policy', { limit: 500 }, { enabled: false });
    expect(disabled.items.map((item) => item.name)).toEqual(['sw-003']);
    const snapshot = await db.configStore.loadSnapshot();
    expect(snapshot.revision).toBe(revision + 1);
    expect(snapshot.policies.filter((p) => p.name.startsWith('sw-')).map((p) => p.description)).toEqual(names('sw', 60).map(() => 'new'));

    // Due mode changes and the trail need the copies: reading them finishes the import first.
    expect(await db.configStore.dueModeChanges(new Date('2030-01-02T00:00:00.000Z'), 10)).toEqual([
      { policy: 'sw-000', changeId: 'due-1', to: 'enforce', scheduledFor: '2030-01-01T00:00:00.000Z' },
    ]);
    expect(await meta(db)).not.toHaveProperty('applying');
    expect(await storedDescriptions(db.clients.document, table, 'sw-')).toEqual(names('sw', 60).map(() => 'new'));
    const trail = await db.configStore.activity({ limit: 500 });
    expect(trail.items.filter((entry) => entry.action === 'import')).toHaveLength(60);
    expect(await db.configStore.revision()).toBe(revision + 1);
  });

  it('makes the next writer finish a committed import before its own write lands on top', async () => {
    const table = db.tables.config.TableName;
    const { store } = storeDyingAfterSwitch(db);
    await store.apply(
      names('nw', 55).map((name): ConfigChange => ({ op: 'create', kind: 'policy', name, doc: policy(name, 'imported') })),
      admin,
      'import',
    );
    expect(await meta(db)).toHaveProperty('applying');
    expect(await storedDescriptions(db.clients.document, table, 'nw-')).toEqual([]);
    const revision = await db.configStore.revision();

    // A single-item write (its revision bump is refused while an import is being applied) finishes it first.
    await db.configStore.apply([{ op: 'replace', kind: 'policy', name: 'nw-010', doc: policy('nw-010', 'edited') }], admin);
    expect(await meta(db)).not.toHaveProperty('applying');
    const stored = await storedDescriptions(db.clients.document, table, 'nw-');
    expect(stored).toHaveLength(55);
    expect(stored.filter((description) => description === 'edited')).toHaveLength(1);
    expect((await db.configStore.get('policy', 'nw-010'))?.version).toBe(2);
    expect(await db.configStore.revision()).toBe(revision + 1);
  });

  it('collects stages older than an hour, those of finished imports and of imports that never committed', async () => {
    const table = db.tables.config.TableName;
    // A stage that never committed: the switch fails because someone wrote after the import's read.
    const { document } = createDynamoClients({ endpoint: db.endpoint });
    const send = document.send.bind(document);
    let intruded = false;
    document.send = (async (command: Parameters<typeof send>[0]) => {
      if (command instanceof TransactWriteCommand && !intruded) {
        intruded = true;
        await db.configStore.apply([{ op: 'create', kind: 'policy', name: 'gc-intruder', doc: policy('gc-intruder', 'x') }], admin);
      }
      return send(command);
    }) as typeof document.send;
    const store = new DynamoConfigStore(document, table);
    // The retry stages again and commits: two stages, one orphaned, one finished.
    await store.apply(
      names('gc', 52).map((name): ConfigChange => ({ op: 'create', kind: 'policy', name, doc: policy(name, 'gc') })),
      admin,
    );
    expect((await db.configStore.list('policy', { limit: 500 })).items.filter((p) => p.name.startsWith('gc-'))).toHaveLength(53);
    const registered = await partition(db, 'STAGE');
    expect(registered).toBeGreaterThanOrEqual(2);

    // Young stages stay.
    await collectStages(db.clients.document, table, new Date());
    expect(await partition(db, 'STAGE')).toBe(registered);
    await collectStages(db.clients.document, table, new Date(Date.now() + STAGE_RETENTION_MS + 60_000));
    await collectStages(db.clients.document, table, new Date(Date.now() + STAGE_RETENTION_MS + 60_000));
    expect(await partition(db, 'STAGE')).toBe(0);
    const output = await db.clients.document.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'STAGE' },
        ConsistentRead: true,
      }),
    );
    expect(output.Items).toEqual([]);
    // The configuration is untouched by collecting.
    expect((await db.configStore.list('policy', { limit: 500 })).items.filter((p) => p.name.startsWith('gc-'))).toHaveLength(53);
  });
});
