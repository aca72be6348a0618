import { describe, expect, it } from 'vitest';
import { enforcerBundle } from '../../../functions/shared/enforcer/bundle.js';
import {
  applicationScopeSchema,
  compileSnapshot,
  decide,
  enforcerGroupSchema,
  enforcerSettingsSchema,
  policySchema,
  workloadAttributes,
  type DecisionEvent,
} from '../../../layers/core/index.js';
import { BUNDLE_LIMITS, loadBundle } from '../../../layers/protection/bundle.js';
import { bundleWith, functionPolicy } from './harness.js';

// The layer decodes bundles without zod; these check it against what the control plane's schemas produce.

const group = enforcerGroupSchema.parse({ name: 'lambda-prod', type: 'nano_enforcer', enforce: true });
const settings = enforcerSettingsSchema.parse({});
const scopes = [
  applicationScopeSchema.parse({
    name: 'orders',
    expression: 'v1 && v2',
    variables: [
      { attribute: 'function.name', value: 'orders-*' },
      { attribute: 'function.tag', name: 'team', value: 'payments' },
    ],
  }),
];
const policies = [
  {
    name: 'no-curl',
    type: 'function',
    enforcementMode: 'enforce',
    controls: { blockedExecutables: { executables: ['curl', '/usr/bin/wget'] } },
  },
  {
    name: 'drift',
    type: 'function',
    scope: { applicationScopes: ['orders'] },
    controls: { driftPrevention: { enabled: true, allowedExecutables: ['/tmp/ok'] } },
  },
  {
    name: 'only-true',
    type: 'function',
    enforcementMode: 'enforce',
    scope: { applicationScopes: ['Global'], expression: 'v1', variables: [{ attribute: 'function.runtime', value: 'nodejs2*' }] },
    controls: { blockAllProcesses: { allowedExecutables: ['true', 'sh', 'curl'] } },
  },
  {
    name: 'egress',
    type: 'function',
    enforcementMode: 'enforce',
    controls: { networkEgress: { allowedHosts: ['*.amazonaws.com'], allowedPorts: [443] } },
  },
  { name: 'off', type: 'function', enabled: false, enforcementMode: 'enforce', controls: { blockAllProcesses: {} } },
  { name: 'containers', type: 'container', enforcementMode: 'enforce', controls: { blockContainerExec: {} } },
].map((p) => policySchema.parse(p));

const events: DecisionEvent[] = [
  { action: 'process', command: ['curl', 'x'], executable: 'curl', resolvedPath: '/usr/bin/curl', createdAfterStart: false },
  { action: 'process', command: ['wget'], executable: 'wget', resolvedPath: '/usr/bin/wget', createdAfterStart: false },
  { action: 'process', command: ['/tmp/x'], executable: '/tmp/x', resolvedPath: '/tmp/x', createdAfterStart: true },
  { action: 'process', command: ['/tmp/ok'], executable: '/tmp/ok', resolvedPath: '/tmp/ok', createdAfterStart: true },
  { action: 'process', command: ['true'], executable: 'true', resolvedPath: '/usr/bin/true', createdAfterStart: false },
  { action: 'network', direction: 'outbound', host: 's3.eu-west-1.amazonaws.com', port: 443 },
  { action: 'network', direction: 'outbound', host: 's3.eu-west-1.amazonaws.com', port: 80 },
  { action: 'network', direction: 'outbound', host: 'evil.example', port: 443 },
];

const workloads = [
  workloadAttributes(
    { 'function.name': 'orders-api', 'function.runtime': 'nodejs24.x', 'enforcer.group': 'lambda-prod' },
    { 'function.tag': { team: 'payments' } },
  ),
  workloadAttributes(
    { 'function.name': 'orders-api', 'function.runtime': 'python3.13', 'enforcer.group': 'lambda-prod' },
    { 'function.tag': { team: 'search' } },
  ),
  workloadAttributes({ 'function.name': 'billing', 'enforcer.group': 'lambda-prod' }),
];

