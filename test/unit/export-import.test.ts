import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { policyTypes, type PolicyType } from '../../layers/core/catalog.js';
import { planImport, toExportDocument, type ControlPlaneState, type ImportItem, type ImportPlan } from '../../layers/core/export-import.js';
import {
  applicationScopeSchema,
  enforcerGroupSchema,
  enforcerSettingsSchema,
  exportDocumentSchema,
  policySchema,
  type ApplicationScope,
  type EnforcerGroup,
  type EnforcerSettings,
  type Policy,
} from '../../layers/core/schemas/index.js';

// ------------------------------------------------------------------ helpers

const stamp = {
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-02T00:00:00.000Z',
  updatedBy: 'arn:aws:iam::123456789012:user/admin',
};

const globalScope = applicationScopeSchema.parse({ name: 'Global', description: 'Matches every workload.', version: 1, ...stamp });

function policy(input: Record<string, unknown>, version = 3): Policy {
  return policySchema.parse({ type: 'container', ...input, version, ...stamp });
}

function scope(input: Record<string, unknown>, version = 2): ApplicationScope {
  return applicationScopeSchema.parse({ ...input, version, ...stamp });
}

function settings(input: Record<string, unknown> = {}, version = 1): EnforcerSettings {
  return enforcerSettingsSchema.parse({ ...input, version, ...stamp });
}

function emptyState(): ControlPlaneState {
  return { policies: [], applicationScopes: [globalScope], settings: settings() };
}

function state(parts: Partial<ControlPlaneState>): ControlPlaneState {
  return { ...emptyState(), ...parts };
}

function items(plan: ImportPlan): ImportItem[] {
  if (!plan.ok) throw new Error(`expected a plan, got errors: ${JSON.stringify(plan.errors, null, 2)}`);
  return plan.items;
}

function errors(plan: ImportPlan) {
  if (plan.ok) throw new Error('expected errors, got a plan');
  return plan.errors;
}

function policyValue(plan: ImportPlan, index: number): Policy {
  const item = items(plan)[index];
  if (item?.kind !== 'policy') throw new Error(`item ${index} is not a policy`);
  return item.value;
}

function outcome(plan: ImportPlan): Array<[string, string, string]> {
  return items(plan).map((item) => [item.kind, item.name, item.result]);
}

/** What the API does with a plan: writes every created or updated item with a new version, and resolves schedules. */
function apply(current: ControlPlaneState, plan: ImportPlan): ControlPlaneState {
  const policies = new Map(current.policies.map((p) => [p.name, p]));
  const scopes = new Map(current.applicationScopes.map((s) => [s.name, s]));
  let nextSettings = current.settings;
  for (const item of items(plan)) {
    if (item.result === 'unchanged') continue;
    const written = { version: (item.previousVersion ?? 0) + 1, ...stamp };
    switch (item.kind) {
      case 'policy': {
        const change = item.value.enforcementModeChange;
        const scheduled = change
          ? { ...change, scheduledFor: change.at ?? '2027-06-01T00:00:00.000Z', state: 'pending' as const, id: `schedule-${item.name}` }
          : change;
        policies.set(item.name, { ...item.value, enforcementModeChange: scheduled, ...written });
        break;
      }
      case 'applicationScope':
        scopes.set(item.name, { ...item.value, ...written });
        break;
      case 'settings':
        nextSettings = { ...item.value, ...written };
        break;
    }
  }
  return { policies: [...policies.values()], applicationScopes: [...scopes.values()], settings: nextSettings };
}

function document(parts: Record<string, unknown>): Record<string, unknown> {
  return { formatVersion: 1, ...parts };
}

// ------------------------------------------------------------------ toExportDocument

