import { findControl } from '../catalog.js';
import type { Policy } from '../schemas/policy.js';
import type { ScopeConstraints, WorkloadPredicate } from '../scope/index.js';
import { compileControl, type CompiledControl } from './controls.js';
import { compilePolicyScope, type CompiledApplicationScope, type ParsedPolicyScope } from './snapshot-scopes.js';

// Compiling a snapshot, control settings: each enabled policy's enabled controls, compiled once for all
// policies that configure them identically, and its scope.

/** A policy ready to be evaluated: scope and controls compiled once. */
export interface CompiledPolicy {
  readonly policy: Policy;
  /** Position in the configuration: results are reported in this order, whatever index found them. */
  readonly ordinal: number;
  readonly inScope: WorkloadPredicate;
  readonly controls: readonly CompiledControl[];
}

/**
 * A control compiled once for every policy that configures it identically (policies made from one template
 * share most of their settings), so that a decision evaluates it once however many of them apply.
 */
export interface SharedControl {
  readonly compiled: CompiledControl;
  /** The decision whose result `memoMessage` holds (see decide); scratch, not part of the control's meaning. */
  memoDecision: number;
  /** In that decision: the control's findings joined into one message, or undefined when it found nothing. */
  memoMessage: string | undefined;
}

/** A policy as compiled, with what the indexes file it by. */
export interface PolicyEntry {
  readonly compiled: CompiledPolicy;
  readonly shared: readonly SharedControl[];
  readonly constraints: ScopeConstraints;
  readonly scope: ParsedPolicyScope;
}

/**
 * The policies a decision can reach, in configuration order: enabled, with at least one enabled control the
 * engine evaluates, and in at least one existing application scope.
 */
export function compilePolicies(
  policies: readonly Policy[],
  scopes: ReadonlyMap<string, CompiledApplicationScope>,
  problems: string[],
): PolicyEntry[] {
  const sharedControls = new Map<string, SharedControl | undefined>();
  const entries: PolicyEntry[] = [];
  policies.forEach((policy, ordinal) => {
    if (!policy.enabled) return;
    const shared: SharedControl[] = [];
    for (const [key, settings] of Object.entries(policy.controls as Record<string, { enabled: boolean } | undefined>)) {
      if (!settings?.enabled) continue;
      const definition = findControl(policy.type, key);
      if (!definition) continue;
      // Settings validated by the policy schema list their keys in one order, so equal settings give equal
      // text; settings in another order only miss the sharing, never the result.
      const identity = `${policy.type}\u0000${key}\u0000${JSON.stringify(settings)}`;
      let control = sharedControls.get(identity);
      if (!sharedControls.has(identity)) {
        const compiled = compileControl(definition, settings);
        control = compiled && { compiled, memoDecision: 0, memoMessage: undefined };
        sharedControls.set(identity, control);
      }
      if (control) shared.push(control);
    }
    if (shared.length === 0) return;
    const controls = shared.map((control) => control.compiled);
    const where = compilePolicyScope(policy, scopes, problems);
    if (!where) return;
    const { scope, inScope, constraints } = where;
    entries.push({ compiled: { policy, ordinal, inScope, controls }, shared, constraints, scope });
  });
  return entries;
}
