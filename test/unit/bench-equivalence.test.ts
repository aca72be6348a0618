import { beforeAll, describe, expect, it } from 'vitest';
import { celActivation, compileCel, type CelEvaluator } from '../../bench/cel.js';
import { checkEquivalence, EquivalenceError } from '../../bench/equivalence.js';
import { generateConfig, generateRequests, requestKinds, type BenchConfig, type BenchRequest } from '../../bench/generate.js';
import { compileNaive, type NaiveEvaluator } from '../../bench/naive.js';
import { compileSnapshot, type CompiledSnapshot } from '../../layers/core/engine/snapshot.js';

// The decision benchmark compares the engine with a naive linear evaluator and a CEL-per-policy
// baseline; its numbers only mean something while all three decide the same. This keeps them honest
// at a size small enough for CI.
const N = 200;
/** CEL is slow (every program for every request): compare it on a spread sample. */
const CEL_SAMPLE = 16;

describe(`benchmark evaluators agree (N=${N})`, () => {
  let bench: BenchConfig;
  let snapshot: CompiledSnapshot;
  let naive: NaiveEvaluator;
  let cel: CelEvaluator;
  const requests = {} as Record<(typeof requestKinds)[number], BenchRequest[]>;

  beforeAll(() => {
    bench = generateConfig(N);
    snapshot = compileSnapshot(bench.config);
    naive = compileNaive(bench.config);
    cel = compileCel(bench.config);
    for (const kind of requestKinds) requests[kind] = generateRequests(bench, kind);
  });

  it('generates the same configuration for the same seed', () => {
    const again = generateConfig(N);
    expect(again.config.policies).toEqual(bench.config.policies);
    expect(generateRequests(again, 'exec').map((r) => r.request.event)).toEqual(requests.exec.map((r) => r.request.event));
  });

  it.each(requestKinds)('engine, naive and CEL agree on %s requests', (kind) => {
    const set = requests[kind];
    const stats = checkEquivalence(
      `N=${N} ${kind}`,
      snapshot,
      naive,
      cel,
      set,
      set.map((r) => celActivation(r.request)),
      CEL_SAMPLE,
    );
    // The comparison must not be vacuous: some requests flag, some do not, some are skipped.
    expect(stats.requestsWithViolations).toBeGreaterThan(0);
    expect(stats.requestsWithViolations).toBeLessThan(stats.requests);
    expect(stats.blockedRequests).toBeGreaterThan(0);
    expect(stats.meanFlaggedPolicies).toBeGreaterThan(0);
    expect(stats.skipped).toEqual({ bypass: 1, protectionOff: 1 });
  });

  it('notices an evaluator that drifts', () => {
    const set = requests.create;
    const activations = set.map((r) => celActivation(r.request));
    const lossy: NaiveEvaluator = {
      policies: naive.policies,
      decide: (request) => {
        const decision = naive.decide(request);
        return { ...decision, violations: decision.violations.slice(1) };
      },
    };
    expect(() => checkEquivalence('lossy naive', snapshot, lossy, cel, set, activations, 0)).toThrow(EquivalenceError);
    const blind: CelEvaluator = { ...cel, flagged: () => [] };
    expect(() => checkEquivalence('blind CEL', snapshot, naive, blind, set, activations, set.length)).toThrow(EquivalenceError);
  });
});
