// The compiler computes shared work once per run (application scopes, bypass, control lowerings, selectors)
// and sorts once. These tests hold it to the straightforward compiler it replaced (reference-compile.ts): the
// same JSON, and the same YAML per object as the preview answers it, since YAML shows which values inside one
// object are the same array (anchors and aliases).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import {
  compileNodePolicies,
  type NodeClusterFacts,
  type NodePolicyCompilation,
  type NodePolicyConfig,
} from '../../../layers/core/index.js';
import { nodeBenchConfig } from '../../../bench/suites/node-policies.js';
import { config, enforcingGroup, policy } from './cases.js';
import { referenceCompileNodePolicies } from './reference-compile.js';

function objectsAsYaml(compilation: NodePolicyCompilation): string[] {
  return compilation.objects.map((object) => YAML.stringify(object, { lineWidth: 0 }));
}

function expectSameAsReference(configuration: NodePolicyConfig, facts: NodeClusterFacts): NodePolicyCompilation {
  const fast = compileNodePolicies(configuration, facts);
  const reference = referenceCompileNodePolicies(configuration, facts);
  expect(JSON.stringify(fast)).toBe(JSON.stringify(reference));
  expect(objectsAsYaml(fast)).toEqual(objectsAsYaml(reference));
  return fast;
}

describe('compileNodePolicies equals the straightforward compiler', () => {
  it('on the benchmark configuration, object for object and byte for byte', () => {
    const compiled = expectSameAsReference(nodeBenchConfig(300, 7), {
      cluster: 'bench-eks',
      group: enforcingGroup,
      namespaces: ['team-1', 'team-2', 'kube-system'],
    });
    // A configuration that compiles to nothing would make the comparison empty.
    expect(compiled.objects.length).toBeGreaterThan(300);
    expect(new Set(compiled.objects.map((o) => o.kind))).toEqual(new Set(['TracingPolicy', 'TracingPolicyNamespaced']));
  });

  // Few distinct option sets and scopes, so that policies share lowerings and application scopes as templates do.
  const executables = fc.constantFrom(
    ['/usr/bin/curl', 'wget'],
    ['*.sh'],
    ['/opt/*', '/a*b', '**'],
    Array.from({ length: 70 }, (_, i) => `/bin/t${i}`),
  );
  const controls = fc.record(
    {
      blockedExecutables: executables.map((list) => ({ executables: list })),
      portBlock: fc.constantFrom(
        { outbound: ['25'], inbound: ['22', '8000-8100'] },
        { outbound: Array.from({ length: 70 }, (_, i) => String(i + 1)) },
      ),
      readOnlyFiles: fc.constantFrom({ paths: ['/etc/*'], exceptions: ['/etc/resolv.conf'] }, { paths: ['/etc/passwd', '*.conf'] }),
      fileIntegrityMonitoring: fc.constantFrom({ paths: ['/root/.ssh/*'] }, { paths: ['/etc/*'], operations: ['read', 'modify'] }),
      driftPrevention: fc.constantFrom({}, { allowedExecutables: ['/tmp/app/run'] }),
      reverseShell: fc.constantFrom({ allowedIps: ['10.0.0.0/8', 'x'] }, { allowedProcesses: ['python3'] }),
      blockContainerExec: fc.constantFrom({}, { allowedProcesses: ['/bin/ls'] }),
      forkGuard: fc.constant({}),
      readOnlyRootFilesystem: fc.constant({}),
    },
    { requiredKeys: [] },
  );
  const variable = fc.constantFrom(
    { attribute: 'kubernetes.namespace', value: 'shop' },
    { attribute: 'kubernetes.namespace', value: 'team-*' },
    { attribute: 'kubernetes.namespace', value: 'kube-system' },
    { attribute: 'kubernetes.label', name: 'app', value: 'web' },
    { attribute: 'container.name', value: 'main' },
    { attribute: 'kubernetes.pod', value: 'web-*' },
    { attribute: 'kubernetes.cluster', value: 'prod-*' },
  );
  const scope = fc.record({
    applicationScopes: fc.subarray(['Global', 'shop-apps', 'labelled', 'missing'], { minLength: 1 }),
    expression: fc.constantFrom('', 'v1', '!v1', 'v1 && v2', 'v1 || v2', '!(v1 && v2)'),
    variables: fc.tuple(variable, variable),
  });
  const policySpec = fc.record({
    name: fc.constantFrom('a', 'b', 'shop-web', 'Z', 'p.1', 'x'.repeat(60)),
    type: fc.constantFrom('container' as const, 'host' as const),
    enabled: fc.boolean(),
    enforcementMode: fc.constantFrom('audit' as const, 'enforce' as const),
    scope,
    controls,
  });
  const bypassScopes = fc.constantFrom(
    undefined,
    [],
    [{ attribute: 'kubernetes.label', name: 'vigil.dev/bypass', value: 'true' }],
    [
      { attribute: 'kubernetes.namespace', value: 'team-*' },
      { attribute: 'kubernetes.pod', value: 'debug-*' },
    ],
  );

  it('on generated bundles: shared scopes and option sets, bypass lists, cluster facts and modes', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(policySpec, { maxLength: 12, selector: (p) => `${p.type}/${p.name}` }),
        bypassScopes,
        fc.record({ enforce: fc.boolean(), hostProtection: fc.boolean(), allowOverBlocking: fc.boolean(), namespacesKnown: fc.boolean() }),
        (specs, bypass, switches) => {
          const policies = specs.map((spec) => {
            const count = spec.scope.expression.includes('v2') ? 2 : spec.scope.expression.includes('v1') ? 1 : 0;
            const host = spec.type === 'host';
            const { blockedExecutables, portBlock, readOnlyFiles, fileIntegrityMonitoring } = spec.controls;
            return policy({
              name: spec.name,
              type: spec.type,
              enabled: spec.enabled,
              enforcementMode: spec.enforcementMode,
              scope: host
                ? { applicationScopes: ['Global'], expression: '', variables: [] }
                : { ...spec.scope, variables: spec.scope.variables.slice(0, count) },
              controls: host ? { blockedExecutables, portBlock, readOnlyFiles, fileIntegrityMonitoring, osUsers: {} } : spec.controls,
            });
          });
          const applicationScopes = [
            {
              name: 'shop-apps',
              expression: 'v1 || v2',
              variables: [
                { attribute: 'kubernetes.namespace', value: 'shop' },
                { attribute: 'kubernetes.namespace', value: 'team-a' },
              ],
            },
            { name: 'labelled', expression: 'v1', variables: [{ attribute: 'kubernetes.label', name: 'tier', value: 'front' }] },
          ];
          expectSameAsReference(config(policies, { applicationScopes, ...(bypass === undefined ? {} : { bypassScopes: bypass }) }), {
            cluster: 'prod-eks',
            group: { ...enforcingGroup, enforce: switches.enforce, hostProtection: switches.hostProtection },
            allowOverBlocking: switches.allowOverBlocking,
            ...(switches.namespacesKnown ? { namespaces: ['shop', 'team-a', 'team-b', 'kube-system'] } : {}),
          });
        },
      ),
      { numRuns: 150 },
    );
  });
});
