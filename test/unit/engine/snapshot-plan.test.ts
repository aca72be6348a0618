import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateConfig, generateRequests, requestKinds } from '../../../bench/generate.js';
import { policiesFromPlan } from '../../../layers/core/engine/snapshot-plan.js';
import {
  applicationScopeSchema,
  compileSnapshot,
  decide,
  decidingPolicy,
  enforcerGroupSchema,
  enforcerSettingsSchema,
  planSnapshot,
  policySchema,
  ScopeParseError,
  SNAPSHOT_PLAN_FORMAT,
  workloadAttributes,
  type ConfigSnapshot,
  type DecisionRequest,
  type PolicyInput,
  type SnapshotPlan,
} from '../../../layers/core/index.js';
import { arbEvent, arbPolicy, arbWorkload, prodScope } from '../../support/engine-arbitraries.js';

// A snapshot plan is stored as JSON with the decision snapshot and read back by cold instances: every test
// here compiles from the plan as it comes back from JSON, and compares with a fresh compile.

const fromStorage = <T>(stored: T): T => JSON.parse(JSON.stringify(stored)) as T;

/** The configuration as the webhook's stored snapshot holds it: each policy's deciding fields only, read back from JSON. */
const storedConfig = (config: ConfigSnapshot): ConfigSnapshot => fromStorage({ ...config, policies: config.policies.map(decidingPolicy) });

function configOf(policies: readonly PolicyInput[], revision = 7): ConfigSnapshot {
  return {
    revision,
    policies: policies.map((policy) => policySchema.parse(policy)),
    applicationScopes: [applicationScopeSchema.parse(prodScope)],
    settings: enforcerSettingsSchema.parse({ bypassScopes: [] }),
    groups: [],
  };
}

/** What a decision answers, in order: whether allowed, and every violation with its status and message. */
const answer = (snapshot: ReturnType<typeof compileSnapshot>, request: DecisionRequest) => decide(snapshot, request);

// Policies of the engine's generators, some disabled, some in an application scope that does not exist.
const arbPlannedPolicy = fc.record({
  spec: arbPolicy,
  enabled: fc.boolean(),
  missingScope: fc.boolean(),
});
const arbRequest = fc.tuple(arbWorkload, arbEvent, fc.boolean());

describe('compileSnapshot from a stored plan', () => {
  it('decides exactly as a fresh compile: allowed, violations and their order, on generated configurations and requests', () => {
    fc.assert(
      fc.property(
        fc.array(arbPlannedPolicy, { maxLength: 16 }),
        fc.array(arbRequest, { minLength: 1, maxLength: 10 }),
        (specs, requests) => {
          const config = configOf(
            specs.map(({ spec, enabled, missingScope }, i) => ({
              name: `p${i}`,
              type: 'container',
              ...spec,
              enabled: enabled || i % 3 !== 0,
              scope: missingScope ? { ...spec.scope, applicationScopes: [...spec.scope.applicationScopes, 'gone'] } : spec.scope,
            })) as PolicyInput[],
          );
          // Planned and rebuilt from what the webhook stores; compiled afresh from the whole policies.
          const stored = storedConfig(config);
          const plan = fromStorage(planSnapshot(stored));
          // The plan fits: the snapshot below is rebuilt from it, not compiled afresh behind its back.
          expect(() => policiesFromPlan(stored, plan)).not.toThrow();
          const planned = compileSnapshot(stored, plan);
          const fresh = compileSnapshot(config);
          expect(planned.problems).toEqual(fresh.problems);
          // Every request twice: the first reach of a filing compiles its residual formula.
          for (const round of [0, 1]) {
            for (const [w, event, enforce] of round === 0 ? requests : [...requests].reverse()) {
              const workload = workloadAttributes(
                { 'kubernetes.namespace': w['kubernetes.namespace'], 'kubernetes.cluster': w['kubernetes.cluster'] },
                { 'kubernetes.label': w.app ? { app: w.app } : undefined },
              );
              const group = enforcerGroupSchema.parse({ name: 'g', type: 'kube_enforcer', enforce });
              const request: DecisionRequest = { policyType: 'container', group, workload, event };
              expect(answer(planned, request)).toEqual(answer(fresh, request));
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('decides exactly as a fresh compile on the benchmark configurations (pair and single filings, residual formulas, shared controls)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 150 }), fc.integer({ min: 1, max: 2 ** 31 - 1 }), (n, seed) => {
        const { config } = generateConfig(n, seed);
        const bench = generateConfig(n, seed);
        const stored = storedConfig(config);
        const plan = fromStorage(planSnapshot(stored));
        expect(() => policiesFromPlan(stored, plan)).not.toThrow();
        // One tree per distinct formula (and variable count), however many policies share it.
        expect(plan.trees.length).toBeLessThanOrEqual(
          new Set(config.policies.map((p) => `${p.scope.variables.length} ${p.scope.expression}`)).size,
        );
        const planned = compileSnapshot(stored, plan);
        const fresh = compileSnapshot(config);
        for (const kind of requestKinds) {
          for (const { request } of generateRequests(bench, kind, 24)) expect(answer(planned, request)).toEqual(answer(fresh, request));
        }
      }),
      { numRuns: 25 },
    );
  });
});

describe('compileSnapshot: indexes filed on first use', () => {
  it('decides the same whichever action a snapshot is first asked about (each index is filed when first needed)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 120 }), fc.integer({ min: 1, max: 2 ** 31 - 1 }), (n, seed) => {
        const bench = generateConfig(n, seed);
        const plan = fromStorage(planSnapshot(bench.config));
        const requests = requestKinds.flatMap((kind) => generateRequests(bench, kind, 12).map(({ request }) => request));
        // One snapshot meets the actions in one order, the other in the reverse order; the fresh compile
        // files lazily too, so both paths are covered.
        for (const compile of [() => compileSnapshot(bench.config, plan), () => compileSnapshot(bench.config)]) {
          const forward = compile();
          const backward = compile();
          const answers = requests.map((request) => answer(forward, request));
          const reversed = [...requests].reverse().map((request) => answer(backward, request));
          expect(reversed.reverse()).toEqual(answers);
        }
      }),
      { numRuns: 20 },
    );
  });
});