describe('toExportDocument', () => {
  it('carries every enforcer group with only its own fields: no token, token hash or server field, sorted by name', () => {
    const stored = [
      { name: 'team-ke', type: 'kube_enforcer', failMode: 'closed', tokenHash: 'sha256-of-the-token', token: 'vigil_grp_x', version: 3 },
      { name: 'default', type: 'agent', createdAt: '2026-01-01T00:00:00.000Z' },
    ] as unknown as EnforcerGroup[];
    const exported = toExportDocument(state({ enforcerGroups: stored }));
    expect(exported.enforcerGroups).toEqual([
      enforcerGroupSchema.parse({ name: 'default', type: 'agent' }),
      enforcerGroupSchema.parse({ name: 'team-ke', type: 'kube_enforcer', failMode: 'closed' }),
    ]);
    expect(JSON.stringify(exported)).not.toMatch(/token|sha256|version|createdAt/);
  });

  const honeypot = policy({
    name: 'fn',
    type: 'function',
    controls: { honeypot: { accessKeyId: 'AKIAABCDEFGHIJKLMNOP', secretAccessKey: 'super-secret-value-1234' } },
  });
  const exported = toExportDocument(
    state({
      policies: [policy({ name: 'zeta', controls: { blockContainerExec: {} } }), honeypot, policy({ name: 'alpha' })],
      applicationScopes: [
        globalScope,
        scope({ name: 'payments', expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: 'payments' }] }),
        scope({ name: 'edge' }),
      ],
    }),
  );

  it('leaves out server-managed fields, the built-in Global scope and write-only secrets', () => {
    const text = JSON.stringify(exported);
    for (const field of ['"version"', '"createdAt"', '"updatedAt"', '"updatedBy"', 'super-secret-value', '"secretAccessKey"'])
      expect(text).not.toContain(field);
    expect(exported.applicationScopes.map((s) => s.name)).toEqual(['edge', 'payments']);
    expect(exported.policies.find((p) => p.name === 'fn')?.controls).toEqual({
      honeypot: { enabled: true, accessKeyId: 'AKIAABCDEFGHIJKLMNOP', applyOn: ['environment'] },
    });
  });

  it('sorts items by name and writes defaults out', () => {
    expect(exported.policies.map((p) => p.name)).toEqual(['alpha', 'fn', 'zeta']);
    expect(exported.policies[2]).toEqual({
      name: 'zeta',
      type: 'container',
      enabled: true,
      enforcementMode: 'audit',
      scope: { applicationScopes: ['Global'], expression: '', variables: [] },
      controls: { blockContainerExec: { enabled: true, allowedProcesses: [] } },
    });
    expect(exported.settings).toEqual({
      bypassScopes: [
        { attribute: 'container.label', name: 'io.kubernetes.pod.namespace', value: 'kube-system' },
        { attribute: 'kubernetes.namespace', value: 'kube-system' },
      ],
      admissionWarnings: true,
      auditRetentionDays: 90,
    });
  });

  it('is a fixed point of exportDocumentSchema', () => {
    expect(JSON.stringify(exportDocumentSchema.parse(JSON.parse(JSON.stringify(exported))))).toBe(JSON.stringify(exported));
  });

  it('writes a pending change as {to, at: scheduledFor}, so that applying the document later keeps the instant', () => {
    const pending = policy({
      name: 'p',
      enforcementModeChange: { to: 'enforce', afterDays: 3, scheduledFor: '2027-03-04T05:06:07.000Z', state: 'pending', id: 'sch-1' },
    });
    expect(toExportDocument(state({ policies: [pending] })).policies[0]?.enforcementModeChange).toEqual({
      to: 'enforce',
      at: '2027-03-04T05:06:07.000Z',
    });
  });

  it('leaves out a cleared change', () => {
    const cleared = policy({ name: 'p', enforcementModeChange: null });
    expect(toExportDocument(state({ policies: [cleared] })).policies[0]).not.toHaveProperty('enforcementModeChange');
  });
});

// ------------------------------------------------------------------ planImport

