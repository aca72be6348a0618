import fc from 'fast-check';
import type { DecisionEvent } from '../../layers/core/index.js';

// Generators of small container configurations and requests for the engine's property tests: a few
// namespaces, clusters and app labels, scopes that are Global, formulas over them, an application scope,
// and the exec, attach and pod-spec controls.

export const namespaces = ['default', 'prod-a', 'prod-b', 'kube-system', 'payments'];
export const clusters = ['c1', 'c2', 'c3'];
export const arbVariable = fc.oneof(
  fc.record({ attribute: fc.constant('kubernetes.namespace'), value: fc.constantFrom(...namespaces, 'prod-*', '*') }),
  fc.record({ attribute: fc.constant('kubernetes.cluster'), value: fc.constantFrom(...clusters, 'c*') }),
  fc.record({ attribute: fc.constant('kubernetes.label'), name: fc.constant('app'), value: fc.constantFrom('web', 'db', 'w*') }),
);
export const arbScope = fc.oneof(
  fc.constant({ applicationScopes: ['Global'] }),
  fc
    .array(arbVariable, { minLength: 1, maxLength: 3 })
    .chain((variables) =>
      fc
        .constantFrom('&&', '||')
        .map((op) => ({ applicationScopes: ['Global'], expression: variables.map((_, i) => `v${i + 1}`).join(` ${op} `), variables })),
    ),
  fc.constant({ applicationScopes: ['prod-scope'] }),
  fc.constant({
    applicationScopes: ['prod-scope', 'Global'],
    expression: '!v1',
    variables: [{ attribute: 'kubernetes.namespace', value: 'payments' }],
  }),
);
export const arbPolicy = fc.record({
  enforcementMode: fc.constantFrom('audit' as const, 'enforce' as const),
  scope: arbScope,
  controls: fc.record(
    {
      blockContainerExec: fc.record({ allowedProcesses: fc.subarray(['ls', '/usr/bin/date', 's*']) }),
      blockContainerAttach: fc.constant({}),
      limitContainerPrivileges: fc.constant({}),
    },
    { requiredKeys: [] },
  ),
});
export const arbWorkload = fc.record({
  'kubernetes.namespace': fc.option(fc.constantFrom(...namespaces), { nil: undefined }),
  'kubernetes.cluster': fc.option(fc.constantFrom(...clusters), { nil: undefined }),
  app: fc.option(fc.constantFrom('web', 'db'), { nil: undefined }),
});
export const arbEvent: fc.Arbitrary<DecisionEvent> = fc.oneof(
  fc.record({
    action: fc.constant('exec' as const),
    command: fc.array(fc.constantFrom('sh', 'ls', '/usr/bin/date', '/bin/ls', ''), { maxLength: 2 }),
  }),
  fc.constant({ action: 'attach' as const }),
  fc.constant({ action: 'create' as const, pod: { hostNetwork: true, hostPID: false, hostIPC: false, hostPaths: [], containers: [] } }),
);
export const prodScope = { name: 'prod-scope', expression: 'v1', variables: [{ attribute: 'kubernetes.cluster', value: 'c1' }] };
