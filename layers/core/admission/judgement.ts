import { decide, type Decision, type Violation } from '../engine/decide.js';
import type { CompiledSnapshot } from '../engine/snapshot.js';
import type { AdmissionContext } from './context.js';
import type { PodLesson } from './pod.js';

type DecideContext = Extract<AdmissionContext, { kind: 'decide' }>;

/**
 * The verdict on an admission request. A pod that may have several identities (docs/adr/0008) is judged by
 * each of them: every violation any of them draws counts once (by policy and control), and any Block refuses.
 */
export function decideAdmission(snapshot: CompiledSnapshot, context: DecideContext): Decision {
  const first = decide(snapshot, context.request);
  const alternatives = context.alternatives;
  if (!alternatives || alternatives.length === 0) return first;
  const decisions = [first, ...alternatives.map((request) => decide(snapshot, request))];
  const evaluated = decisions.filter((decision) => decision.skipped === undefined);
  // Skipped (bypass, protection off) only when every identity is.
  if (evaluated.length === 0) return first;
  const seen = new Set<string>();
  const violations: Violation[] = [];
  for (const decision of evaluated) {
    for (const violation of decision.violations) {
      const key = `${violation.policy}\u0000${violation.control}`;
      if (seen.has(key)) continue;
      seen.add(key);
      violations.push(violation);
    }
  }
  return { allowed: !violations.some((violation) => violation.status === 'Block'), violations };
}

/**
 * What a pod request teaches once its verdict is known: nothing from a dry run; what it asked for only when
 * Vigil allowed it (a refused request is certainly not applied); an UPDATE's `oldObject` in any case, being
 * what the cluster had stored.
 */
export function podLesson(context: DecideContext, decision: Decision): PodLesson | undefined {
  if (context.dryRun) return undefined;
  const { learned, stored } = context;
  const subject = learned ?? stored;
  if (!subject) return undefined;
  const requested = learned && decision.allowed ? [learned] : [];
  if (requested.length === 0 && !stored) return undefined;
  return {
    namespace: subject.namespace,
    name: learned?.name ?? stored?.name,
    generateName: learned?.name || stored?.name ? undefined : learned?.generateName,
    requested,
    ...(stored ? { stored } : {}),
  };
}
