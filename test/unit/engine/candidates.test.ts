import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileNaive } from '../../../bench/naive.js';
import {
  applicationScopeSchema,
  compileScope,
  compileSnapshot,
  decide,
  enforcerGroupSchema,
  enforcerSettingsSchema,
  policySchema,
  workloadAttributes,
  type ActionPolicy,
  type ConfigSnapshot,
  type DecisionEvent,
  type PolicyInput,
  type ScopeExpression,
  type WorkloadAttributes,
} from '../../../layers/core/index.js';
import { formatScopeExpression } from '../../../layers/core/scope/index.js';

// The candidate index files policies under exact values, prefixes, suffixes, tokens and (cluster, namespace)
// style pairs, and evaluates only what a filing leaves open. Whatever it files where, the policies it returns
// must be exactly those whose whole scope holds: these properties check that against plain compileScope on
// small alphabets, where patterns and values collide often.

const CLUSTER = 'kubernetes.cluster';
const NAMESPACE = 'kubernetes.namespace';
const IMAGE = 'container.image';
const LABEL = 'kubernetes.label';

const enforcing = enforcerGroupSchema.parse({ name: 'ke', type: 'kube_enforcer', enforce: true });
const event: fc.Arbitrary<DecisionEvent> = fc.oneof(
  fc.record({ action: fc.constant('exec' as const), command: fc.constantFrom(['sh'], ['ls'], ['/bin/sh', '-c', 'id'], []) }),
  fc.record({
    action: fc.constant('create' as const),
    pod: fc.record({
      hostNetwork: fc.boolean(),
      hostPID: fc.boolean(),
      hostIPC: fc.constant(false),
      hostPaths: fc.constant([]),
      containers: fc.constant([]),
    }),
  }),
  fc.constant({ action: 'attach' as const }),
);

/** Short texts over letters and the token delimiters "/" and ":" (so that token patterns can match). */
const text = fc.string({ unit: fc.constantFrom('a', 'b', '/', ':'), maxLength: 4 });
/** Literals, prefixes, suffixes, tokens, middle stars and lone stars, in the proportions that make them collide. */
const pattern = fc.oneof(
  fc.constantFrom('a', 'b', 'ab', 'a/b', 'a*', 'ab*', '*b', '*:b', '*/a:*', '*:b/*', 'a*b', '*a*', '*'),
  fc.string({ unit: fc.constantFrom('a', 'b', '*', '/', ':'), minLength: 1, maxLength: 4 }),
);
const variable = fc.oneof(
  fc.record({ attribute: fc.constantFrom(CLUSTER, NAMESPACE, IMAGE), value: pattern }),
  fc.record({ attribute: fc.constant(LABEL), name: fc.constantFrom('app', 'team'), value: pattern }),
);

/** A formula over `leaves` variables, each used once (the schema rejects unused variables). */
function formula(leaves: number): fc.Arbitrary<ScopeExpression> {
  const build = (from: number, count: number): fc.Arbitrary<ScopeExpression> => {
    if (count === 1) {
      const leaf: ScopeExpression = { kind: 'var', index: from, position: 0 };
      return fc.constantFrom(leaf, { kind: 'not', operand: leaf } as ScopeExpression);
    }
    return fc
      .integer({ min: 1, max: count - 1 })
      .chain((left) =>
        fc
          .tuple(fc.constantFrom('and' as const, 'or' as const), build(from, left), build(from + left, count - left))
          .map(([kind, l, r]) => ({ kind, left: l, right: r })),
      );
  };
  return build(1, leaves);
}

const scope = fc.oneof(
  { arbitrary: fc.constant({ applicationScopes: ['Global'] }), weight: 1 },
  {
    arbitrary: fc.integer({ min: 1, max: 4 }).chain((leaves) =>
      fc.record({
        applicationScopes: fc.constantFrom(['Global'], ['prod'], ['prod', 'a-namespaces']),
        expression: formula(leaves).map(formatScopeExpression),
        variables: fc.array(variable, { minLength: leaves, maxLength: leaves }),
      }),
    ),
    weight: 6,
  },
);

const applicationScopes = [
  { name: 'prod', expression: 'v1', variables: [{ attribute: CLUSTER, value: 'a' }] },
  {
    name: 'a-namespaces',
    expression: 'v1 || v2',
    variables: [
      { attribute: NAMESPACE, value: 'a*' },
      { attribute: IMAGE, value: '*:b' },
    ],
  },
];

const policy = fc.record({
  scope,
  enforcementMode: fc.constantFrom('audit' as const, 'enforce' as const),
  // Few distinct settings, so that several applicable policies share one compiled control.
  controls: fc.record(
    {
      blockContainerExec: fc.record({ allowedProcesses: fc.constantFrom([], ['ls'], ['s*']) }),
      limitContainerPrivileges: fc.constant({}),
      blockContainerAttach: fc.constant({}),
    },
    { requiredKeys: [] },
  ),
});

