import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { VersionMismatchError } from '../../../functions/shared/errors.js';
import { DynamoConfigStore } from '../../../functions/shared/storage/DynamoConfigStore.js';
import { configKeys } from '../../../functions/shared/storage/tables.js';
import type { ConfigChange } from '../../../functions/shared/storage/ports.js';
import { useTables } from '../../support/use-tables.js';

// The store keeps one pending-change item per policy that carries a resolved enforcement-mode change, in
// the same transaction as the policy, so that the sweep and the local scheduler find due changes by one
// range query. docs/dynamodb-access-patterns.md.

const db = useTables();
const admin = 'test-admin';

function policy(name: string, change?: { id: string; scheduledFor: string; to?: 'enforce' | 'audit' }) {
  return {
    name,
    type: 'container',
    enabled: true,
    enforcementMode: change?.to === 'audit' ? 'enforce' : 'audit',
    enforcementModeChange: change
      ? { to: change.to ?? 'enforce', at: change.scheduledFor, scheduledFor: change.scheduledFor, state: 'pending', id: change.id }
      : null,
    scope: { applicationScopes: ['Global'], expression: '', variables: [] },
    controls: {},
  };
}

async function pendingItems(): Promise<Array<Record<string, unknown>>> {
  const output = await db.clients.document.send(
    new QueryCommand({
      TableName: db.tables.config.TableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': configKeys.modeChange },
      ConsistentRead: true,
    }),
  );
  return output.Items ?? [];
}

