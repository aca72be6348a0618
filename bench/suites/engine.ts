/**
 * Decision benchmark: the Vigil engine (candidate index) against a naive linear evaluator and a
 * CEL-per-policy baseline, on the same generated configurations and requests, in one run.
 */
import { decide } from '../../layers/core/engine/decide.js';
import { compileSnapshot, type CompiledSnapshot } from '../../layers/core/engine/snapshot.js';
import { compileScope } from '../../layers/core/scope/index.js';
import { celActivation, compileCel, type CelActivation, type CelEvaluator } from '../cel.js';
import { checkEquivalence, type EquivalenceStats } from '../equivalence.js';
import { CLUSTER_COUNT, generateConfig, generateRequests, namespaceCount, requestKinds, WORKLOAD_COUNT, type BenchRequest, type RequestKind } from '../generate.js';
import { collectGarbage, measure, type MeasureOptions, type Measurement } from '../measure.js';
import { compileNaive, type NaiveEvaluator } from '../naive.js';
import type { BenchSuite, SuiteContext } from '../suite.js';

export const POLICY_COUNTS = [10, 1_000, 10_000] as const;
const evaluators = ['engine', 'naive', 'cel'] as const;
type EvaluatorName = (typeof evaluators)[number];

/** Thresholds the engine is expected to meet. */
export const GOALS = {
  engineScalingMax: 3,
  celOverEngineMin: 10,
  engineDecisionsPerSecondAt10Min: 100_000,
} as const;

interface Row extends Measurement {
  readonly evaluator: EvaluatorName;
  readonly n: number;
  readonly kind: RequestKind;
}

function ms(value: number): number {
  return Math.round(value * 100) / 100;
}

function ratio(a: number, b: number): number {
  return Math.round((a / b) * 100) / 100;
}

function measureOptions(evaluator: EvaluatorName, n: number, quick: boolean): MeasureOptions {
  if (quick) return { warmupMs: 30, rounds: evaluator === 'cel' ? 3 : 5, roundMs: 10 };
  // CEL evaluates every program per request: at N=10,000 one decision takes a large part of a second.
  if (evaluator === 'cel') return { warmupMs: 300, rounds: n >= 10_000 ? 10 : 20, roundMs: 50 };
  return { warmupMs: 300, rounds: 20, roundMs: 25 };
}

interface Prepared {
  readonly snapshot: CompiledSnapshot;
  readonly naive: NaiveEvaluator;
  readonly cel: CelEvaluator;
  readonly requests: Readonly<Record<RequestKind, readonly BenchRequest[]>>;
  readonly activations: Readonly<Record<RequestKind, readonly CelActivation[]>>;
}

function stepOf(evaluator: EvaluatorName, prepared: Prepared, kind: RequestKind): (i: number) => number {
  const requests = prepared.requests[kind];
  const activations = prepared.activations[kind];
  const count = requests.length;
  switch (evaluator) {
    case 'engine': {
      const { snapshot } = prepared;
      return (i) => decide(snapshot, requests[i % count]!.request).violations.length;
    }
    case 'naive': {
      const { naive } = prepared;
      return (i) => naive.decide(requests[i % count]!.request).violations.length;
    }
    case 'cel': {
      const { cel } = prepared;
      return (i) => cel.count(requests[i % count]!.request, activations[i % count]!);
    }
  }
}

function mean(rows: readonly Row[], evaluator: EvaluatorName, n: number, kind: RequestKind): number {
  const row = rows.find((r) => r.evaluator === evaluator && r.n === n && r.kind === kind);
  if (!row) throw new Error(`no measurement for ${evaluator} at N=${n} (${kind})`);
  return row.meanNs;
}

function perKindObject<T>(compute: (kind: RequestKind) => T): Record<RequestKind, T> {
  return Object.fromEntries(requestKinds.map((kind) => [kind, compute(kind)])) as Record<RequestKind, T>;
}

function perKind(compute: (kind: RequestKind) => number): Record<RequestKind, number> {
  return perKindObject(compute);
}

