import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileNaive } from '../../../bench/naive.js';
import {
  compileControl,
  compileSnapshot,
  decide,
  enforcerGroupSchema,
  enforcerSettingsSchema,
  findControl,
  policySchema,
  ScopeParseError,
  workloadAttributes,
  type ConfigSnapshot,
  type DecisionEvent,
  type Policy,
  type PolicyInput,
} from '../../../layers/core/index.js';

// compileSnapshot parses every scope formula up front and turns a formula into predicates only when a
// workload first reaches the policy. These tests pin down that the deferral changes neither which
// configurations fail to compile nor any decision.

const NAMESPACE = 'kubernetes.namespace';
const CLUSTER = 'kubernetes.cluster';
const LABEL = 'kubernetes.label';
const enforcing = enforcerGroupSchema.parse({ name: 'ke', type: 'kube_enforcer', enforce: true });

function configOf(policies: readonly Policy[]): ConfigSnapshot {
  return { revision: 1, policies, applicationScopes: [], settings: enforcerSettingsSchema.parse({ bypassScopes: [] }), groups: [] };
}

const valid = policySchema.parse({
  name: 'valid',
  type: 'container',
  enforcementMode: 'enforce',
  scope: {
    applicationScopes: ['Global'],
    expression: 'v1 && v2',
    variables: [
      { attribute: NAMESPACE, value: 'web' },
      { attribute: LABEL, name: 'app', value: 'api*' },
    ],
  },
  controls: { blockContainerExec: {} },
});

/** A stored policy whose formula the schema would have refused (a document written before validation, say). */
function withFormula(policy: Policy, expression: string, changes: Partial<Policy> = {}): Policy {
  return { ...policy, ...changes, scope: { ...policy.scope, expression } };
}

describe('compileSnapshot: when scope formulas are checked', () => {
  it('fails on a malformed formula of an enabled policy with controls, naming the position, before any decision', () => {
    const config = configOf([valid, withFormula(valid, 'v1 &&', { name: 'broken' })]);
    let error: unknown;
    try {
      compileSnapshot(config);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ScopeParseError);
    expect(error).toMatchObject({ code: 'unexpected_end', position: 5 });
  });

  it('fails on a formula naming a variable the policy does not define', () => {
    expect(() => compileSnapshot(configOf([withFormula(valid, 'v1 && v3')]))).toThrow(
      expect.objectContaining({ code: 'unknown_variable', position: 6 }),
    );
  });

  it('ignores the formulas of disabled policies and of policies without an evaluable control, as it always did', () => {
    const disabled = withFormula(valid, 'v1 &&', { name: 'disabled', enabled: false });
    const noControls = withFormula(valid, 'v1 &&', { name: 'no-controls', controls: { blockContainerExec: { enabled: false } } });
    const snapshot = compileSnapshot(configOf([disabled, noControls, valid]));
    const workload = workloadAttributes({ [NAMESPACE]: 'web' }, { [LABEL]: { app: 'api-1' } });
    expect(
      decide(snapshot, { policyType: 'container', group: enforcing, workload, event: { action: 'exec', command: ['sh'] } }).violations.map(
        (v) => v.policy,
      ),
    ).toEqual(['valid']);
  });
});