describe('pending mode-change items', () => {
  it('follow the policy through create, edit, unchanged edit, clear and delete', async () => {
    const t1 = '2030-01-01T00:00:00.000Z';
    const t2 = '2030-02-01T12:30:00.000Z';
    await db.configStore.apply([{ op: 'create', kind: 'policy', name: 'life', doc: policy('life', { id: 'a', scheduledFor: t1 }) }], admin);
    expect(await pendingItems()).toEqual([
      { pk: configKeys.modeChange, sk: `${t1}#life`, policy: 'life', changeId: 'a', to: 'enforce', scheduledFor: t1 },
    ]);

    await db.configStore.apply(
      [{ op: 'replace', kind: 'policy', name: 'life', doc: policy('life', { id: 'b', scheduledFor: t2 }) }],
      admin,
    );
    expect(await pendingItems()).toEqual([
      { pk: configKeys.modeChange, sk: `${t2}#life`, policy: 'life', changeId: 'b', to: 'enforce', scheduledFor: t2 },
    ]);

    // Same instant, new id (e.g. `afterDays` turned into the same `at`): one Put on the same key.
    await db.configStore.apply(
      [{ op: 'replace', kind: 'policy', name: 'life', doc: policy('life', { id: 'c', scheduledFor: t2 }) }],
      admin,
    );
    expect((await pendingItems()).map((item) => item.changeId)).toEqual(['c']);
    await db.configStore.apply(
      [{ op: 'replace', kind: 'policy', name: 'life', doc: { ...policy('life', { id: 'c', scheduledFor: t2 }), description: 'edited' } }],
      admin,
    );
    expect((await pendingItems()).map((item) => item.changeId)).toEqual(['c']);

    await db.configStore.apply([{ op: 'replace', kind: 'policy', name: 'life', doc: policy('life') }], admin);
    expect(await pendingItems()).toEqual([]);

    await db.configStore.apply(
      [{ op: 'replace', kind: 'policy', name: 'life', doc: policy('life', { id: 'd', scheduledFor: t1 }) }],
      admin,
    );
    await db.configStore.apply([{ op: 'delete', kind: 'policy', name: 'life' }], admin);
    expect(await pendingItems()).toEqual([]);
  });

  it('are not written when the policy write fails its condition', async () => {
    await db.configStore.apply(
      [{ op: 'create', kind: 'policy', name: 'guarded', doc: policy('guarded', { id: 'g1', scheduledFor: '2030-03-01T00:00:00.000Z' }) }],
      admin,
    );
    const stale = db.configStore.apply(
      [
        {
          op: 'replace',
          kind: 'policy',
          name: 'guarded',
          doc: policy('guarded', { id: 'g2', scheduledFor: '2030-04-01T00:00:00.000Z' }),
          expectedVersion: 7,
        },
      ],
      admin,
    );
    await expect(stale).rejects.toBeInstanceOf(VersionMismatchError);
    expect((await pendingItems()).filter((item) => item.policy === 'guarded').map((item) => item.changeId)).toEqual(['g1']);
    await db.configStore.apply([{ op: 'delete', kind: 'policy', name: 'guarded' }], admin);
  });

  it('are found by due time, oldest first, the bound inclusive', async () => {
    const names = ['due-b', 'due-a', 'due-c'];
    const times = ['2030-05-01T00:00:00.000Z', '2030-05-01T00:00:00.000Z', '2030-05-01T00:00:00.001Z'];
    await db.configStore.apply(
      names.map((name, i): ConfigChange => ({
        op: 'create',
        kind: 'policy',
        name,
        doc: policy(name, { id: `id-${name}`, scheduledFor: times[i]! }),
      })),
      admin,
    );
    expect(await db.configStore.dueModeChanges(new Date('2030-04-30T23:59:59.999Z'), 100)).toEqual([]);
    expect((await db.configStore.dueModeChanges(new Date('2030-05-01T00:00:00.000Z'), 100)).map((p) => p.policy)).toEqual([
      'due-a',
      'due-b',
    ]);
    expect(await db.configStore.dueModeChanges(new Date('2030-05-01T00:00:00.001Z'), 100)).toEqual([
      { policy: 'due-a', changeId: 'id-due-a', to: 'enforce', scheduledFor: '2030-05-01T00:00:00.000Z' },
      { policy: 'due-b', changeId: 'id-due-b', to: 'enforce', scheduledFor: '2030-05-01T00:00:00.000Z' },
      { policy: 'due-c', changeId: 'id-due-c', to: 'enforce', scheduledFor: '2030-05-01T00:00:00.001Z' },
    ]);
    expect(await db.configStore.dueModeChanges(new Date('2031-01-01T00:00:00Z'), 2)).toHaveLength(2);
    await db.configStore.apply(
      names.map((name): ConfigChange => ({ op: 'delete', kind: 'policy', name })),
      admin,
    );
  });

  it('stay as they were when a large import meets a conflict before its commit', async () => {
    // 61 changes with pending items do not fit one transaction (three or four actions each): staged.
    await db.configStore.apply(
      [
        {
          op: 'create',
          kind: 'policy',
          name: 'bulk-00',
          doc: policy('bulk-00', { id: 'old-00', scheduledFor: '2030-06-01T00:00:00.000Z' }),
        },
      ],
      admin,
    );
    let transactions = 0;
    const document = db.clients.document;
    const hooked = {
      send: async (command: Parameters<DynamoDBDocumentClient['send']>[0]) => {
        if (command.constructor.name === 'TransactWriteCommand' && ++transactions === 1) {
          // Someone creates a policy the import creates, just before the switch that would commit it.
          await db.configStore.apply([{ op: 'create', kind: 'policy', name: 'bulk-intruder', doc: policy('bulk-intruder') }], 'intruder');
        }
        return document.send(command as never);
      },
    } as unknown as DynamoDBDocumentClient;
    const store = new DynamoConfigStore(hooked, db.tables.config.TableName);
    const changes: ConfigChange[] = [
      {
        op: 'replace',
        kind: 'policy',
        name: 'bulk-00',
        doc: policy('bulk-00', { id: 'new-00', scheduledFor: '2030-07-01T00:00:00.000Z' }),
      },
      ...Array.from({ length: 59 }, (_, i): ConfigChange => {
        const name = `bulk-${String(i + 1).padStart(2, '0')}`;
        return { op: 'create', kind: 'policy', name, doc: policy(name, { id: `new-${i + 1}`, scheduledFor: '2030-07-01T00:00:00.000Z' }) };
      }),
      { op: 'create', kind: 'policy', name: 'bulk-intruder', doc: policy('bulk-intruder') },
    ];
    await expect(store.apply(changes, admin, 'import')).rejects.toThrow('already exists');
    expect(transactions).toBe(1);
    const left = (await pendingItems()).filter((item) => String(item.policy).startsWith('bulk-'));
    expect(left).toEqual([
      {
        pk: configKeys.modeChange,
        sk: '2030-06-01T00:00:00.000Z#bulk-00',
        policy: 'bulk-00',
        changeId: 'old-00',
        to: 'enforce',
        scheduledFor: '2030-06-01T00:00:00.000Z',
      },
    ]);
  });
});