const workload: fc.Arbitrary<WorkloadAttributes> = fc
  .record({
    cluster: fc.option(fc.array(text, { minLength: 1, maxLength: 2 }), { nil: undefined }),
    namespace: fc.option(fc.array(text, { minLength: 1, maxLength: 2 }), { nil: undefined }),
    image: fc.option(fc.array(text, { maxLength: 3 }), { nil: undefined }),
    app: fc.option(text, { nil: undefined }),
    team: fc.option(text, { nil: undefined }),
  })
  .map((w) =>
    workloadAttributes(
      { [CLUSTER]: w.cluster, [NAMESPACE]: w.namespace, [IMAGE]: w.image },
      {
        [LABEL]: Object.fromEntries([
          ...(w.app === undefined ? [] : [['app', w.app]]),
          ...(w.team === undefined ? [] : [['team', w.team]]),
        ]),
      },
    ),
  );

function configOf(specs: readonly object[]): ConfigSnapshot {
  return {
    revision: 1,
    policies: specs.map((spec, i) => policySchema.parse({ ...spec, name: `p${i}`, type: 'container' })),
    applicationScopes: applicationScopes.map((s) => applicationScopeSchema.parse(s)),
    settings: enforcerSettingsSchema.parse({ bypassScopes: [] }),
    groups: [],
  };
}

/** Names of the enabled policies with a control acting on the action whose whole scope holds, by plain compileScope. */
function expectedApplicable(config: ConfigSnapshot, action: 'exec' | 'create', w: WorkloadAttributes): string[] {
  const appScope = new Map(config.applicationScopes.map((s) => [s.name, compileScope(s.expression, s.variables)]));
  appScope.set('Global', () => true);
  return config.policies
    .filter(
      (p) =>
        p.enabled &&
        Object.entries(p.controls).some(
          ([key, c]) =>
            (c as { enabled: boolean }).enabled && (action === 'exec' ? key === 'blockContainerExec' : key === 'limitContainerPrivileges'),
        ),
    )
    .filter(
      (p) => p.scope.applicationScopes.some((name) => appScope.get(name)!(w)) && compileScope(p.scope.expression, p.scope.variables)(w),
    )
    .map((p) => p.name)
    .sort();
}

