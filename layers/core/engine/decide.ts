import type { Action, EnforcerType, PolicyType } from '../catalog.js';
import type { AuditStatus } from '../schemas/audit.js';
import type { EnforcementMode } from '../schemas/policy.js';
import type { EnforcerGroup } from '../schemas/settings.js';
import type { WorkloadAttributes } from '../scope/index.js';
import type { DecisionEvent } from './events.js';
import type { CompiledSnapshot } from './snapshot.js';

/** What to decide: an event of a workload, seen by an enforcer of a group. */
export interface DecisionRequest {
  readonly policyType: PolicyType;
  readonly group: EnforcerGroup;
  readonly workload: WorkloadAttributes;
  readonly event: DecisionEvent;
}

/** One policy control objecting to the event; becomes one audit event. */
export interface Violation {
  readonly status: AuditStatus;
  readonly policy: string;
  readonly policyType: PolicyType;
  readonly policyVersion: number;
  readonly control: string;
  readonly controlName: string;
  readonly enforcementMode: EnforcementMode;
  readonly action: Action;
  readonly message: string;
}

/** Why nothing was evaluated, when nothing was. */
export type SkipReason = 'bypass' | 'protection_off';

/** The verdict and everything that led to it. */
export interface Decision {
  readonly allowed: boolean;
  readonly violations: readonly Violation[];
  /** Set when the request was not evaluated at all; such requests are never recorded. */
  readonly skipped?: SkipReason;
}

const ALLOWED: Decision = { allowed: true, violations: [] };

function protectionOff(policyType: PolicyType, group: EnforcerGroup): boolean {
  if (policyType === 'container') return !group.containerProtection;
  if (policyType === 'host') return !group.hostProtection;
  return false;
}

/** The enforcer types whose events a policy type covers (a container policy is also applied by node agents). */
export const enforcerTypesFor: Readonly<Record<PolicyType, readonly EnforcerType[]>> = {
  container: ['kube_enforcer', 'agent'],
  function: ['nano_enforcer'],
  host: ['agent', 'host_enforcer'],
};

/**
 * Decides one event: bypass first, then every enabled policy in scope, for every control acting on the
 * event. A violation blocks only when the policy enforces and the enforcer group allows enforcement.
 */
export function decide(snapshot: CompiledSnapshot, request: DecisionRequest): Decision {
  const { workload, event, group, policyType } = request;
  if (snapshot.bypassed(workload)) return { allowed: true, violations: [], skipped: 'bypass' };
  if (protectionOff(policyType, group)) return { allowed: true, violations: [], skipped: 'protection_off' };

  let violations: Violation[] | undefined;
  // Configuration order of each violation's policy, kept beside the list rather than inside the objects.
  let ordinals: number[] | undefined;
  let inOrder = true;
  let allowed = true;
  snapshot.forEachCandidate(policyType, event.action, workload, (candidate) => {
    if (!candidate.inScope(workload)) return;
    const { policy } = candidate;
    for (const control of candidate.controls) {
      if (!control.definition.actsOn.includes(event.action)) continue;
      const findings = control.evaluate(event);
      if (findings.length === 0) continue;
      const blocks = policy.enforcementMode === 'enforce' && group.enforce && !control.definition.recordOnly;
      if (blocks) allowed = false;
      violations ??= [];
      ordinals ??= [];
      if (ordinals.length > 0 && ordinals[ordinals.length - 1]! > candidate.ordinal) inOrder = false;
      ordinals.push(candidate.ordinal);
      violations.push({
        status: blocks ? 'Block' : 'Detect',
        policy: policy.name,
        policyType: policy.type,
        policyVersion: policy.version ?? 0,
        control: control.definition.key,
        controlName: control.definition.name,
        enforcementMode: policy.enforcementMode,
        action: event.action,
        message: findings.length === 1 ? findings[0]!.message : findings.map((f) => f.message).join('; '),
      });
    }
  });
  if (!violations || !ordinals) return ALLOWED;
  if (inOrder) return { allowed, violations };
  // Candidates arrive in index order; report in configuration order so that results are stable (the sort
  // is stable, so one policy's violations keep their control order).
  const order = ordinals;
  const list = violations;
  const indexes = list.map((_, i) => i).sort((a, b) => order[a]! - order[b]!);
  return { allowed, violations: indexes.map((i) => list[i]!) };
}
