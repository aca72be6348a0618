import { describe, expect, it } from 'vitest';
import { diffLines, hunks, renderPlan } from '../../../cli/diff-render.js';
import { mergeDocuments, type SourceDocument } from '../../../cli/documents.js';
import { FileProblems } from '../../../cli/documents.js';
import { painter } from '../../../cli/output.js';
import { hasDifferences, locatePath, planChanges, summarize } from '../../../cli/plan.js';
import { applicationScopeSchema, enforcerSettingsSchema, policySchema, type ControlPlaneState } from '../../../layers/core/index.js';

const stamp = { createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-02T00:00:00.000Z', updatedBy: 'admin' };

function current(): ControlPlaneState {
  return {
    policies: [
      policySchema.parse({
        name: 'exec-guard',
        type: 'container',
        scope: { applicationScopes: ['payments'] },
        controls: { blockContainerExec: { enabled: true } },
        version: 3,
        ...stamp,
      }),
      policySchema.parse({ name: 'old', type: 'host', version: 7, ...stamp }),
    ],
    applicationScopes: [
      applicationScopeSchema.parse({ name: 'Global', version: 1, ...stamp }),
      applicationScopeSchema.parse({
        name: 'payments',
        expression: 'v1',
        variables: [{ attribute: 'kubernetes.namespace', value: 'payments' }],
        version: 2,
        ...stamp,
      }),
      applicationScopeSchema.parse({ name: 'unused', version: 4, ...stamp }),
    ],
    settings: enforcerSettingsSchema.parse({ version: 5, ...stamp }),
  };
}

function desired(...sources: Array<[string, unknown]>) {
  const docs: SourceDocument[] = sources.map(([file, value]) => ({ origin: { file, path: [] }, value }));
  const merged = mergeDocuments(docs);
  expect(merged.issues).toEqual([]);
  return merged.state;
}

const payments = { name: 'payments', expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: 'payments' }] };

describe('planChanges', () => {
  it('classifies every declared item and keeps undeclared ones without prune', () => {
    const plan = planChanges(
      current(),
      desired(
        ['scopes.yaml', payments],
        [
          'exec-guard.yaml',
          {
            name: 'exec-guard',
            type: 'container',
            enforcementMode: 'enforce',
            scope: { applicationScopes: ['payments'] },
            controls: { blockContainerExec: { enabled: true } },
          },
        ],
        ['new.yaml', { name: 'new', type: 'function' }],
      ),
      false,
    );
    expect(plan.changes.map((c) => `${c.action} ${c.kind} ${c.name}`)).toEqual([
      'unchanged applicationScope payments',
      'update policy exec-guard',
      'create policy new',
    ]);
    expect(plan.undeclared.map((c) => `${c.kind} ${c.name}`)).toEqual(['applicationScope unused', 'policy old']);
    expect(hasDifferences(plan)).toBe(true);
  });

  it('with prune, deletes what the files do not declare (never Global) with the versions read', () => {
    const plan = planChanges(current(), desired(['all.yaml', { formatVersion: 1, applicationScopes: [payments] }]), true);
    const deletions = plan.changes.filter((c) => c.action === 'delete');
    expect(deletions.map((c) => [c.kind, c.name, c.version])).toEqual([
      ['applicationScope', 'unused', 4],
      ['policy', 'exec-guard', 3],
      ['policy', 'old', 7],
    ]);
    expect(plan.undeclared).toEqual([]);
    expect(summarize(plan.changes)).toEqual({ create: 0, update: 0, delete: 3, unchanged: 1 });
  });

  it('finds no differences when the files say what the server has', () => {
    const state = current();
    const plan = planChanges(
      state,
      desired([
        'all.json',
        {
          formatVersion: 1,
          policies: [
            {
              name: 'exec-guard',
              type: 'container',
              scope: { applicationScopes: ['payments'] },
              controls: { blockContainerExec: { enabled: true } },
            },
            { name: 'old', type: 'host' },
          ],
          applicationScopes: [payments, { name: 'unused' }],
          settings: {},
        },
      ]),
      true,
    );
    expect(hasDifferences(plan)).toBe(false);
    expect(summarize(plan.changes).unchanged).toBe(5);
  });

  it('shows an edit made after a scheduled switch without putting the policy back in audit', () => {
    const state = current();
    const switched = { ...state.policies[1]!, enforcementMode: 'enforce' as const, enforcementModeChange: null };
    const plan = planChanges(
      { ...state, policies: [state.policies[0]!, switched] },
      desired(['old.yaml', { name: 'old', type: 'host', description: 'edited', enforcementModeChange: { to: 'enforce', afterDays: 7 } }]),
      false,
    );
    const update = plan.changes.find((c) => c.name === 'old');
    expect(update).toMatchObject({ action: 'update', after: { enforcementMode: 'enforce', description: 'edited' } });
    expect(update?.after).not.toHaveProperty('enforcementModeChange');
    const text = renderPlan(plan, painter(false), { prune: false });
    expect(text).toContain('+ description: edited');
    expect(text).not.toMatch(/^[+-] enforcementMode/m);
  });

  it('reports validation problems with the file and the path inside the item', () => {
    const attempt = () =>
      planChanges(
        current(),
        desired(
          ['a.yaml', { name: 'bad', type: 'container', scope: { applicationScopes: ['nowhere'] } }],
          ['b.yaml', { formatVersion: 1, policies: [{ name: 'worse', type: 'container', controls: { notAControl: {} } }] }],
          ['c.yaml', { kind: 'settings', auditRetentionDays: 0 }],
        ),
        false,
      );
    expect(attempt).toThrow(FileProblems);
    const details = (() => {
      try {
        attempt();
      } catch (error) {
        return (error as FileProblems).details.map((d) => d.path);
      }
      return [];
    })();
    expect(details).toEqual(['a.yaml: scope.applicationScopes.0', 'b.yaml: policies.0.controls', 'c.yaml: auditRetentionDays']);
  });

  it('refuses a prune that would delete a scope a declared policy uses', () => {
    const attempt = () =>
      planChanges(
        current(),
        desired(['p.yaml', { name: 'exec-guard', type: 'container', scope: { applicationScopes: ['payments'] } }]),
        true,
      );
    expect(attempt).toThrow(FileProblems);
    expect(() =>
      planChanges(
        current(),
        desired(['p.yaml', { name: 'exec-guard', type: 'container', scope: { applicationScopes: ['payments'] } }]),
        false,
      ),
    ).not.toThrow();
    try {
      attempt();
    } catch (error) {
      expect((error as FileProblems).details).toEqual([
        { path: 'p.yaml: scope.applicationScopes.0', message: expect.stringContaining('--prune would delete it') },
      ]);
    }
  });
});

