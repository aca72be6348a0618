import { describe, expect, it } from 'vitest';
import {
  compileFunctionRules,
  compileGuardRules,
  compileSnapshot,
  decide,
  enforcerGroupSchema,
  enforcerSettingsSchema,
  policySchema,
  workloadAttributes,
  type PolicyInput,
} from '../../../layers/core/index.js';

const enforcing = enforcerGroupSchema.parse({ name: 'fn', type: 'nano_enforcer', enforce: true });
const auditOnly = enforcerGroupSchema.parse({ name: 'fn', type: 'nano_enforcer' });
const orders = workloadAttributes({ 'function.name': 'orders-api', 'function.runtime': 'python3.12', 'enforcer.group': 'fn' }, {});

function bundleOf(policies: PolicyInput[], group = enforcing, settings: unknown = {}) {
  const snapshot = compileSnapshot({
    revision: 4,
    policies: policies.map((p) => policySchema.parse(p)),
    applicationScopes: [],
    settings: enforcerSettingsSchema.parse(settings),
    groups: [group],
  });
  return { revision: 4, snapshot, group };
}

const processes: PolicyInput = {
  name: 'no-id',
  type: 'function',
  enforcementMode: 'enforce',
  controls: { blockedExecutables: { enabled: true, executables: ['/usr/bin/id', 'who*'] } },
};
const egress: PolicyInput = {
  name: 'egress',
  type: 'function',
  enforcementMode: 'enforce',
  controls: {
    networkEgress: { enabled: true, allowedHosts: ['*.amazonaws.com'], allowedPorts: [443] },
    honeypot: { enabled: true, accessKeyId: 'AKIAABCDEFGHIJKLMNOP', secretAccessKey: 'fake-secret-0123456789', applyOn: ['file'] },
  },
};
const pythonOnly: PolicyInput = {
  name: 'python-drift',
  type: 'function',
  enforcementMode: 'audit',
  scope: { expression: 'v1', variables: [{ attribute: 'function.runtime', value: 'python3*' }] },
  controls: { driftPrevention: { enabled: true, allowedExecutables: [] } },
};
const nodeOnly: PolicyInput = {
  ...pythonOnly,
  name: 'node-only',
  scope: { expression: 'v1', variables: [{ attribute: 'function.runtime', value: 'nodejs*' }] },
};

describe('compileFunctionRules', () => {
  it('lists the guard rules first with the same ids, then egress and honeypot rules, each with its verdict', () => {
    const bundle = bundleOf([processes, egress, nodeOnly, pythonOnly]);
    const table = compileFunctionRules({ bundle, workload: orders });
    const guard = compileGuardRules({ generation: 1, startedAtMs: 0, failMode: 'open', bundle, workload: orders });
    expect(table.rules.filter((r) => r.action === 'process').map((r) => [r.id, r.control, r.status])).toEqual(
      guard.rules.map((r) => [r.id, r.control, r.blocks ? 'Block' : 'Detect']),
    );
    expect(table).toEqual({
      format: 'vigil-function-rules 1',
      revision: 4,
      group: { name: 'fn', enforce: true, failMode: enforcing.failMode },
      bypassed: false,
      guardOversize: false,
      rules: [
        {
          id: 0,
          action: 'process',
          control: 'blockedExecutables',
          controlName: 'Executables Blocked',
          status: 'Block',
          policy: { name: 'no-id', type: 'function', version: 0, enforcementMode: 'enforce' },
          patterns: ['/usr/bin/id', 'who*'],
        },
        {
          id: 1,
          action: 'process',
          control: 'driftPrevention',
          controlName: 'Block Executables in /tmp (drift)',
          status: 'Detect',
          policy: { name: 'python-drift', type: 'function', version: 0, enforcementMode: 'audit' },
          patterns: [],
        },
        {
          id: 2,
          action: 'network',
          control: 'networkEgress',
          controlName: 'Outbound Connections Allowed',
          status: 'Block',
          policy: { name: 'egress', type: 'function', version: 0, enforcementMode: 'enforce' },
          allowedHosts: ['*.amazonaws.com'],
          allowedPorts: [443],
        },
        {
          id: 3,
          action: 'honeypot',
          control: 'honeypot',
          controlName: 'Honeypot Credentials',
          status: 'Detect',
          policy: { name: 'egress', type: 'function', version: 0, enforcementMode: 'enforce' },
          accessKeyId: 'AKIAABCDEFGHIJKLMNOP',
          secretAccessKey: 'fake-secret-0123456789',
          applyOn: ['file'],
        },
      ],
    });
  });

  it('gives the verdicts of the engine: Detect while the group is audit only', () => {
    const bundle = bundleOf([processes, egress], auditOnly);
    const table = compileFunctionRules({ bundle, workload: orders });
    expect(table.rules.map((r) => r.status)).toEqual(['Detect', 'Detect', 'Detect']);
    const engine = decide(bundle.snapshot, {
      policyType: 'function',
      group: auditOnly,
      workload: orders,
      event: { action: 'network', direction: 'outbound', host: 'example.com', port: 443 },
    });
    expect(engine.violations.map((v) => v.status)).toEqual(['Detect']);
  });

  it('has no rules for a bypassed function', () => {
    const bundle = bundleOf([processes, egress], enforcing, { bypassScopes: [{ attribute: 'function.name', value: 'orders-*' }] });
    const table = compileFunctionRules({ bundle, workload: orders });
    expect(table.bypassed).toBe(true);
    expect(table.rules).toEqual([]);
  });
});
