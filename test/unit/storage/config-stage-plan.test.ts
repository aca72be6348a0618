import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  copyTransactions,
  overlaid,
  packStagedWrites,
  stagedWrites,
  switchTransaction,
  unpackStagedWrites,
  type StagedWrite,
} from '../../../functions/shared/storage/config-stage-plan.js';
import { planChange, type ConfigItem, type PlanContext } from '../../../functions/shared/storage/config-write-plan.js';

// The plan of a staged import is pure: what it stages, how it commits and copies, and how readers lay it
// over the stored items. test/integration/storage/staged-imports.test.ts runs it on DynamoDB Local.

const TABLE = 'stage-test-config';
const NOW = '2026-12-07T10:00:00.000Z';

function context(): PlanContext {
  let n = 0;
  return { tableName: TABLE, actor: 'alice', now: NOW, newId: () => `id-${++n}` };
}

function stored(name: string, version: number, doc: Record<string, unknown> = {}): ConfigItem {
  return {
    pk: 'POLICY',
    sk: name,
    doc: { name, type: 'container', ...doc },
    version,
    createdAt: '2026-12-01T00:00:00.000Z',
    updatedAt: '2026-12-01T00:00:00.000Z',
    updatedBy: 'bob',
    type: 'container',
  };
}

const put = (pk: string, sk: string, extra: Record<string, unknown> = {}): StagedWrite => ({
  target: { pk, sk },
  item: { pk, sk, ...extra },
});

describe('stagedWrites', () => {
  it('stages each item, its activity entry and its pending mode change; a delete as a key without item', () => {
    const withChange = {
      name: 'p',
      type: 'container',
      enforcementModeChange: { id: 'c1', to: 'enforce', scheduledFor: '2030-01-01T00:00:00.000Z' },
    };
    const plans = [
      planChange({ op: 'create', kind: 'policy', name: 'p', doc: withChange }, undefined, context()),
      planChange({ op: 'delete', kind: 'policy', name: 'gone' }, stored('gone', 3), context()),
    ];
    const writes = stagedWrites(plans);
    expect(writes.map((write) => [write.target.pk, write.target.sk, write.item === undefined ? 'delete' : 'put'])).toEqual([
      ['POLICY', 'p', 'put'],
      ['ACTIVITY', plans[0]!.activity.sk, 'put'],
      ['MODECHANGE', '2030-01-01T00:00:00.000Z#p', 'put'],
      ['POLICY', 'gone', 'delete'],
      ['ACTIVITY', plans[1]!.activity.sk, 'put'],
    ]);
    expect(writes[0]!.item).toEqual(plans[0]!.after);
  });
});

describe('packStagedWrites', () => {
  it('round-trips the writes in order through gzipped parts', () => {
    const writes = Array.from({ length: 2000 }, (_, i) => put('POLICY', `p-${i}`, { doc: { description: `policy number ${i}` } }));
    const parts = packStagedWrites(writes);
    // Repetitive JSON compresses well: two thousand writes fit one part.
    expect(parts).toHaveLength(1);
    expect(unpackStagedWrites(parts)).toEqual(writes);
  });

  it('splits writes that compress badly into parts of at most 350 KB', () => {
    // Random base64 compresses to about three quarters: 40 writes of 40 KB are about 1.2 MB of parts.
    const writes = Array.from({ length: 40 }, (_, i) => put('POLICY', `r-${i}`, { blob: randomBytes(30 * 1024).toString('base64') }));
    const parts = packStagedWrites(writes);
    expect(parts.length).toBeGreaterThanOrEqual(4);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(350 * 1024);
    expect(unpackStagedWrites(parts)).toEqual(writes);
  });
});

describe('switchTransaction', () => {
  it('names the import on META and bumps the revision, only at the revision read and with no import being applied', () => {
    expect(switchTransaction(TABLE, 'imp-1', 41)).toEqual([
      { ConditionCheck: { TableName: TABLE, Key: { pk: 'STAGE', sk: 'imp-1' }, ConditionExpression: 'attribute_exists(pk)' } },
      {
        Update: {
          TableName: TABLE,
          Key: { pk: 'META', sk: 'revision' },
          UpdateExpression: 'SET #applying = :id ADD #revision :one',
          ConditionExpression: '#revision = :read AND attribute_not_exists(#applying)',
          ExpressionAttributeNames: { '#revision': 'revision', '#applying': 'applying' },
          ExpressionAttributeValues: { ':id': 'imp-1', ':one': 1, ':read': 41 },
        },
      },
    ]);
  });

  it('treats revision 0 as a META item that does not exist yet', () => {
    const update = switchTransaction(TABLE, 'imp-1', 0)[1]!.Update!;
    expect(update.ConditionExpression).toBe('attribute_not_exists(#revision) AND attribute_not_exists(#applying)');
    expect(update.ExpressionAttributeValues).toEqual({ ':id': 'imp-1', ':one': 1 });
  });
});

describe('copyTransactions', () => {
  it('copies at most 99 writes per transaction, each transaction conditioned on the import still being applied', () => {
    const writes = [...Array.from({ length: 150 }, (_, i) => put('POLICY', `p-${i}`)), { target: { pk: 'POLICY', sk: 'gone' } }];
    const transactions = copyTransactions(TABLE, 'imp-1', writes);
    expect(transactions.map((items) => items.length)).toEqual([100, 53]);
    for (const items of transactions) {
      expect(items[0]).toEqual({
        ConditionCheck: {
          TableName: TABLE,
          Key: { pk: 'META', sk: 'revision' },
          ConditionExpression: '#applying = :id',
          ExpressionAttributeNames: { '#applying': 'applying' },
          ExpressionAttributeValues: { ':id': 'imp-1' },
        },
      });
    }
    expect(transactions[0]![1]).toEqual({ Put: { TableName: TABLE, Item: { pk: 'POLICY', sk: 'p-0' } } });
    expect(transactions[1]!.at(-1)).toEqual({ Delete: { TableName: TABLE, Key: { pk: 'POLICY', sk: 'gone' } } });
  });

  it('keeps each transaction under 3.5 MB', () => {
    const writes = Array.from({ length: 20 }, (_, i) => put('POLICY', `big-${i}`, { blob: 'x'.repeat(300 * 1024) }));
    const transactions = copyTransactions(TABLE, 'imp-1', writes);
    expect(transactions.map((items) => items.length - 1)).toEqual([11, 9]);
  });
});

describe('overlaid', () => {
  it('lays the staged writes of one partition over the stored items, in key order', () => {
    const items = [stored('a', 1), stored('b', 1), stored('d', 1)];
    const writes: StagedWrite[] = [
      put('POLICY', 'c', { version: 1 }),
      put('POLICY', 'a', { version: 2 }),
      { target: { pk: 'POLICY', sk: 'd' } },
      put('SCOPE', 'b', { version: 9 }),
    ];
    const result = overlaid(items, writes, 'POLICY');
    expect(result.map((item) => [item.sk, item.version])).toEqual([
      ['a', 2],
      ['b', 1],
      ['c', 1],
    ]);
  });

  it('orders keys by their UTF-8 bytes, as DynamoDB does', () => {
    const result = overlaid([stored('\u{1F600}', 1), stored('\uFF21', 1), stored('z', 1)], [], 'POLICY');
    expect(result.map((item) => item.sk)).toEqual(['z', '\uFF21', '\u{1F600}']);
  });
});