describe('locatePath', () => {
  it('turns paths of the merged document into places in the files', () => {
    const state = desired(['s.yaml', payments], ['all.yaml', { formatVersion: 1, policies: [{ name: 'a', type: 'host' }], settings: {} }]);
    expect(locatePath('policies.0.enforcementModeChange.at', state)).toBe('all.yaml: policies.0.enforcementModeChange.at');
    expect(locatePath('applicationScopes.0', state)).toBe('s.yaml');
    expect(locatePath('settings.auditRetentionDays', state)).toBe('all.yaml: settings.auditRetentionDays');
    expect(locatePath('policies.9.name', state)).toBe('policies.9.name');
    expect(locatePath('formatVersion', state)).toBe('formatVersion');
  });
});

describe('diff rendering', () => {
  it('computes a shortest edit script', () => {
    const ops = diffLines(['a', 'b', 'c', 'd'], ['a', 'c', 'x', 'd']);
    expect(ops.map((o) => `${o.op}${o.line}`)).toEqual([' a', '-b', ' c', '+x', ' d']);
  });

  it('groups changes into hunks with three lines of context', () => {
    const before = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
    const after = before.map((line, i) => (i === 1 || i === 17 ? `${line} changed` : line));
    const result = hunks(diffLines(before, after));
    expect(result).toHaveLength(2);
    expect(result[0]?.[0]).toBe('@@ -1,5 +1,5 @@');
    expect(result[1]?.[0]).toBe('@@ -15,6 +15,6 @@');
    expect(result[0]).toContain('- line 2');
    expect(result[0]).toContain('+ line 2 changed');
  });

  it('renders creates, updates and deletes with a summary, and colours only when asked', () => {
    const plan = planChanges(
      current(),
      desired(
        [
          'p.yaml',
          {
            name: 'exec-guard',
            type: 'container',
            enforcementMode: 'enforce',
            scope: { applicationScopes: ['payments'] },
            controls: { blockContainerExec: { enabled: true } },
          },
        ],
        ['n.yaml', { name: 'n', type: 'host' }],
        ['s.yaml', payments],
      ),
      true,
    );
    const text = renderPlan(plan, painter(false), { prune: true });
    expect(text).toContain('~ update policy "exec-guard"\n@@ ');
    expect(text).toContain('- enforcementMode: audit\n+ enforcementMode: enforce\n');
    expect(text).toContain('+ create policy "n"\n+ name: n\n+ type: host\n');
    expect(text).toContain('- delete policy "old"\n- name: old\n');
    expect(text).toContain('- delete application scope "unused"');
    expect(text).not.toContain('\u001b[');
    expect(text.trimEnd().split('\n').pop()).toBe('Plan: 1 to create, 1 to update, 2 to delete, 1 unchanged.');
    expect(renderPlan(plan, painter(true), { prune: true })).toContain('\u001b[32m+ create policy "n"\u001b[0m');
  });

  it('names the items a prune would delete when not pruning', () => {
    const plan = planChanges(current(), desired(['s.yaml', payments]), false);
    const text = renderPlan(plan, painter(false), { prune: false });
    expect(text).toContain(
      '# 3 items are on the server but not in the files (kept; --prune deletes them):\n#   application scope "unused"\n#   policy "exec-guard"\n#   policy "old"\n',
    );
    expect(text).toContain('Plan: 0 to create, 0 to update, 1 unchanged.');
  });
});