describe('planImport', () => {
  it('writes nothing when one item in 100 is invalid, and names that item and the path', () => {
    const policies = Array.from({ length: 100 }, (_, i) => ({
      name: `policy-${String(i).padStart(3, '0')}`,
      type: 'container',
      controls: { blockContainerExec: { allowedProcesses: i === 57 ? [''] : ['/usr/bin/date'] } },
    }));
    const plan = planImport(emptyState(), document({ policies }), 'upsert');
    expect(plan.ok).toBe(false);
    expect(plan).not.toHaveProperty('items');
    expect(errors(plan)).toEqual([
      {
        kind: 'policy',
        index: 57,
        name: 'policy-057',
        path: 'policies.57.controls.blockContainerExec.allowedProcesses.0',
        message: 'must not be empty',
      },
    ]);
  });

  it('plans all 100 items when they are all valid', () => {
    const policies = Array.from({ length: 100 }, (_, i) => ({ name: `policy-${i}`, type: 'container' }));
    const plan = planImport(emptyState(), document({ policies }), 'upsert');
    expect(items(plan)).toHaveLength(100);
    expect(items(plan).every((item) => item.result === 'created')).toBe(true);
  });

  it('reports every problem of a document at once, shape and references alike', () => {
    const plan = planImport(
      emptyState(),
      document({
        policies: [
          { name: 'a', type: 'container', scope: { applicationScopes: ['missing'] } },
          { name: 'b', type: 'function', controls: { blockContainerExec: {} } },
          { name: 'c', type: 'firewall' },
        ],
        applicationScopes: [{ name: 'x', expression: 'v1 &&' }],
        settings: { auditRetentionDays: 0 },
        extra: true,
      }),
      'upsert',
    );
    expect(errors(plan).map((e) => [e.kind, e.path])).toEqual([
      ['document', '(root)'],
      ['applicationScope', 'applicationScopes.0.expression'],
      ['policy', 'policies.0.scope.applicationScopes.0'],
      ['policy', 'policies.1.controls'],
      ['policy', 'policies.2.type'],
      ['settings', 'settings.auditRetentionDays'],
    ]);
    expect(errors(plan)[3]?.message).toContain('"blockContainerExec" is not a control of function policies');
  });

  it('refuses a document of another format version', () => {
    expect(errors(planImport(emptyState(), { formatVersion: 2, policies: [] }, 'upsert'))).toEqual([
      { kind: 'document', path: 'formatVersion', message: '"formatVersion" must be 1' },
    ]);
    expect(errors(planImport(emptyState(), 'not a document', 'upsert'))[0]?.kind).toBe('document');
  });

  it('creates items that do not exist yet', () => {
    const plan = planImport(
      emptyState(),
      document({ policies: [{ name: 'p', type: 'host', controls: { loginAuditing: {} } }], applicationScopes: [{ name: 's' }] }),
      'create',
    );
    expect(outcome(plan)).toEqual([
      ['applicationScope', 's', 'created'],
      ['policy', 'p', 'created'],
    ]);
    const created = items(plan)[1];
    expect(created?.value).toEqual(policySchema.parse({ name: 'p', type: 'host', controls: { loginAuditing: {} } }));
    expect(created).not.toHaveProperty('previousVersion');
  });

  describe('in upsert mode', () => {
    it('replaces an existing item that differs and names the version it replaces', () => {
      const current = state({ policies: [policy({ name: 'p', controls: { blockContainerExec: {} } }, 7)] });
      const plan = planImport(current, document({ policies: [{ name: 'p', type: 'container', enforcementMode: 'enforce' }] }), 'upsert');
      expect(items(plan)).toEqual([
        {
          kind: 'policy',
          name: 'p',
          index: 0,
          result: 'updated',
          previousVersion: 7,
          value: policySchema.parse({ name: 'p', type: 'container', enforcementMode: 'enforce' }),
        },
      ]);
    });

    it('replaces the enforcer settings when they differ', () => {
      const plan = planImport(emptyState(), document({ settings: { admissionWarnings: false } }), 'upsert');
      expect(outcome(plan)).toEqual([['settings', 'settings', 'updated']]);
      expect(items(plan)[0]?.value).toEqual(enforcerSettingsSchema.parse({ admissionWarnings: false }));
    });
  });

  describe('in create mode', () => {
    it('refuses an existing policy that differs and names the first difference', () => {
      const current = state({ policies: [policy({ name: 'p', controls: { blockContainerExec: { allowedProcesses: ['/bin/date'] } } })] });
      const plan = planImport(
        current,
        document({ policies: [{ name: 'p', type: 'container', controls: { blockContainerExec: { allowedProcesses: ['/bin/ls'] } } }] }),
        'create',
      );
      expect(errors(plan)).toEqual([
        {
          kind: 'policy',
          index: 0,
          name: 'p',
          path: 'policies.0',
          message: expect.stringContaining('"controls.blockContainerExec.allowedProcesses.0"'),
        },
      ]);
      expect(errors(plan)[0]?.message).toContain('mode=upsert');
    });

    it('refuses an existing application scope that differs', () => {
      const current = state({ applicationScopes: [globalScope, scope({ name: 's', description: 'old' })] });
      const plan = planImport(current, document({ applicationScopes: [{ name: 's', description: 'new' }] }), 'create');
      expect(errors(plan).map((e) => [e.kind, e.path])).toEqual([['applicationScope', 'applicationScopes.0']]);
    });

    it('refuses settings that differ, since settings always exist', () => {
      const plan = planImport(emptyState(), document({ settings: { auditRetentionDays: 30 } }), 'create');
      expect(errors(plan)).toEqual([{ kind: 'settings', path: 'settings', message: expect.stringContaining('"auditRetentionDays"') }]);
    });

    it('accepts identical existing items as unchanged', () => {
      const current = state({
        policies: [policy({ name: 'p', controls: { blockContainerAttach: {} } })],
        applicationScopes: [globalScope, scope({ name: 's' })],
      });
      const plan = planImport(current, toExportDocument(current), 'create');
      expect(outcome(plan)).toEqual([
        ['applicationScope', 's', 'unchanged'],
        ['policy', 'p', 'unchanged'],
        ['settings', 'settings', 'unchanged'],
      ]);
    });
  });

  describe('unchanged detection', () => {
    it('ignores server-managed fields, written defaults and object key order', () => {
      const current = state({ policies: [policy({ name: 'p', controls: { limitContainerPrivileges: { rootUser: false } } }, 9)] });
      const incoming = {
        controls: { limitContainerPrivileges: { rootUser: false, enabled: true } },
        updatedBy: 'someone else',
        version: 1,
        type: 'container',
        name: 'p',
        createdAt: 'yesterday',
      };
      expect(outcome(planImport(current, document({ policies: [incoming] }), 'create'))).toEqual([['policy', 'p', 'unchanged']]);
    });

    it('ignores scheduledFor, state and id given in a document, as a PUT does', () => {
      const at = '2027-05-01T00:00:00.000Z';
      const current = state({
        policies: [policy({ name: 'p', enforcementModeChange: { to: 'enforce', at, scheduledFor: at, state: 'pending', id: 'a' } })],
      });
      const same = {
        name: 'p',
        type: 'container',
        enforcementModeChange: { to: 'enforce', at, scheduledFor: '2099-01-01T00:00:00Z', state: 'pending', id: 'other' },
      };
      const plan = planImport(current, document({ policies: [same] }), 'upsert');
      expect(outcome(plan)).toEqual([['policy', 'p', 'unchanged']]);
      expect(policyValue(plan, 0).enforcementModeChange).toEqual({ to: 'enforce', at });
    });

    describe('a scheduled switch is an outcome: the same file plans no change before, at and after the switch', () => {
      const file = (change: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
        document({ policies: [{ name: 'p', type: 'container', enforcementMode: 'audit', enforcementModeChange: change, ...extra }] });
      const pending = (change: Record<string, unknown>) =>
        state({
          policies: [
            policy({
              name: 'p',
              enforcementMode: 'audit',
              enforcementModeChange: { ...change, scheduledFor: '2027-05-01T00:00:00.000Z', state: 'pending', id: 'a' },
            }),
          ],
        });
      const switched = state({ policies: [policy({ name: 'p', enforcementMode: 'enforce', enforcementModeChange: null }, 4)] });

      it('afterDays: a pending switch with the same days is kept, its instant not moved', () => {
        const plan = planImport(pending({ to: 'enforce', afterDays: 3 }), file({ to: 'enforce', afterDays: 3 }), 'upsert');
        expect(outcome(plan)).toEqual([['policy', 'p', 'unchanged']]);
        expect(policyValue(plan, 0).enforcementModeChange).toEqual({ to: 'enforce', afterDays: 3 });
      });

      it('afterDays: other days are a new switch', () => {
        const plan = planImport(pending({ to: 'enforce', afterDays: 3 }), file({ to: 'enforce', afterDays: 5 }), 'upsert');
        expect(outcome(plan)).toEqual([['policy', 'p', 'updated']]);
        expect(policyValue(plan, 0).enforcementModeChange).toEqual({ to: 'enforce', afterDays: 5 });
      });

      it('an export of a pending afterDays switch (at: scheduledFor) asks for the same instant', () => {
        const current = pending({ to: 'enforce', afterDays: 3 });
        expect(outcome(planImport(current, file({ to: 'enforce', at: '2027-05-01T00:00:00Z' }), 'upsert'))).toEqual([
          ['policy', 'p', 'unchanged'],
        ]);
        // Edited elsewhere, the policy keeps the stored switch as it was declared, so the API keeps its id and instant.
        const edited = planImport(current, file({ to: 'enforce', at: '2027-05-01T00:00:00Z' }, { description: 'edited' }), 'upsert');
        expect(outcome(edited)).toEqual([['policy', 'p', 'updated']]);
        expect(policyValue(edited, 0).enforcementModeChange).toEqual({ to: 'enforce', afterDays: 3 });
      });

      it('after the switch (afterDays or a past at): the policy stays in the mode it reached and nothing changes', () => {
        for (const change of [
          { to: 'enforce', afterDays: 3 },
          { to: 'enforce', at: '2001-01-01T00:00:00Z' },
        ]) {
          const plan = planImport(switched, file(change), 'upsert');
          expect(outcome(plan)).toEqual([['policy', 'p', 'unchanged']]);
          expect(policyValue(plan, 0)).toMatchObject({ enforcementMode: 'enforce', enforcementModeChange: null });
        }
      });

      it('after the switch, other edits are written in the mode the switch reached, not back in audit', () => {
        const plan = planImport(switched, file({ to: 'enforce', afterDays: 3 }, { description: 'edited' }), 'upsert');
        expect(outcome(plan)).toEqual([['policy', 'p', 'updated']]);
        expect(policyValue(plan, 0)).toMatchObject({ description: 'edited', enforcementMode: 'enforce', enforcementModeChange: null });
      });

      it('a policy in another mode than the target gets the switch', () => {
        const inAudit = state({ policies: [policy({ name: 'p', enforcementMode: 'audit' })] });
        const plan = planImport(inAudit, file({ to: 'enforce', afterDays: 3 }), 'upsert');
        expect(outcome(plan)).toEqual([['policy', 'p', 'updated']]);
        expect(policyValue(plan, 0)).toMatchObject({ enforcementMode: 'audit', enforcementModeChange: { to: 'enforce', afterDays: 3 } });
      });
    });

    it('does not judge whether "at" lies in the future: that needs a clock', () => {
      const plan = planImport(
        emptyState(),
        document({ policies: [{ name: 'p', type: 'container', enforcementModeChange: { to: 'enforce', at: '2001-01-01T00:00:00Z' } }] }),
        'upsert',
      );
      expect(outcome(plan)).toEqual([['policy', 'p', 'created']]);
    });
  });

  describe('write-only honeypot secrets', () => {
    const stored = policy({
      name: 'fn',
      type: 'function',
      controls: { honeypot: { accessKeyId: 'AKIAABCDEFGHIJKLMNOP', secretAccessKey: 'stored-secret-0123456789' } },
    });
    const current = state({ policies: [stored] });

    it('keeps the stored secret when the document omits it', () => {
      const plan = planImport(current, toExportDocument(current), 'upsert');
      expect(outcome(plan).filter(([kind]) => kind === 'policy')).toEqual([['policy', 'fn', 'unchanged']]);
      const changed = planImport(
        current,
        document({
          policies: [{ name: 'fn', type: 'function', enabled: false, controls: { honeypot: { accessKeyId: 'AKIAABCDEFGHIJKLMNOP' } } }],
        }),
        'upsert',
      );
      expect(items(changed)[0]?.result).toBe('updated');
      expect((policyValue(changed, 0).controls as { honeypot: { secretAccessKey?: string } }).honeypot.secretAccessKey).toBe(
        'stored-secret-0123456789',
      );
    });

    it('updates when the document brings a different secret, and refuses that in create mode', () => {
      const incoming = document({
        policies: [
          {
            name: 'fn',
            type: 'function',
            controls: { honeypot: { accessKeyId: 'AKIAABCDEFGHIJKLMNOP', secretAccessKey: 'a-brand-new-secret-value' } },
          },
        ],
      });
      const plan = planImport(current, incoming, 'upsert');
      expect(items(plan)[0]?.result).toBe('updated');
      expect((policyValue(plan, 0).controls as { honeypot: { secretAccessKey?: string } }).honeypot.secretAccessKey).toBe(
        'a-brand-new-secret-value',
      );
      expect(errors(planImport(current, incoming, 'create'))[0]?.message).toContain('write-only');
    });
  });

  describe('references and names', () => {
    it('refuses a policy that names an application scope that does not exist', () => {
      const plan = planImport(
        emptyState(),
        document({ policies: [{ name: 'p', type: 'container', scope: { applicationScopes: ['Global', 'payments'] } }] }),
        'upsert',
      );
      expect(errors(plan)).toEqual([
        {
          kind: 'policy',
          index: 0,
          name: 'p',
          path: 'policies.0.scope.applicationScopes.1',
          message: expect.stringContaining('"payments" does not exist'),
        },
      ]);
    });

    it('accepts scopes defined in the same document or already stored', () => {
      const current = state({ applicationScopes: [globalScope, scope({ name: 'stored' })] });
      const plan = planImport(
        current,
        document({
          applicationScopes: [{ name: 'fresh' }],
          policies: [{ name: 'p', type: 'container', scope: { applicationScopes: ['fresh', 'stored', 'Global'] } }],
        }),
        'upsert',
      );
      expect(outcome(plan)).toEqual([
        ['applicationScope', 'fresh', 'created'],
        ['policy', 'p', 'created'],
      ]);
    });

    it('refuses two policies with the same name even when their types differ', () => {
      const plan = planImport(
        emptyState(),
        document({
          policies: [
            { name: 'p', type: 'container' },
            { name: 'p', type: 'function' },
          ],
        }),
        'upsert',
      );
      expect(errors(plan)).toEqual([
        {
          kind: 'policy',
          index: 1,
          name: 'p',
          path: 'policies.1.name',
          message: expect.stringContaining('unique across all policy types'),
        },
      ]);
    });

    it('refuses a policy whose name a stored policy of another type already has', () => {
      const current = state({ policies: [policy({ name: 'p', type: 'host' })] });
      const plan = planImport(current, document({ policies: [{ name: 'p', type: 'container' }] }), 'upsert');
      expect(errors(plan)).toEqual([
        {
          kind: 'policy',
          index: 0,
          name: 'p',
          path: 'policies.0.type',
          message: expect.stringContaining('a host policy named "p" already exists'),
        },
      ]);
    });

    it('refuses duplicate application scope names', () => {
      const plan = planImport(
        emptyState(),
        document({ applicationScopes: [{ name: 's' }, { name: 't' }, { name: 's', description: 'again' }] }),
        'upsert',
      );
      expect(errors(plan).map((e) => [e.kind, e.index, e.path])).toEqual([['applicationScope', 2, 'applicationScopes.2.name']]);
    });

    it('refuses a changed Global scope and accepts an unchanged one', () => {
      const changed = planImport(
        emptyState(),
        document({
          applicationScopes: [{ name: 'Global', expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: 'x' }] }],
        }),
        'upsert',
      );
      expect(errors(changed)).toEqual([
        { kind: 'applicationScope', index: 0, name: 'Global', path: 'applicationScopes.0', message: expect.stringContaining('built in') },
      ]);
      expect(outcome(planImport(emptyState(), document({ applicationScopes: [{ name: 'Global' }] }), 'create'))).toEqual([
        ['applicationScope', 'Global', 'unchanged'],
      ]);
    });
  });
});