describe('loadBundle (the layer decodes bundles without a schema library)', () => {
  it('decides every event exactly as the control plane would with its own schemas, on the bundle the enforcer API serves', () => {
    const snapshot = { revision: 12, policies, applicationScopes: scopes, settings, groups: [group] };
    // Through JSON, as the layer receives it.
    const loaded = loadBundle(JSON.parse(JSON.stringify(enforcerBundle(snapshot, group))));
    const reference = compileSnapshot({ ...snapshot, policies: policies.filter((p) => p.type === 'function') });
    expect(loaded.revision).toBe(12);
    expect(loaded.pollIntervalSeconds).toBe(60);
    let violations = 0;
    for (const workload of workloads) {
      for (const event of events) {
        const request = { policyType: 'function' as const, group, workload, event };
        const expected = decide(reference, request);
        expect(decide(loaded.compiled, { ...request, group: loaded.group })).toEqual(expected);
        violations += expected.violations.length;
      }
    }
    // The comparison covered refusals and detections, not only empty results.
    expect(violations).toBeGreaterThan(10);
  });

  it('applies the defaults of a hand-written snapshot: enabled policies and controls, audit mode, the Global scope', () => {
    const loaded = loadBundle({
      revision: 1,
      group: { name: 'g', enforce: true },
      policies: [{ name: 'p', type: 'function', controls: { blockedExecutables: { executables: ['curl'] } } }],
    });
    const decision = decide(loaded.compiled, { policyType: 'function', group: loaded.group, workload: workloads[2]!, event: events[0]! });
    expect(decision).toMatchObject({
      allowed: true,
      violations: [{ status: 'Detect', policy: 'p', enforcementMode: 'audit', control: 'blockedExecutables' }],
    });
    expect(loaded.group).toEqual({
      name: 'g',
      type: 'nano_enforcer',
      enforce: true,
      containerProtection: true,
      hostProtection: true,
      failMode: 'open',
      timeoutSeconds: 5,
      exemptKubeSystem: true,
    });
  });

  it.each([
    ['a missing revision', { group: { name: 'g' } }, 'revision: must be a whole number'],
    ['a group that is not an object', { revision: 1, group: 'g' }, 'group: must be an object'],
    [
      'an unknown enforcement mode',
      { revision: 1, group: { name: 'g' }, policies: [{ name: 'p', enforcementMode: 'block' }] },
      'policies[0].enforcementMode: must be one of audit, enforce',
    ],
    [
      'a control option that is an object',
      { revision: 1, group: { name: 'g' }, policies: [{ name: 'p', controls: { blockedExecutables: { executables: { curl: true } } } }] },
      'policies[0].controls.blockedExecutables.executables: must be a value or a list',
    ],
    [
      'a list entry that is an object',
      { revision: 1, group: { name: 'g' }, policies: [{ name: 'p', controls: { networkEgress: { allowedHosts: [{}] } } }] },
      'policies[0].controls.networkEgress.allowedHosts[0]: must be a string or a number',
    ],
    [
      'a scope variable without a value',
      {
        revision: 1,
        group: { name: 'g' },
        applicationScopes: [{ name: 's', expression: 'v1', variables: [{ attribute: 'function.name' }] }],
      },
      'applicationScopes[0].variables[0].value: must be a string',
    ],
    [
      'too many policies',
      { revision: 1, group: { name: 'g' }, policies: Array.from({ length: BUNDLE_LIMITS.policies + 1 }, () => ({})) },
      `policies: must have at most ${BUNDLE_LIMITS.policies} entries`,
    ],
    [
      'an overlong text',
      { revision: 1, group: { name: 'x'.repeat(BUNDLE_LIMITS.text + 1) } },
      `group.name: must be at most ${BUNDLE_LIMITS.text} characters`,
    ],
  ])('rejects a bundle with %s, naming the path', (_what, input, problem) => {
    expect(() => loadBundle(input)).toThrow(`the bundle is invalid at ${problem}`);
  });

  it('rejects a bundle whose scope formula does not parse (nothing of it is kept)', () => {
    const bad = bundleWith([functionPolicy('p', 'enforce', { blockAllProcesses: { enabled: true } })], {
      applicationScopes: [{ name: 's', expression: 'v1 &&', variables: [{ attribute: 'function.name', value: 'x' }] }],
    });
    (bad.policies as Array<Record<string, any>>)[0]!.scope.applicationScopes = ['s'];
    expect(() => loadBundle(bad)).toThrow();
  });
});
