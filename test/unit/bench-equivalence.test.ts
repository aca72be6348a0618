import { beforeAll, describe, expect, it } from 'vitest';
import { celImplementations, compileCel, type CelEvaluator, type CelImplementationName } from '../../bench/cel.js';
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
  const cel = {} as Record<CelImplementationName, CelEvaluator>;
  const implementations = Object.keys(celImplementations) as CelImplementationName[];
  const requests = {} as Record<(typeof requestKinds)[number], BenchRequest[]>;

  beforeAll(() => {
    bench = generateConfig(N);
    snapshot = compileSnapshot(bench.config);
    naive = compileNaive(bench.config);
    for (const name of implementations) cel[name] = compileCel(bench.config, celImplementations[name]);
    for (const kind of requestKinds) requests[kind] = generateRequests(bench, kind);
  });

  it('generates the same configuration for the same seed', () => {
    const again = generateConfig(N);
    expect(again.config.policies).toEqual(bench.config.policies);
    expect(generateRequests(again, 'exec').map((r) => r.request.event)).toEqual(requests.exec.map((r) => r.request.event));
  });

  it.each(requestKinds.flatMap((kind) => implementations.map((name) => [kind, name] as const)))(
    'engine, naive and CEL agree on %s requests (%s)',
    (kind, name) => {
      const set = requests[kind];
      const stats = checkEquivalence(
        `N=${N} ${kind}`,
        snapshot,
        naive,
        cel[name],
        set,
        set.map((r) => cel[name].activation(r.request)),
        CEL_SAMPLE,
      );
      // The comparison must not be vacuous: some requests flag, some do not, some are skipped.
      expect(stats.requestsWithViolations).toBeGreaterThan(0);
      expect(stats.requestsWithViolations).toBeLessThan(stats.requests);
      expect(stats.blockedRequests).toBeGreaterThan(0);
      expect(stats.meanFlaggedPolicies).toBeGreaterThan(0);
      expect(stats.skipped).toEqual({ bypass: 1, protectionOff: 1 });
    },
  );

  it('runs every CEL implementation on its own value types and string library', () => {
    // The fastest implementation takes CEL ints as BigInt and spells string functions as members; a
    // translation for the other one would not parse there, so each gets its own.
    expect(cel.marcbachmann.programs.some((p) => p.source.includes('.startsWith('))).toBe(true);
    expect(cel.celJs08.programs.some((p) => p.source.includes('startsWith(') && !p.source.includes('.startsWith('))).toBe(true);
    const withPorts = requests.create.find(
      (r) => r.request.event.action === 'create' && r.request.event.pod.containers.some((c) => c.ports.length > 0),
    );
    expect(withPorts).toBeDefined();
    const activation = cel.marcbachmann.activation(withPorts!.request) as { pod: { containers: Array<{ ports: unknown[] }> } };
    expect(activation.pod.containers.flatMap((c) => c.ports).every((port) => typeof port === 'bigint')).toBe(true);
  });

  it('notices an evaluator that drifts', () => {
    const set = requests.create;
    const activations = set.map((r) => cel.marcbachmann.activation(r.request));
    const lossy: NaiveEvaluator = {
      policies: naive.policies,
      decide: (request) => {
        const decision = naive.decide(request);
        return { ...decision, violations: decision.violations.slice(1) };
      },
    };
    expect(() => checkEquivalence('lossy naive', snapshot, lossy, cel.marcbachmann, set, activations, 0)).toThrow(EquivalenceError);
    const blind: CelEvaluator = { ...cel.marcbachmann, flagged: () => [] };
    expect(() => checkEquivalence('blind CEL', snapshot, naive, blind, set, activations, set.length)).toThrow(EquivalenceError);
  });
});