describe('compileSnapshot: which plans it uses', () => {
  const execGuard: PolicyInput = {
    name: 'exec-guard',
    type: 'container',
    enforcementMode: 'enforce',
    scope: { applicationScopes: ['Global'], expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: 'default' }] },
    controls: { blockContainerExec: {} },
  };
  const config = configOf([execGuard]);
  const request: DecisionRequest = {
    policyType: 'container',
    group: enforcerGroupSchema.parse({ name: 'g', type: 'kube_enforcer', enforce: true }),
    workload: workloadAttributes({ 'kubernetes.namespace': 'default' }),
    event: { action: 'exec', command: ['sh'] },
  };
  /** The plan of `config` with every filing decided out of scope: a snapshot built from it blocks nothing. */
  const neverInScope = (): SnapshotPlan => {
    const plan = fromStorage(planSnapshot(config));
    return { ...plan, policies: plan.policies.map((policy) => ({ ...policy, filings: policy.filings.map(() => false) })) };
  };

  it('rebuilds from a plan of its format and revision (a tampered one shows it is read)', () => {
    expect(answer(compileSnapshot(config), request).allowed).toBe(false);
    expect(answer(compileSnapshot(config, neverInScope()), request)).toEqual({ allowed: true, violations: [] });
  });

  it('ignores a plan of another format or another revision, and compiles afresh', () => {
    const fresh = answer(compileSnapshot(config), request);
    expect(answer(compileSnapshot(config, { ...neverInScope(), format: SNAPSHOT_PLAN_FORMAT + 1 }), request)).toEqual(fresh);
    expect(answer(compileSnapshot(config, { ...neverInScope(), revision: config.revision - 1 }), request)).toEqual(fresh);
  });

  it('ignores a plan that does not fit the configuration (a policy, control or dimension it names is not there)', () => {
    const fresh = answer(compileSnapshot(config), request);
    const plan = neverInScope();
    const broken: SnapshotPlan[] = [
      { ...plan, policies: plan.policies.map((policy) => ({ ...policy, ordinal: 5 })) },
      { ...plan, controls: plan.controls.map(([ordinal]) => [ordinal, 'noSuchControl'] as const) },
      { ...plan, dimensions: [] },
      { ...plan, trees: [] },
      { ...plan, policies: plan.policies.map((policy) => ({ ...policy, filings: [] })) },
      // Damaged rather than out of date: checked when the plan is read, since the indexes are filed later,
      // by the first decision of each action, where a plan can no longer be set aside.
      { ...plan, dimensions: plan.dimensions.map(([, attribute, name]) => ['regex' as never, attribute, name] as const) },
      {
        ...plan,
        policies: plan.policies.map((policy) => ({
          ...policy,
          placements: policy.placements!.map(([dimension]) => [dimension, 7 as never] as const),
        })),
      },
      { ...plan, policies: plan.policies.map((policy) => ({ ...policy, filings: policy.filings.map(() => 'v1' as never) })) },
    ];
    for (const bad of broken) {
      expect(() => policiesFromPlan(config, bad)).toThrow();
      expect(answer(compileSnapshot(config, bad), request)).toEqual(fresh);
    }
  });

  it('plans nothing for a configuration that does not compile: a malformed formula fails planning as it fails compiling', () => {
    const broken = { ...config, policies: [{ ...config.policies[0]!, scope: { ...config.policies[0]!.scope, expression: 'v1 &&' } }] };
    expect(() => planSnapshot(broken)).toThrow(ScopeParseError);
    expect(() => compileSnapshot(broken)).toThrow(ScopeParseError);
  });
});