function run(context: SuiteContext): Record<string, unknown> {
  const { log, quick, seed } = context;
  const rows: Row[] = [];
  const setup: Record<string, unknown> = {};
  const equivalence: Record<string, Record<RequestKind, EquivalenceStats>> = {};
  const breakdown: Record<string, Record<RequestKind, Record<string, number>>> = {};
  let largest: ReturnType<typeof generateConfig> | undefined;

  for (const n of POLICY_COUNTS) {
    log(`engine: N=${n}: generating and compiling`);
    const bench = generateConfig(n, seed);
    let started = performance.now();
    const snapshot = compileSnapshot(bench.config);
    const compileSnapshotMs = performance.now() - started;
    started = performance.now();
    const naive = compileNaive(bench.config);
    const naiveCompileMs = performance.now() - started;
    const cel = compileCel(bench.config);
    const requests = { exec: generateRequests(bench, 'exec'), create: generateRequests(bench, 'create') };
    const activations = { exec: requests.exec.map((r) => celActivation(r.request)), create: requests.create.map((r) => celActivation(r.request)) };
    const prepared: Prepared = { snapshot, naive, cel, requests, activations };
    setup[n] = {
      policies: n,
      enabledPoliciesWithControls: naive.policies,
      celPrograms: cel.programs.length,
      meanCelExpressionChars: Math.round(cel.programs.reduce((sum, p) => sum + p.source.length, 0) / Math.max(1, cel.programs.length)),
      namespaces: namespaceCount(n),
      clusters: CLUSTER_COUNT,
      policySchemaParseMs: ms(bench.policyParseMs),
      compileSnapshotMs: ms(compileSnapshotMs),
      naiveCompileMs: ms(naiveCompileMs),
      celTranslateMs: ms(cel.translateMs),
      celParseMs: ms(cel.parseMs),
      snapshotProblems: snapshot.problems.length,
    };

    log(`engine: N=${n}: checking that engine, naive and CEL agree`);
    // CEL at N=10,000 costs a large part of a second per request: compare it on a spread sample there.
    const celSample = quick ? 8 : n >= 10_000 ? 8 : WORKLOAD_COUNT;
    equivalence[n] = {
      exec: checkEquivalence(`N=${n} exec`, snapshot, naive, cel, requests.exec, activations.exec, celSample),
      create: checkEquivalence(`N=${n} create`, snapshot, naive, cel, requests.create, activations.create, celSample),
    };

    for (const kind of requestKinds) {
      for (const evaluator of evaluators) {
        collectGarbage();
        const measurement = measure(stepOf(evaluator, prepared, kind), measureOptions(evaluator, n, quick));
        rows.push({ evaluator, n, kind, ...measurement });
        log(`engine: N=${n} ${kind.padEnd(6)} ${evaluator.padEnd(6)} ${measurement.meanNs.toFixed(0).padStart(12)} ns/decision  ${measurement.decisionsPerSecond.toLocaleString('en-US').padStart(11)} decisions/s  (${measurement.rounds} rounds x ${measurement.batch})`);
      }
    }
    // Where the engine's time goes: the candidate lookup alone, then lookup plus scope evaluation.
    breakdown[n] = perKindObject((kind) => {
      const set = requests[kind];
      const count = set.length;
      const options: MeasureOptions = quick ? { warmupMs: 20, rounds: 3, roundMs: 5 } : { warmupMs: 100, rounds: 10, roundMs: 20 };
      const lookup = measure((i) => {
        const { request } = set[i % count]!;
        let found = 0;
        snapshot.forEachCandidate(request.policyType, request.event.action, request.workload, () => found++);
        return found;
      }, options);
      const scoped = measure((i) => {
        const { request } = set[i % count]!;
        let inScope = 0;
        snapshot.forEachCandidate(request.policyType, request.event.action, request.workload, (candidate) => {
          if (candidate.inScope(request.workload)) inScope++;
        });
        return inScope;
      }, options);
      return {
        decideNs: mean(rows, 'engine', n, kind),
        candidatesNs: lookup.meanNs,
        candidatesAndScopeNs: scoped.meanNs,
        meanCandidates: equivalence[n]![kind].meanCandidates,
        meanPoliciesInScope: equivalence[n]![kind].meanPoliciesInScope,
      };
    });
    if (n === POLICY_COUNTS[POLICY_COUNTS.length - 1]) largest = bench;
  }

  // Scope parsing and indexing: the cost of a configuration change with 10,000 policies.
  const big = largest!;
  log(`engine: timing compileSnapshot of ${big.n} policies`);
  const compileRuns: number[] = [];
  for (let r = 0; r < (quick ? 2 : 5); r++) {
    collectGarbage();
    const started = performance.now();
    compileSnapshot(big.config);
    compileRuns.push(performance.now() - started);
  }
  const sortedRuns = [...compileRuns].sort((a, b) => a - b);
  const scopeRuns: number[] = [];
  for (let r = 0; r < (quick ? 2 : 5); r++) {
    const started = performance.now();
    for (const policy of big.config.policies) compileScope(policy.scope.expression, policy.scope.variables);
    scopeRuns.push(performance.now() - started);
  }
  scopeRuns.sort((a, b) => a - b);

  const small = POLICY_COUNTS[0];
  const mid = 1_000;
  const top = POLICY_COUNTS[POLICY_COUNTS.length - 1]!;
  const engineScaling = perKind((kind) => ratio(mean(rows, 'engine', top, kind), mean(rows, 'engine', small, kind)));
  const celOverEngine = perKind((kind) => ratio(mean(rows, 'cel', mid, kind), mean(rows, 'engine', mid, kind)));
  const naiveOverEngine = Object.fromEntries(POLICY_COUNTS.map((n) => [n, perKind((kind) => ratio(mean(rows, 'naive', n, kind), mean(rows, 'engine', n, kind)))]));
  const celOverEngineAll = Object.fromEntries(POLICY_COUNTS.map((n) => [n, perKind((kind) => ratio(mean(rows, 'cel', n, kind), mean(rows, 'engine', n, kind)))]));
  const throughputAt10 = perKind((kind) => rows.find((r) => r.evaluator === 'engine' && r.n === small && r.kind === kind)!.decisionsPerSecond);

  const worstScaling = Math.max(...Object.values(engineScaling));
  const worstCel = Math.min(...Object.values(celOverEngine));
  const worstThroughput = Math.min(...Object.values(throughputAt10));
  const goals = {
    engineScaling: {
      description: `engine mean ns/decision at N=${top} divided by at N=${small}; the worst request kind counts`,
      target: `<= ${GOALS.engineScalingMax}`,
      measured: engineScaling,
      value: worstScaling,
      pass: worstScaling <= GOALS.engineScalingMax,
    },
    celOverEngineAt1000: {
      description: `CEL mean ns/decision divided by engine mean ns/decision at N=${mid}; the worst request kind counts`,
      target: `>= ${GOALS.celOverEngineMin}`,
      measured: celOverEngine,
      value: worstCel,
      pass: worstCel >= GOALS.celOverEngineMin,
    },
    engineDecisionsPerSecondAt10: {
      description: `engine decisions per second at N=${small}; the worst request kind counts`,
      target: `>= ${GOALS.engineDecisionsPerSecondAt10Min}`,
      measured: throughputAt10,
      value: worstThroughput,
      pass: worstThroughput >= GOALS.engineDecisionsPerSecondAt10Min,
    },
  };

  return {
    description: 'Admission decisions per second: Vigil engine (candidate index) vs naive linear scan vs one CEL program per policy (cel-js, parsed once).',
    parameters: {
      seed,
      quick,
      policyCounts: POLICY_COUNTS,
      requestKinds,
      workloadsPerKind: WORKLOAD_COUNT,
      clusters: CLUSTER_COUNT,
      namespaces: 'max(8, N / 8)',
      scopeMix: '80 % literal cluster/namespace criteria (some with labels), 20 % Global, wildcard, label or image scopes',
      measure: Object.fromEntries(evaluators.map((e) => [e, measureOptions(e, 1_000, quick)])),
      celRoundsAt10000: measureOptions('cel', 10_000, quick).rounds,
    },
    setup,
    scopeParse: {
      policies: big.n,
      description: 'compileSnapshot of the largest configuration (scope parsing, control compilation, candidate index); compileScopeOnly: compileScope of every policy scope alone',
      compileSnapshotMs: { first: ms(compileRuns[0]!), median: ms(sortedRuns[Math.floor(sortedRuns.length / 2)]!), min: ms(sortedRuns[0]!), runs: compileRuns.length },
      compileScopeOnlyMs: { median: ms(scopeRuns[Math.floor(scopeRuns.length / 2)]!), min: ms(scopeRuns[0]!), runs: scopeRuns.length },
    },
    equivalence,
    results: rows,
    diagnostics: {
      description: 'engine only: mean ns of snapshot.candidates() alone and of candidates() plus every candidate scope check, against the whole decide(); mean candidates and in-scope policies per request',
      engineBreakdown: breakdown,
    },
    ratios: {
      engineNsAt10000OverAt10: engineScaling,
      celNsOverEngineNsAt1000: celOverEngine,
      naiveNsOverEngineNs: naiveOverEngine,
      celNsOverEngineNs: celOverEngineAll,
      engineDecisionsPerSecondAt10: throughputAt10,
    },
    goals,
    allGoalsPass: Object.values(goals).every((g) => g.pass),
  };
}

export const engineSuite: BenchSuite = {
  name: 'engine',
  description: 'Decision throughput of the engine vs a naive linear evaluator and a CEL-per-policy baseline at N = 10, 1,000 and 10,000 policies.',
  run,
};
