import { describe, expect, it } from 'vitest';
import { planEnforcerGroups } from '../../../layers/core/commercial/index.js';
import { defaultEnforcerGroups, enforcerGroupSchema } from '../../../layers/core/schemas/settings.js';

const stored = [
  ...defaultEnforcerGroups,
  enforcerGroupSchema.parse({ name: 'prod', type: 'kube_enforcer', enforce: true, failMode: 'closed', version: 4, updatedBy: 'admin' }),
];

describe('planning the enforcer groups of a commercial import', () => {
  it('creates a new group with the defaults the schema fills in', () => {
    const plan = planEnforcerGroups(stored, [{ name: 'audit-only', type: 'kube_enforcer', enforce: false }], 'create');
    expect(plan).toEqual({
      ok: true,
      items: [{ name: 'audit-only', index: 0, result: 'created', value: expect.objectContaining({ enforce: false, failMode: 'open' }) }],
    });
  });

  it('answers unchanged for a group the document carries as stored, and keeps what only Vigil has', () => {
    const plan = planEnforcerGroups(stored, [{ name: 'prod', type: 'kube_enforcer', enforce: true }], 'create');
    expect(plan.ok && plan.items).toEqual([
      { name: 'prod', index: 0, result: 'unchanged', value: expect.objectContaining({ failMode: 'closed' }), previousVersion: 4 },
    ]);
  });

  it('updates a group that differs in upsert mode, and refuses it in create mode', () => {
    const incoming = [{ name: 'prod', type: 'kube_enforcer', enforce: false }];
    const upsert = planEnforcerGroups(stored, incoming, 'upsert');
    expect(upsert.ok && upsert.items.map((item) => [item.result, item.value.enforce, item.value.failMode])).toEqual([
      ['updated', false, 'closed'],
    ]);
    const create = planEnforcerGroups(stored, incoming, 'create');
    expect(create).toEqual({ ok: false, errors: [{ index: 0, path: '', message: expect.stringContaining('mode=upsert') }] });
  });

  it('refuses a change of type, a name twice in the document and invalid fields, naming each item and field', () => {
    const plan = planEnforcerGroups(
      stored,
      [
        { name: 'prod', type: 'agent' },
        { name: 'twice', type: 'agent' },
        { name: 'twice', type: 'agent' },
        { name: 'bad', type: 'agent', enforce: 'true' },
        'not an object',
      ],
      'upsert',
    );
    expect(plan.ok).toBe(false);
    const errors = plan.ok ? [] : plan.errors;
    expect(errors.map(({ index, path }) => [index, path])).toEqual([
      [0, 'type'],
      [2, 'name'],
      [3, 'enforce'],
      [4, 'name'],
      [4, 'type'],
    ]);
    expect(errors[0]?.message).toContain('type cannot change');
    expect(errors[1]?.message).toContain('duplicate enforcer group "twice"');
  });
});

describe("planning the whole enforcer groups of Vigil's own document", () => {
  it('replaces the stored group as PUT does: fields left out take their defaults', () => {
    const plan = planEnforcerGroups(stored, [{ name: 'prod', type: 'kube_enforcer', enforce: true }], 'upsert', 'replace');
    expect(plan.ok && plan.items.map((item) => [item.result, item.value.failMode, item.previousVersion])).toEqual([['updated', 'open', 4]]);
  });

  it('refuses a token without repeating it, and a field the group schema does not know', () => {
    const plan = planEnforcerGroups(
      stored,
      [
        { name: 'a', type: 'agent', token: 'vigil_grp_secret' },
        { name: 'b', type: 'agent', tokenHash: 'x' },
      ],
      'upsert',
      'replace',
    );
    expect(plan.ok).toBe(false);
    if (plan.ok) return;
    expect(plan.errors.map((error) => [error.index, error.path])).toEqual([
      [0, 'token'],
      [1, ''],
    ]);
    expect(JSON.stringify(plan.errors)).not.toContain('vigil_grp_secret');
  });
});
