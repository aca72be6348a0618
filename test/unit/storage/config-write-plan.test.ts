import { describe, expect, it } from 'vitest';
import { BadRequestError, ConflictError, NotFoundError, VersionMismatchError } from '../../../functions/shared/errors.js';
import {
  checkDistinct,
  chunkPlans,
  chunkTransaction,
  classifyCancellation,
  ImportPending,
  MAX_CHANGES_PER_TRANSACTION,
  needsRead,
  planChange,
  StaleRead,
  type ConfigItem,
  type PlanContext,
} from '../../../functions/shared/storage/config-write-plan.js';
import type { ConfigChange } from '../../../functions/shared/storage/ports.js';

// The write plan is pure: these tests need no DynamoDB. What DynamoDB then does with the transactions is
// covered by test/integration/storage.

const TABLE = 'plan-test-config';
const NOW = '2026-12-07T10:00:00.000Z';

function context(overrides: Partial<PlanContext> = {}): PlanContext {
  let n = 0;
  return { tableName: TABLE, actor: 'alice', now: NOW, newId: () => `id-${++n}`, ...overrides };
}

function storedPolicy(name: string, version: number, doc: Record<string, unknown> = {}): ConfigItem {
  return {
    pk: 'POLICY',
    sk: name,
    doc: { name, type: 'container', enabled: true, ...doc },
    version,
    createdAt: '2026-12-01T00:00:00.000Z',
    updatedAt: '2026-12-02T00:00:00.000Z',
    updatedBy: 'bob',
    type: 'container',
    enabled: true,
  };
}

const pendingChange = (scheduledFor: string, id: string) => ({ to: 'enforce', afterDays: 7, scheduledFor, state: 'pending', id });

describe('planChange', () => {
  it('plans a create as version 1 with the list-filter copies, server fields dropped and a create activity entry', () => {
    const plan = planChange(
      { op: 'create', kind: 'policy', name: 'p1', doc: { name: 'p1', type: 'host', enabled: false, version: 9, updatedBy: 'mallory' } },
      undefined,
      context(),
    );
    expect(plan.after).toEqual({
      pk: 'POLICY',
      sk: 'p1',
      doc: { name: 'p1', type: 'host', enabled: false },
      version: 1,
      createdAt: NOW,
      updatedAt: NOW,
      updatedBy: 'alice',
      type: 'host',
      enabled: false,
    });
    expect(plan.activity).toMatchObject({
      pk: 'ACTIVITY',
      sk: `${NOW}#id-1`,
      id: 'id-1',
      action: 'create',
      resource: 'policy/p1',
      before: null,
      after: { name: 'p1', version: 1, updatedBy: 'alice' },
    });
    expect(plan.derived).toEqual([]);
  });

  it('plans a replace as the next version, keeps createdAt and uses the given action', () => {
    const plan = planChange(
      { op: 'replace', kind: 'policy', name: 'p1', doc: { name: 'p1', type: 'container', enabled: false }, expectedVersion: 3 },
      storedPolicy('p1', 3),
      context({ action: 'import' }),
    );
    expect(plan.after).toMatchObject({ version: 4, createdAt: '2026-12-01T00:00:00.000Z', updatedAt: NOW, enabled: false });
    expect(plan.activity).toMatchObject({ action: 'import', before: { version: 3 }, after: { version: 4 } });
  });

  it('refuses what the read already shows to fail: a taken name, a missing item, a stale version', () => {
    const create: ConfigChange = { op: 'create', kind: 'policy', name: 'p1', doc: {} };
    expect(() => planChange(create, storedPolicy('p1', 1), context())).toThrow(ConflictError);
    expect(() => planChange({ op: 'delete', kind: 'applicationScope', name: 'gone' }, undefined, context())).toThrow(
      new NotFoundError('application scope "gone" does not exist'),
    );
    expect(() =>
      planChange({ op: 'replace', kind: 'policy', name: 'p1', doc: {}, expectedVersion: 2 }, storedPolicy('p1', 3), context()),
    ).toThrow(new VersionMismatchError('policy "p1" is at version 3, not 2'));
  });

  it('keeps secret hashes out of the activity trail', () => {
    const plan = planChange(
      { op: 'create', kind: 'enforcerGroup', name: 'g', doc: { name: 'g', type: 'nano_enforcer', tokenHash: 'ab'.repeat(32) } },
      undefined,
      context(),
    );
    expect(plan.after?.doc.tokenHash).toBe('ab'.repeat(32));
    expect(plan.activity.after).toMatchObject({ tokenHash: '[redacted]' });
  });

  it('refuses an item over the DynamoDB item size limit', () => {
    const doc = { name: 'big', description: 'x'.repeat(400 * 1024) };
    expect(() => planChange({ op: 'create', kind: 'policy', name: 'big', doc }, undefined, context())).toThrow(BadRequestError);
  });

  it('writes the pending mode change of a policy beside it, under a normalised instant', () => {
    const doc = { name: 'p1', enforcementModeChange: pendingChange('2026-12-14T11:00:00+01:00', 'c1') };
    const plan = planChange({ op: 'create', kind: 'policy', name: 'p1', doc }, undefined, context());
    expect(plan.derived).toEqual([
      {
        Put: {
          TableName: TABLE,
          Item: {
            pk: 'MODECHANGE',
            sk: '2026-12-14T10:00:00.000Z#p1',
            policy: 'p1',
            changeId: 'c1',
            to: 'enforce',
            scheduledFor: '2026-12-14T10:00:00.000Z',
          },
        },
      },
    ]);
    expect(plan.underived).toEqual([{ Delete: { TableName: TABLE, Key: { pk: 'MODECHANGE', sk: '2026-12-14T10:00:00.000Z#p1' } } }]);
  });

  it('touches no pending item when a replace keeps the same change, and moves it when the instant changes', () => {
    const change = pendingChange('2026-12-14T10:00:00.000Z', 'c1');
    const before = storedPolicy('p1', 1, { enforcementModeChange: change });
    const same = planChange({ op: 'replace', kind: 'policy', name: 'p1', doc: before.doc }, before, context());
    expect(same.derived).toEqual([]);

    const moved = planChange(
      {
        op: 'replace',
        kind: 'policy',
        name: 'p1',
        doc: { ...before.doc, enforcementModeChange: pendingChange('2026-12-20T10:00:00.000Z', 'c2') },
      },
      before,
      context(),
    );
    expect(moved.derived.map((item) => Object.keys(item)[0])).toEqual(['Delete', 'Put']);
    expect(moved.derived[0]).toEqual({ Delete: { TableName: TABLE, Key: { pk: 'MODECHANGE', sk: '2026-12-14T10:00:00.000Z#p1' } } });
    expect(moved.underived).toEqual([
      { Delete: { TableName: TABLE, Key: { pk: 'MODECHANGE', sk: '2026-12-20T10:00:00.000Z#p1' } } },
      { Put: { TableName: TABLE, Item: expect.objectContaining({ sk: '2026-12-14T10:00:00.000Z#p1', changeId: 'c1' }) } },
    ]);
  });
});