// ------------------------------------------------------------------ round trip

const globs = fc.subarray(['/usr/bin/date', 'sh', '/opt/*', 'python*'], { maxLength: 3 });
const instant = fc
  .date({ min: new Date('2027-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());

const controlArbitraries: Record<PolicyType, Record<string, fc.Arbitrary<Record<string, unknown>>>> = {
  container: {
    blockContainerExec: fc.record({ enabled: fc.boolean(), allowedProcesses: globs }, { requiredKeys: [] }),
    blockContainerAttach: fc.record({ enabled: fc.boolean() }, { requiredKeys: [] }),
    limitContainerPrivileges: fc.record(
      { enabled: fc.boolean(), privileged: fc.boolean(), rootUser: fc.boolean(), lowPortBinding: fc.boolean() },
      { requiredKeys: [] },
    ),
    blockedCapabilities: fc.record({ capabilities: fc.subarray(['NET_RAW', 'SYS_ADMIN', 'CAP_CHOWN']) }),
    restrictedVolumes: fc.record({ paths: fc.subarray(['/*', '/var/run/docker.sock']) }),
    forkGuard: fc.record({ processLimit: fc.integer({ min: 1, max: 5000 }) }, { requiredKeys: [] }),
    portBlock: fc.record({ inbound: fc.subarray(['22', '1000-2000']), outbound: fc.subarray(['25']) }, { requiredKeys: [] }),
    fileIntegrityMonitoring: fc.record(
      { paths: globs, operations: fc.subarray(['create', 'read', 'modify', 'delete', 'attributes'] as const) },
      { requiredKeys: [] },
    ),
  },
  function: {
    blockedExecutables: fc.record({ enabled: fc.boolean(), executables: globs }, { requiredKeys: [] }),
    driftPrevention: fc.record({ allowedExecutables: globs }, { requiredKeys: [] }),
    honeypot: fc.record(
      {
        accessKeyId: fc.constant('AKIAABCDEFGHIJKLMNOP'),
        secretAccessKey: fc.constantFrom('secret-value-number-one', 'secret-value-number-two'),
        applyOn: fc.subarray(['environment', 'file'] as const, { minLength: 1 }),
      },
      { requiredKeys: [] },
    ),
    networkEgress: fc.record(
      {
        allowedHosts: fc.subarray(['*.amazonaws.com', 'api.example.com']),
        allowedPorts: fc.uniqueArray(fc.integer({ min: 1, max: 65535 }), { maxLength: 3 }),
      },
      { requiredKeys: [] },
    ),
  },
  host: {
    osUsers: fc.record({ allowed: globs, blocked: fc.subarray(['root', 'guest']) }, { requiredKeys: [] }),
    loginAuditing: fc.record({ enabled: fc.boolean() }, { requiredKeys: [] }),
    readOnlyFiles: fc.record({ paths: fc.subarray(['/etc/*', '/boot/*']), exceptions: fc.subarray(['/etc/hosts']) }, { requiredKeys: [] }),
  },
};

const formulas: Record<PolicyType, ReadonlyArray<Record<string, unknown>>> = {
  container: [
    { expression: '', variables: [] },
    {
      expression: 'v1 && !v2',
      variables: [
        { attribute: 'kubernetes.namespace', value: 'prod-*' },
        { attribute: 'kubernetes.label', name: 'app', value: 'web' },
      ],
    },
  ],
  function: [
    { expression: '', variables: [] },
    { expression: 'v1', variables: [{ attribute: 'function.name', value: 'pay*' }] },
  ],
  host: [
    { expression: '', variables: [] },
    {
      expression: 'v1 || v2',
      variables: [
        { attribute: 'os.hostname', value: 'ip-*' },
        { attribute: 'host.group', value: 'edge' },
      ],
    },
  ],
};

const storedFields = fc.record({
  version: fc.integer({ min: 1, max: 50 }),
  createdAt: fc.constant(stamp.createdAt),
  updatedAt: fc.constant(stamp.updatedAt),
  updatedBy: fc.constant(stamp.updatedBy),
});

const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);

function scheduleFor(mode: 'audit' | 'enforce'): fc.Arbitrary<Record<string, unknown> | null | undefined> {
  const to = mode === 'audit' ? 'enforce' : 'audit';
  return fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    instant.map((at) => ({ to, at, scheduledFor: at, state: 'pending', id: 'sch' })),
    fc
      .tuple(fc.integer({ min: 1, max: 365 }), instant)
      .map(([afterDays, scheduledFor]) => ({ to, afterDays, scheduledFor, state: 'pending', id: 'sch' })),
  );
}

function policyArbitrary(policyName: string, scopeNames: readonly string[]): fc.Arbitrary<Policy> {
  return fc
    .record({
      type: fc.constantFrom(...policyTypes),
      mode: fc.constantFrom('audit' as const, 'enforce' as const),
      enabled: fc.boolean(),
      description: fc.option(fc.string({ maxLength: 30 }), { nil: undefined }),
      applicationScopes: fc.subarray(['Global', ...scopeNames], { minLength: 1 }),
      server: storedFields,
    })
    .chain((base) =>
      fc
        .record({
          controls: fc.record(controlArbitraries[base.type], { requiredKeys: [] }),
          formula: fc.constantFrom(...formulas[base.type]),
          change: scheduleFor(base.mode),
        })
        .map(({ controls, formula, change }) =>
          policySchema.parse({
            name: policyName,
            type: base.type,
            enabled: base.enabled,
            enforcementMode: base.mode,
            ...(base.description === undefined ? {} : { description: base.description }),
            ...(change === undefined ? {} : { enforcementModeChange: change }),
            scope: { applicationScopes: base.applicationScopes, ...formula },
            controls,
            ...base.server,
          }),
        ),
    );
}

const bypassEntries = [
  { attribute: 'kubernetes.namespace', value: 'kube-system' },
  'container.label."io.kubernetes.pod.namespace"."kube-system"',
  'kubernetes.namespace.monitoring',
  { attribute: 'container.image', value: 'registry.k8s.io/*' },
];

const stateArbitrary: fc.Arbitrary<ControlPlaneState> = fc
  .record({
    policyNames: fc.uniqueArray(name, { maxLength: 6 }),
    scopeNames: fc.uniqueArray(
      name.filter((n) => n !== 'Global'),
      { maxLength: 4 },
    ),
  })
  .chain(({ policyNames, scopeNames }) =>
    fc.record({
      policies: fc.tuple(...policyNames.map((n) => policyArbitrary(n, scopeNames))),
      applicationScopes: fc.tuple(
        ...scopeNames.map((n) =>
          fc
            .record({
              formula: fc.constantFrom(...formulas.container, ...formulas.function),
              description: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
              server: storedFields,
            })
            .map(({ formula, description, server }) =>
              applicationScopeSchema.parse({ name: n, ...formula, ...(description === undefined ? {} : { description }), ...server }),
            ),
        ),
      ),
      settings: fc
        .record({
          bypassScopes: fc.subarray(bypassEntries),
          admissionWarnings: fc.boolean(),
          auditRetentionDays: fc.integer({ min: 1, max: 3650 }),
          server: storedFields,
        })
        .map(({ server, ...rest }) => enforcerSettingsSchema.parse({ ...rest, ...server })),
    }),
  )
  .map(({ policies, applicationScopes, settings: s }) => ({
    policies,
    applicationScopes: [globalScope, ...applicationScopes],
    settings: s,
  }));

describe('export and import round trip', () => {
  it('export → import into an empty control plane → export gives the identical document', () => {
    fc.assert(
      fc.property(stateArbitrary, (original) => {
        const exported = toExportDocument(original);
        const file = JSON.parse(JSON.stringify(exported)) as unknown;
        const plan = planImport(emptyState(), file, 'upsert');
        expect(
          items(plan)
            .filter((item) => item.kind !== 'settings')
            .every((item) => item.result === 'created' || item.name === 'Global'),
        ).toBe(true);
        const imported = apply(emptyState(), plan);
        expect(JSON.stringify(toExportDocument(imported))).toBe(JSON.stringify(exported));
      }),
      { numRuns: 200 },
    );
  });

  it('importing an export into the control plane it came from changes nothing, even in create mode', () => {
    fc.assert(
      fc.property(stateArbitrary, (original) => {
        const plan = planImport(original, JSON.parse(JSON.stringify(toExportDocument(original))), 'create');
        expect(items(plan).every((item) => item.result === 'unchanged')).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('planImport mode', () => {
  it('throws for a mode other than upsert or create instead of guessing', () => {
    expect(() => planImport(emptyState(), document({}), 'replace' as 'upsert')).toThrow(RangeError);
  });
});