describe('compileSnapshot: scopes compiled on first use', () => {
  const execPolicy = (
    name: string,
    expression: string,
    variables: Array<{ attribute: string; name?: string; value: string }>,
    controls: PolicyInput['controls'] = { blockContainerExec: {} },
  ): Policy =>
    policySchema.parse({
      name,
      type: 'container',
      enforcementMode: 'enforce',
      scope: { applicationScopes: ['Global'], expression, variables },
      controls,
    });

  it('decides the same on the first and on every later reach of a policy, through every filing and action', () => {
    // Pair-filed with a residual label test, prefix-filed with a residual negation, and unindexed; the
    // pod-spec policy sits in the create, update and debug indexes with one set of filings.
    const policies = [
      execPolicy('pair-label', 'v1 && v2 && v3', [
        { attribute: CLUSTER, value: 'c1' },
        { attribute: NAMESPACE, value: 'web' },
        { attribute: LABEL, name: 'app', value: 'api*' },
      ]),
      execPolicy('prefix-not', 'v1 && !v2', [
        { attribute: NAMESPACE, value: 'we*' },
        { attribute: LABEL, name: 'tier', value: 'debug' },
      ]),
      execPolicy('unindexed', '!v1', [{ attribute: LABEL, name: 'tier', value: 'debug' }]),
      execPolicy(
        'pod-spec',
        'v1 || v2',
        [
          { attribute: NAMESPACE, value: 'web' },
          { attribute: NAMESPACE, value: 'db' },
        ],
        { limitContainerPrivileges: {} },
      ),
    ];
    const config = configOf(policies);
    const naive = compileNaive(config);
    const workloads = [
      workloadAttributes({ [CLUSTER]: 'c1', [NAMESPACE]: 'web' }, { [LABEL]: { app: 'api-1', tier: 'debug' } }),
      workloadAttributes({ [CLUSTER]: 'c1', [NAMESPACE]: 'web' }, { [LABEL]: { app: 'ui', tier: 'frontend' } }),
      workloadAttributes({ [CLUSTER]: 'c2', [NAMESPACE]: 'db' }, { [LABEL]: { app: 'api-2' } }),
      workloadAttributes({ [NAMESPACE]: 'west' }),
    ];
    const pod = { hostNetwork: true, hostPID: false, hostIPC: false, containers: [], hostPaths: [] };
    const events: DecisionEvent[] = [
      { action: 'exec', command: ['sh'] },
      { action: 'create', pod },
      { action: 'update', pod, oldPod: { ...pod, hostNetwork: false } },
      { action: 'debug', pod },
    ];
    // Two snapshots of one configuration, asked in opposite orders: whichever request compiles a filing's
    // predicate, every decision is the naive one.
    const forwards = compileSnapshot(config);
    const backwards = compileSnapshot(config);
    const requests = workloads.flatMap((workload) =>
      events.map((event) => ({ policyType: 'container' as const, group: enforcing, workload, event })),
    );
    for (let round = 0; round < 2; round++) {
      for (const request of requests) expect(decide(forwards, request)).toEqual(naive.decide(request));
      for (const request of [...requests].reverse()) expect(decide(backwards, request)).toEqual(naive.decide(request));
    }
    // The naive evaluator is the reference; these two pin down that the residual tests ran at all.
    expect(decide(forwards, requests[0]!).violations.map((v) => v.policy)).toEqual(['pair-label']);
    expect(decide(forwards, requests[events.length]!).violations.map((v) => v.policy)).toEqual(['prefix-not', 'unindexed']);
  });

  it('evaluates a policy full scope through forEachCandidate like the index does', () => {
    const policy = execPolicy('labelled', 'v1 && v2', [
      { attribute: NAMESPACE, value: 'web' },
      { attribute: LABEL, name: 'app', value: 'api*' },
    ]);
    const snapshot = compileSnapshot(configOf([policy]));
    const inScope = (workload: ReturnType<typeof workloadAttributes>) => {
      const answers: boolean[] = [];
      snapshot.forEachCandidate('container', 'exec', workload, (candidate) => answers.push(candidate.inScope(workload)));
      return answers;
    };
    expect(inScope(workloadAttributes({ [NAMESPACE]: 'web' }, { [LABEL]: { app: 'api-1' } }))).toEqual([true]);
    expect(inScope(workloadAttributes({ [NAMESPACE]: 'web' }, { [LABEL]: { app: 'ui' } }))).toEqual([false]);
    expect(inScope(workloadAttributes({ [NAMESPACE]: 'db' }))).toEqual([]);
  });
});

describe('compiled controls: message', () => {
  it('is the findings of evaluate joined, inside a decision and outside one, for exec whatever the allow-list', () => {
    const programs = fc.constantFrom('sh', '/bin/sh', 'ls', '/usr/bin/ls', '', 'a"b', 'python3');
    const allowLists = fc.array(fc.constantFrom('sh', 'ls', '/usr/bin/*', 'py*', '*'), { maxLength: 3 });
    const definition = findControl('container', 'blockContainerExec')!;
    // Decision numbers are unique per decided event, as decide hands them out.
    let decision = 1_000_000;
    fc.assert(
      fc.property(
        fc.array(allowLists, { minLength: 1, maxLength: 4 }),
        fc.array(fc.array(programs, { maxLength: 2 }), { minLength: 1, maxLength: 4 }),
        (lists, commands) => {
          const controls = lists.map((allowedProcesses) => compileControl(definition, { enabled: true, allowedProcesses })!);
          // Consecutive decision numbers with different events: nothing derived for one may answer the next.
          commands.forEach((command) => {
            const event: DecisionEvent = { action: 'exec', command };
            decision++;
            for (const control of controls) {
              const findings = control.evaluate(event);
              const joined = findings.length === 0 ? undefined : findings.map((f) => f.message).join('; ');
              expect(control.message(event, 0)).toBe(joined);
              expect(control.message(event, decision)).toBe(joined);
            }
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
