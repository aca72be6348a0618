/**
 * Before an evaluator is timed, it must agree with the others on the same inputs:
 * - engine vs naive: the whole Decision (verdict, every violation with status and message, skip reason),
 *   checked before either is timed;
 * - engine vs CEL: which policies flag the request (CEL programs answer per policy, not per control),
 *   checked before CEL is timed.
 */
import { isDeepStrictEqual } from 'node:util';
import { decide, type Decision, type DecisionRequest } from '../layers/core/engine/decide.js';
import type { CompiledSnapshot } from '../layers/core/engine/snapshot.js';
import type { CelEvaluator, CelInput } from './cel.js';
import type { BenchRequest } from './generate.js';
import type { NaiveEvaluator } from './naive.js';

export class EquivalenceError extends Error {
  override readonly name = 'EquivalenceError';
}

export interface EquivalenceStats {
  readonly requests: number;
  /** Requests compared with CEL (a sample when CEL is slow). */
  readonly celRequests: number;
  readonly skipped: { readonly bypass: number; readonly protectionOff: number };
  readonly requestsWithViolations: number;
  readonly blockedRequests: number;
  /** Mean over requests. */
  readonly meanCandidates: number;
  readonly meanPoliciesInScope: number;
  readonly meanViolations: number;
  readonly meanFlaggedPolicies: number;
}

function describe(request: DecisionRequest): string {
  const value = (attribute: string) => request.workload.values.get(attribute)?.join(',') ?? '?';
  return `${request.event.action} in ${value('kubernetes.cluster')}/${value('kubernetes.namespace')} (group ${request.group.name})`;
}

function summary(decision: Decision): string {
  if (decision.skipped) return `skipped (${decision.skipped})`;
  return `${decision.allowed ? 'allowed' : 'denied'} with [${decision.violations.map((v) => `${v.policy}/${v.control}:${v.status}`).join(', ')}]`;
}

/** Policy names of the violations, each once, in configuration order (violations already are). */
function flaggingPolicies(decision: Decision): string[] {
  const names: string[] = [];
  for (const v of decision.violations) if (names[names.length - 1] !== v.policy) names.push(v.policy);
  return names;
}

/** Indexes of `sample` requests spread evenly over `count` (all when sample >= count). */
export function sampleIndexes(count: number, sample: number): number[] {
  if (sample >= count) return Array.from({ length: count }, (_, i) => i);
  return Array.from({ length: sample }, (_, i) => Math.floor((i * count) / sample));
}

/** What the engine-vs-naive comparison saw (all requests). */
export type NaiveEquivalenceStats = Omit<EquivalenceStats, 'celRequests' | 'meanFlaggedPolicies'>;

/**
 * Compares the engine with the naive evaluator on every request: whole decisions must be identical.
 * Returns the engine's decisions for the CEL comparison. Throws EquivalenceError naming the first request
 * on which they disagree.
 */
export function checkAgainstNaive(
  label: string,
  snapshot: CompiledSnapshot,
  naive: NaiveEvaluator,
  requests: readonly BenchRequest[],
): { stats: NaiveEquivalenceStats; decisions: Decision[] } {
  let bypass = 0;
  let protectionOff = 0;
  let withViolations = 0;
  let blocked = 0;
  let candidates = 0;
  let inScope = 0;
  let violations = 0;
  const decisions: Decision[] = [];
  requests.forEach(({ request }, i) => {
    const engine = decide(snapshot, request);
    const linear = naive.decide(request);
    if (!isDeepStrictEqual(engine, linear)) {
      throw new EquivalenceError(
        `${label}: engine and naive evaluator disagree on request #${i} (${describe(request)}):\n  engine: ${summary(engine)}\n  naive:  ${summary(linear)}`,
      );
    }
    decisions.push(engine);
    if (engine.skipped === 'bypass') bypass++;
    if (engine.skipped === 'protection_off') protectionOff++;
    if (engine.violations.length > 0) withViolations++;
    if (!engine.allowed) blocked++;
    violations += engine.violations.length;
    if (!engine.skipped) {
      snapshot.forEachCandidate(request.policyType, request.event.action, request.workload, (candidate) => {
        candidates++;
        if (candidate.inScope(request.workload)) inScope++;
      });
    }
  });
  const n = requests.length;
  return {
    decisions,
    stats: {
      requests: n,
      skipped: { bypass, protectionOff },
      requestsWithViolations: withViolations,
      blockedRequests: blocked,
      meanCandidates: round2(candidates / n),
      meanPoliciesInScope: round2(inScope / n),
      meanViolations: round2(violations / n),
    },
  };
}

/**
 * Compares the policies CEL flags with those the engine's decisions report, on `celSample` requests spread
 * over the set. Returns the number compared and the mean flagged policies; throws EquivalenceError naming
 * the first request on which they disagree.
 */
export function checkAgainstCel(
  label: string,
  cel: CelEvaluator,
  requests: readonly BenchRequest[],
  activations: readonly CelInput[],
  decisions: readonly Decision[],
  celSample: number,
): { celRequests: number; meanFlaggedPolicies: number } {
  let flagged = 0;
  const sampled = sampleIndexes(requests.length, celSample);
  for (const i of sampled) {
    const { request } = requests[i]!;
    const expected = flaggingPolicies(decisions[i]!);
    const actual = cel.flagged(request, activations[i]!);
    if (!isDeepStrictEqual(expected, actual)) {
      const missing = expected.filter((p) => !actual.includes(p));
      const extra = actual.filter((p) => !expected.includes(p));
      const source = (name: string) => cel.programs.find((p) => p.policy === name)?.source ?? '(no program)';
      const example = missing[0] ?? extra[0];
      throw new EquivalenceError(
        `${label}: engine and CEL baseline (${cel.implementation.package}) disagree on request #${i} (${describe(request)}):\n` +
          `  flagged by the engine only: [${missing.join(', ')}]\n  flagged by CEL only: [${extra.join(', ')}]` +
          (example ? `\n  CEL of ${example}: ${source(example)}` : ''),
      );
    }
    flagged += actual.length;
  }
  return { celRequests: sampled.length, meanFlaggedPolicies: round2(flagged / Math.max(1, sampled.length)) };
}

/**
 * Compares the evaluators on `requests`; CEL only on `celSample` of them. Throws EquivalenceError naming
 * the first request on which they disagree.
 */
export function checkEquivalence(
  label: string,
  snapshot: CompiledSnapshot,
  naive: NaiveEvaluator,
  cel: CelEvaluator,
  requests: readonly BenchRequest[],
  activations: readonly CelInput[],
  celSample: number,
): EquivalenceStats {
  const { stats, decisions } = checkAgainstNaive(label, snapshot, naive, requests);
  return { ...stats, ...checkAgainstCel(label, cel, requests, activations, decisions, celSample) };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
