import type { Action, EnforcerType, PolicyType } from '../catalog.js';
import type { AuditStatus } from '../schemas/audit.js';
import type { EnforcementMode } from '../schemas/policy.js';
import type { EnforcerGroup } from '../schemas/settings.js';
import type { WorkloadAttributes } from '../scope/index.js';
import type { DecisionEvent } from './events.js';
import type { CompiledSnapshot } from './snapshot.js';
import type { ActionPolicy } from './snapshot-indexes.js';
import type { SharedControl } from './snapshot-policies.js';

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

/** Configuration order: results are reported in it whatever order the index found the policies in. */
function sortByOrdinal(policies: ActionPolicy[]): void {
  if (policies.length > 16) {
    policies.sort((a, b) => a.ordinal - b.ordinal);
    return;
  }
  // A decision usually has a handful of applicable policies: insertion sort without a comparator call.
  for (let i = 1; i < policies.length; i++) {
    const policy = policies[i]!;
    let j = i - 1;
    while (j >= 0 && policies[j]!.ordinal > policy.ordinal) {
      policies[j + 1] = policies[j]!;
      j--;
    }
    policies[j + 1] = policy;
  }
}

/** The message of a shared control for this event, evaluated once per decision (undefined: nothing found). */
function messageOf(shared: SharedControl, event: DecisionEvent, decision: number): string | undefined {
  if (shared.memoDecision === decision) return shared.memoMessage;
  const message = shared.compiled.message(event, decision);
  shared.memoDecision = decision;
  shared.memoMessage = message;
  return message;
}

/** Numbers decisions, so that a shared control's memo is only ever read within the decision that wrote it. */
let lastDecision = 0;

/**
 * Decides one event: bypass first, then every enabled policy in scope, for every control acting on the
 * event. A violation blocks only when the policy enforces and the enforcer group allows enforcement.
 */
export function decide(snapshot: CompiledSnapshot, request: DecisionRequest): Decision {
  const { workload, event, group, policyType } = request;
  if (snapshot.bypassed(workload)) return { allowed: true, violations: [], skipped: 'bypass' };
  if (protectionOff(policyType, group)) return { allowed: true, violations: [], skipped: 'protection_off' };

  const policies: ActionPolicy[] = [];
  snapshot.collectApplicable(policyType, event.action, workload, policies);
  if (policies.length === 0) return ALLOWED;
  sortByOrdinal(policies);
  const decision = ++lastDecision;
  const { action } = event;
  let violations: Violation[] | undefined;
  let allowed = true;
  for (let p = 0; p < policies.length; p++) {
    const policy = policies[p]!;
    const { controls } = policy;
    for (let c = 0; c < controls.length; c++) {
      const control = controls[c]!;
      const message = messageOf(control.shared, event, decision);
      if (message === undefined) continue;
      const blocks = control.blocksWhereEnforced && group.enforce;
      if (blocks) allowed = false;
      (violations ??= []).push({
        status: blocks ? 'Block' : 'Detect',
        policy: policy.name,
        policyType: policy.type,
        policyVersion: policy.version,
        control: control.key,
        controlName: control.name,
        enforcementMode: policy.enforcementMode,
        action,
        message,
      });
    }
  }
  return violations ? { allowed, violations } : ALLOWED;
}