describe('checkDistinct and needsRead', () => {
  it('refuses a change list that names one item twice', () => {
    const twice: ConfigChange[] = [
      { op: 'create', kind: 'policy', name: 'p1', doc: {} },
      { op: 'delete', kind: 'policy', name: 'p1' },
    ];
    expect(() => checkDistinct(twice)).toThrow(new BadRequestError('policy "p1" appears more than once in one change'));
    expect(() => checkDistinct([twice[0]!, { op: 'delete', kind: 'applicationScope', name: 'p1' }])).not.toThrow();
  });

  it('skips the read only for creates that fit one transaction', () => {
    const creates = (n: number): ConfigChange[] =>
      Array.from({ length: n }, (_, i) => ({ op: 'create' as const, kind: 'policy' as const, name: `p${i}`, doc: {} }));
    expect(needsRead(creates(MAX_CHANGES_PER_TRANSACTION))).toBe(false);
    expect(needsRead(creates(MAX_CHANGES_PER_TRANSACTION + 1))).toBe(true);
    expect(needsRead([{ op: 'delete', kind: 'policy', name: 'p1' }])).toBe(true);
  });
});

describe('chunkPlans', () => {
  it('splits into transactions of at most 49 changes, in order', () => {
    const plans = Array.from({ length: 100 }, (_, i) =>
      planChange({ op: 'create', kind: 'applicationScope', name: `s${i}`, doc: { name: `s${i}` } }, undefined, context()),
    );
    const chunks = chunkPlans(plans);
    expect(chunks.map((chunk) => chunk.length)).toEqual([49, 49, 2]);
    expect(chunks.flat().map((plan) => plan.change.name)).toEqual(plans.map((plan) => plan.change.name));
  });

  it('counts the derived writes against the 100 actions of a transaction', () => {
    const plans = Array.from({ length: 40 }, (_, i) =>
      planChange(
        {
          op: 'create',
          kind: 'policy',
          name: `p${i}`,
          doc: { name: `p${i}`, enforcementModeChange: pendingChange('2026-12-14T10:00:00.000Z', `c${i}`) },
        },
        undefined,
        context(),
      ),
    );
    // Three actions per change: 33 changes make 99 actions, and the revision bump makes 100.
    const chunks = chunkPlans(plans);
    expect(chunks.map((chunk) => chunk.length)).toEqual([33, 7]);
    expect(chunkTransaction(TABLE, chunks[0]!)).toHaveLength(100);
  });

  it('splits by size before DynamoDB would refuse a transaction over 4 MB', () => {
    const plans = Array.from({ length: 20 }, (_, i) =>
      planChange(
        { op: 'create', kind: 'policy', name: `p${i}`, doc: { name: `p${i}`, description: 'x'.repeat(150 * 1024) } },
        undefined,
        context(),
      ),
    );
    const chunks = chunkPlans(plans);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.reduce((sum, plan) => sum + plan.bytes, 0)).toBeLessThanOrEqual(3.5 * 1024 * 1024);
  });
});

