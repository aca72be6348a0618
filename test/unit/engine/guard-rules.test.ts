import { describe, expect, it } from 'vitest';
import {
  compileGuardRules,
  compileSnapshot,
  decide,
  enforcerGroupSchema,
  enforcerSettingsSchema,
  escapeGuardText,
  GUARD_RULE_LIMITS,
  guardViolations,
  policySchema,
  workloadAttributes,
  type DecisionEvent,
  type PolicyInput,
} from '../../../layers/core/index.js';

const enforcing = enforcerGroupSchema.parse({ name: 'fn', type: 'nano_enforcer', enforce: true });
const auditOnly = enforcerGroupSchema.parse({ name: 'fn', type: 'nano_enforcer' });
const orders = workloadAttributes({ 'function.name': 'orders-api', 'enforcer.group': 'fn' }, {});

function bundleOf(policies: PolicyInput[], group = enforcing, settings: unknown = {}) {
  const snapshot = compileSnapshot({
    revision: 7,
    policies: policies.map((p) => policySchema.parse(p)),
    applicationScopes: [],
    settings: enforcerSettingsSchema.parse(settings),
    groups: [group],
  });
  return { revision: 7, snapshot, group };
}

const blocked: PolicyInput = {
  name: 'no-id',
  type: 'function',
  enforcementMode: 'enforce',
  controls: { blockedExecutables: { enabled: true, executables: ['/usr/bin/id', 'who*'] } },
};
const drift: PolicyInput = {
  name: 'drift',
  type: 'function',
  enforcementMode: 'audit',
  controls: { driftPrevention: { enabled: true, allowedExecutables: ['/tmp/ok'] }, honeypot: { enabled: true } },
};
const onlyOthers: PolicyInput = {
  name: 'checkout-only',
  type: 'function',
  enforcementMode: 'enforce',
  scope: { expression: 'v1', variables: [{ attribute: 'function.name', value: 'checkout-*' }] },
  controls: { blockAllProcesses: { enabled: true, allowedExecutables: ['node'] } },
};

describe('compileGuardRules', () => {
  it('writes the applicable process controls in configuration order, with what each blocks and its patterns', () => {
    const table = compileGuardRules({
      generation: 3,
      startedAtMs: 1_700_000_000_123.7,
      failMode: 'closed',
      bundle: bundleOf([blocked, onlyOthers, drift]),
      workload: orders,
    });
    expect(table.text).toBe(
      [
        'vigil-guard 1',
        'generation 3',
        'revision 7',
        'started 1700000000123',
        'failmode closed',
        'state bundle',
        'rule 0 blockedExecutables block 2',
        'p /usr/bin/id',
        'p who*',
        'rule 1 driftPrevention detect 1',
        'p /tmp/ok',
        'end',
        '',
      ].join('\n'),
    );
    expect(table.rules.map((r) => [r.id, r.policy.name, r.control, r.blocks])).toEqual([
      [0, 'no-id', 'blockedExecutables', true],
      [1, 'drift', 'driftPrevention', false],
    ]);
  });

  it('marks every rule detect while the group is audit only', () => {
    const table = compileGuardRules({
      generation: 1,
      startedAtMs: 0,
      failMode: 'open',
      bundle: bundleOf([blocked], auditOnly),
      workload: orders,
    });
    expect(table.text).toContain('rule 0 blockedExecutables detect 2\n');
  });

  it('has no rules for a bypassed workload and says when no bundle is known', () => {
    const bypassed = compileGuardRules({
      generation: 1,
      startedAtMs: 0,
      failMode: 'open',
      bundle: bundleOf([blocked], enforcing, { bypassScopes: [{ attribute: 'function.name', value: 'orders-*' }] }),
      workload: orders,
    });
    expect(bypassed.state).toBe('bundle');
    expect(bypassed.rules).toEqual([]);
    expect(bypassed.text).not.toContain('rule ');
    const none = compileGuardRules({ generation: 2, startedAtMs: 5, failMode: 'closed' });
    expect(none.text).toBe('vigil-guard 1\ngeneration 2\nrevision -\nstarted 5\nfailmode closed\nstate none\nend\n');
  });

  it('escapes line and field separators of patterns', () => {
    expect(escapeGuardText('a\\b\tc\nd\re\0f')).toBe('a\\\\b\\tc\\nd\\re\\0f');
    const odd: PolicyInput = { ...blocked, controls: { blockedExecutables: { enabled: true, executables: ['x\ny'] } } };
    const table = compileGuardRules({ generation: 1, startedAtMs: 0, failMode: 'open', bundle: bundleOf([odd]), workload: orders });
    expect(table.text).toContain('\np x\\ny\n');
  });

  it('falls back to the fail mode (state oversize) rather than writing a table above the bounds', () => {
    const many = Array.from({ length: GUARD_RULE_LIMITS.rules + 1 }, (_, i) => ({ ...blocked, name: `p${i}` }));
    const table = compileGuardRules({ generation: 1, startedAtMs: 0, failMode: 'closed', bundle: bundleOf(many), workload: orders });
    expect(table.state).toBe('oversize');
    expect(table.rules).toEqual([]);
    expect(table.text).toContain('state oversize\nend\n');
  });
});

describe('guardViolations', () => {
  it('explains the rules the guard fired with the engine’s own violations', () => {
    const bundle = bundleOf([blocked, drift]);
    const table = compileGuardRules({ generation: 1, startedAtMs: 0, failMode: 'open', bundle, workload: orders });
    const seen = { command: ['id', '-u'], executable: 'id', resolvedPath: '/usr/bin/id', createdAfterStart: false };
    const event: DecisionEvent = { action: 'process', ...seen };
    const engine = decide(bundle.snapshot, { policyType: 'function', group: enforcing, workload: orders, event });
    expect(guardViolations(table, [0], seen)).toEqual(engine.violations);

    const copied = { command: ['/tmp/x'], executable: '/tmp/x', resolvedPath: '/tmp/x', createdAfterStart: true };
    expect(guardViolations(table, [1, 99], copied)).toEqual([
      expect.objectContaining({
        status: 'Detect',
        policy: 'drift',
        control: 'driftPrevention',
        message: '"/tmp/x" is located under /tmp (drift)',
      }),
    ]);
  });
});