describe('candidate index (properties)', () => {
  it('returns exactly the policies whose whole scope holds, however they are filed', () => {
    fc.assert(
      fc.property(fc.array(policy, { maxLength: 24 }), fc.array(workload, { minLength: 1, maxLength: 6 }), (specs, workloads) => {
        const config = configOf(specs);
        const snapshot = compileSnapshot(config);
        for (const w of workloads) {
          for (const action of ['exec', 'create'] as const) {
            const found: ActionPolicy[] = [];
            snapshot.collectApplicable('container', action, w, found);
            expect(found.map((p) => p.name).sort()).toEqual(expectedApplicable(config, action, w));
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('returns exactly those policies when every variable names one attribute (literals, prefixes and suffixes of one text)', () => {
    // Where a filing's literal also appears elsewhere in the formula (`ns == a* && (ns == a || …)`), only the
    // variable the filing establishes may be taken as true.
    const oneAttribute = fc.integer({ min: 1, max: 5 }).chain((leaves) =>
      fc.record({
        applicationScopes: fc.constant(['Global']),
        expression: formula(leaves).map(formatScopeExpression),
        variables: fc.array(
          fc.record({ attribute: fc.constant(NAMESPACE), value: fc.constantFrom('a', 'a*', '*a', 'ab', 'ab*', '*b', 'b', 'b*', '*/a:*') }),
          { minLength: leaves, maxLength: leaves },
        ),
      }),
    );
    const namespaces = fc.array(fc.constantFrom('a', 'ab', 'ba', 'b', 'aab', 'x/a:b'), { minLength: 1, maxLength: 2 });
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            scope: oneAttribute,
            enforcementMode: fc.constant('enforce' as const),
            controls: fc.constant({ blockContainerExec: {} }),
          }),
          { maxLength: 16 },
        ),
        fc.array(namespaces, { minLength: 1, maxLength: 6 }),
        (specs, workloadNamespaces) => {
          const config = configOf(specs);
          const snapshot = compileSnapshot(config);
          for (const values of workloadNamespaces) {
            const w = workloadAttributes({ [NAMESPACE]: values });
            const found: ActionPolicy[] = [];
            snapshot.collectApplicable('container', 'exec', w, found);
            expect(found.map((p) => p.name).sort()).toEqual(expectedApplicable(config, 'exec', w));
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('decides like a naive evaluation of every policy, violations in configuration order', () => {
    fc.assert(
      fc.property(
        fc.array(policy, { maxLength: 24 }),
        fc.array(workload, { minLength: 1, maxLength: 6 }),
        fc.array(event, { minLength: 1, maxLength: 4 }),
        (specs, workloads, events) => {
          const config = configOf(specs);
          const snapshot = compileSnapshot(config);
          const naive = compileNaive(config);
          // Consecutive decisions with different events: what one decision learnt about a shared control must not leak into the next.
          for (const w of workloads) {
            for (const event of events) {
              const request = { policyType: 'container' as const, group: enforcing, workload: w, event };
              expect(decide(snapshot, request)).toEqual(naive.decide(request));
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('candidate index', () => {
  const execPolicy = (
    name: string,
    expression: string,
    variables: Array<{ attribute: string; name?: string; value: string }>,
  ): PolicyInput => ({
    name,
    type: 'container',
    enforcementMode: 'enforce',
    scope: { applicationScopes: ['Global'], expression, variables },
    controls: { blockContainerExec: {} },
  });
  const applicable = (policies: PolicyInput[], w: WorkloadAttributes) => {
    const snapshot = compileSnapshot({ ...configOf([]), policies: policies.map((p) => policySchema.parse(p)) });
    const found: ActionPolicy[] = [];
    snapshot.collectApplicable('container', 'exec', w, found);
    return found.map((p) => p.name).sort();
  };

  it('tells apart prefixes, suffixes and tokens whose hashes collide', () => {
    // "Aa" and "BB" have the same polynomial hash with multiplier 31: the stored text must decide.
    const policies = [
      execPolicy('prefix-Aa', 'v1', [{ attribute: NAMESPACE, value: 'Aa*' }]),
      execPolicy('prefix-BB', 'v1', [{ attribute: NAMESPACE, value: 'BB*' }]),
      execPolicy('suffix-Aa', 'v1', [{ attribute: NAMESPACE, value: '*Aa' }]),
      execPolicy('suffix-BB', 'v1', [{ attribute: NAMESPACE, value: '*BB' }]),
      execPolicy('token-Aa', 'v1', [{ attribute: IMAGE, value: '*/Aa:*' }]),
      execPolicy('token-BB', 'v1', [{ attribute: IMAGE, value: '*/BB:*' }]),
    ];
    expect(applicable(policies, workloadAttributes({ [NAMESPACE]: 'BBxAa', [IMAGE]: 'r/BB:1' }))).toEqual([
      'prefix-BB',
      'suffix-Aa',
      'token-BB',
    ]);
    expect(applicable(policies, workloadAttributes({ [NAMESPACE]: 'AaxBB', [IMAGE]: 'r/Aa:1' }))).toEqual([
      'prefix-Aa',
      'suffix-BB',
      'token-Aa',
    ]);
  });

  it('finds a pair-filed policy only in its own cluster and namespace', () => {
    const policies = ['c1', 'c2'].flatMap((cluster) =>
      ['web', 'db'].map((namespace) =>
        execPolicy(`${cluster}-${namespace}`, 'v1 && v2', [
          { attribute: CLUSTER, value: cluster },
          { attribute: NAMESPACE, value: namespace },
        ]),
      ),
    );
    expect(applicable(policies, workloadAttributes({ [CLUSTER]: 'c2', [NAMESPACE]: 'web' }))).toEqual(['c2-web']);
    expect(applicable(policies, workloadAttributes({ [CLUSTER]: 'c3', [NAMESPACE]: 'web' }))).toEqual([]);
    // Several values of an attribute reach several pairs.
    expect(applicable(policies, workloadAttributes({ [CLUSTER]: ['c1', 'c2'], [NAMESPACE]: 'db' }))).toEqual(['c1-db', 'c2-db']);
  });

  it('files scopes with too many combinations for a pair under one dimension, without losing them', () => {
    const namespaces = Array.from({ length: 9 }, (_, i) => ({ attribute: NAMESPACE, value: `ns-${i}` }));
    const clusters = [
      { attribute: CLUSTER, value: 'c1' },
      { attribute: CLUSTER, value: 'c2' },
    ];
    const variables = [...clusters, ...namespaces];
    const expression = `(v1 || v2) && (${namespaces.map((_, i) => `v${i + 3}`).join(' || ')})`;
    const policies = [execPolicy('wide', expression, variables)];
    expect(applicable(policies, workloadAttributes({ [CLUSTER]: 'c2', [NAMESPACE]: 'ns-8' }))).toEqual(['wide']);
    expect(applicable(policies, workloadAttributes({ [CLUSTER]: 'c3', [NAMESPACE]: 'ns-8' }))).toEqual([]);
  });

  it('still evaluates what a filing leaves open, including a negation of the filed literal', () => {
    const policies = [
      execPolicy('contradiction', 'v1 && !v2', [
        { attribute: NAMESPACE, value: 'web' },
        { attribute: NAMESPACE, value: 'web' },
      ]),
      execPolicy('two-namespaces', 'v1 && v2', [
        { attribute: NAMESPACE, value: 'web' },
        { attribute: NAMESPACE, value: 'db' },
      ]),
      execPolicy('labelled', 'v1 && v2', [
        { attribute: NAMESPACE, value: 'web' },
        { attribute: LABEL, name: 'app', value: 'api*' },
      ]),
    ];
    expect(applicable(policies, workloadAttributes({ [NAMESPACE]: 'web' }, { [LABEL]: { app: 'ui' } }))).toEqual([]);
    expect(applicable(policies, workloadAttributes({ [NAMESPACE]: ['web', 'db'] }, { [LABEL]: { app: 'api-1' } }))).toEqual([
      'labelled',
      'two-namespaces',
    ]);
  });
});