describe('chunkTransaction', () => {
  const created = () => planChange({ op: 'create', kind: 'policy', name: 'new', doc: { name: 'new' } }, undefined, context());
  const replaced = () =>
    planChange({ op: 'replace', kind: 'policy', name: 'old', doc: { name: 'old' }, expectedVersion: 2 }, storedPolicy('old', 2), context());
  const deleted = () => planChange({ op: 'delete', kind: 'policy', name: 'gone' }, storedPolicy('gone', 5), context());

  it('conditions each write on what was read and ends with the revision bump', () => {
    const items = chunkTransaction(TABLE, [created(), replaced(), deleted()]);
    expect(items[0]).toMatchObject({
      Put: { ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' },
    });
    expect(items[1]).toMatchObject({ Put: { Item: { pk: 'ACTIVITY' } } });
    expect(items[2]).toMatchObject({ Put: { ConditionExpression: '#version = :read', ExpressionAttributeValues: { ':read': 2 } } });
    expect(items[4]).toMatchObject({ Delete: { Key: { pk: 'POLICY', sk: 'gone' }, ExpressionAttributeValues: { ':read': 5 } } });
    expect(items.at(-1)).toEqual({
      Update: {
        TableName: TABLE,
        Key: { pk: 'META', sk: 'revision' },
        UpdateExpression: 'ADD #revision :one',
        // A staged import being copied blocks every other write until it is finished (docs/adr/0009).
        ConditionExpression: 'attribute_not_exists(#applying)',
        ExpressionAttributeNames: { '#revision': 'revision', '#applying': 'applying' },
        ExpressionAttributeValues: { ':one': 1 },
      },
    });
  });
});

describe('classifyCancellation', () => {
  const version = (n: number) => ({ version: { N: String(n) } });

  it('names the first change whose condition failed, by its kind of failure', () => {
    const create = planChange({ op: 'create', kind: 'policy', name: 'a', doc: {} }, undefined, context());
    const guarded = planChange({ op: 'replace', kind: 'policy', name: 'b', doc: {}, expectedVersion: 1 }, storedPolicy('b', 1), context());
    const unguarded = planChange({ op: 'replace', kind: 'policy', name: 'c', doc: {} }, storedPolicy('c', 1), context());
    const ok = { Code: 'None' };
    const failed = (item?: Record<string, unknown>) => ({ Code: 'ConditionalCheckFailed', ...(item ? { Item: item } : {}) });

    expect(classifyCancellation([create, guarded], [failed(version(1)), ok, ok, ok, ok])).toEqual(
      new ConflictError('policy "a" already exists'),
    );
    expect(classifyCancellation([create, guarded], [ok, ok, failed(version(4)), ok, ok])).toEqual(
      new VersionMismatchError('policy "b" is at version 4, not 1'),
    );
    expect(classifyCancellation([guarded], [failed(), ok, ok])).toEqual(new NotFoundError('policy "b" does not exist'));
    const stale = classifyCancellation([unguarded], [failed(version(2)), ok, ok]);
    expect(stale).toBeInstanceOf(StaleRead);
    expect((stale as StaleRead).change.name).toBe('c');
  });

  it('recognises the revision bump failing while a staged import is being applied', () => {
    const create = planChange({ op: 'create', kind: 'policy', name: 'a', doc: {} }, undefined, context());
    expect(classifyCancellation([create], [{ Code: 'None' }, { Code: 'None' }, { Code: 'ConditionalCheckFailed' }])).toBeInstanceOf(
      ImportPending,
    );
  });

  it('skips the derived writes of a plan when finding the next plan`s reason', () => {
    const withChange = planChange(
      { op: 'create', kind: 'policy', name: 'a', doc: { enforcementModeChange: pendingChange('2026-12-14T10:00:00.000Z', 'c1') } },
      undefined,
      context(),
    );
    const second = planChange({ op: 'create', kind: 'policy', name: 'b', doc: {} }, undefined, context());
    expect(
      classifyCancellation(
        [withChange, second],
        [{ Code: 'None' }, { Code: 'None' }, { Code: 'None' }, { Code: 'ConditionalCheckFailed' }],
      ),
    ).toEqual(new ConflictError('policy "b" already exists'));
  });
});
