/**
 * The linear baseline: the engine's semantics without candidate indexing.
 *
 * Scopes and controls are compiled once with the same core functions the engine uses (compileScope,
 * compileVariable, compileControl), so the comparison with the engine isolates what the candidate
 * index buys. Per request, every enabled policy is visited in configuration order; its scope is
 * evaluated (once) as soon as one of its controls acts on the request's action.
 */
import { findControl, type PolicyType } from '../layers/core/catalog.js';
import { compileControl, type CompiledControl } from '../layers/core/engine/controls.js';
import type { Decision, DecisionRequest, Violation } from '../layers/core/engine/decide.js';
import type { ConfigSnapshot } from '../layers/core/engine/snapshot.js';
import type { Policy } from '../layers/core/schemas/policy.js';
import type { EnforcerGroup } from '../layers/core/schemas/settings.js';
import { GLOBAL_SCOPE } from '../layers/core/builtins.js';
import { compileScope, compileVariable, type WorkloadPredicate } from '../layers/core/scope/index.js';

interface NaivePolicy {
  readonly policy: Policy;
  readonly inScope: WorkloadPredicate;
  readonly controls: readonly CompiledControl[];
}

export interface NaiveEvaluator {
  readonly policies: number;
  decide(request: DecisionRequest): Decision;
}

const ALWAYS: WorkloadPredicate = () => true;
const NEVER: WorkloadPredicate = () => false;

function protectionOff(policyType: PolicyType, group: EnforcerGroup): boolean {
  if (policyType === 'container') return !group.containerProtection;
  if (policyType === 'host') return !group.hostProtection;
  return false;
}

/** Compiles every policy once; no index is built. */
export function compileNaive(config: ConfigSnapshot): NaiveEvaluator {
  const appScopes = new Map<string, WorkloadPredicate>([[GLOBAL_SCOPE, ALWAYS]]);
  for (const scope of config.applicationScopes) {
    if (scope.name !== GLOBAL_SCOPE) appScopes.set(scope.name, compileScope(scope.expression, scope.variables));
  }
  const policies: NaivePolicy[] = [];
  for (const policy of config.policies) {
    if (!policy.enabled) continue;
    const controls: CompiledControl[] = [];
    for (const [key, settings] of Object.entries(policy.controls as Record<string, { enabled: boolean } | undefined>)) {
      if (!settings?.enabled) continue;
      const definition = findControl(policy.type, key);
      const compiled = definition && compileControl(definition, settings);
      if (compiled) controls.push(compiled);
    }
    if (controls.length === 0) continue;
    const named = policy.scope.applicationScopes.map((name) => appScopes.get(name)).filter((p): p is WorkloadPredicate => p !== undefined);
    const anyAppScope: WorkloadPredicate = named.length === 0 ? NEVER : (w) => named.some((p) => p(w));
    const criteria = compileScope(policy.scope.expression, policy.scope.variables);
    policies.push({ policy, controls, inScope: (w) => anyAppScope(w) && criteria(w) });
  }
  const bypass = config.settings.bypassScopes.map(compileVariable);

  return {
    policies: policies.length,
    decide(request) {
      const { workload, event, group, policyType } = request;
      if (bypass.some((p) => p(workload))) return { allowed: true, violations: [], skipped: 'bypass' };
      if (protectionOff(policyType, group)) return { allowed: true, violations: [], skipped: 'protection_off' };
      const violations: Violation[] = [];
      let allowed = true;
      for (const { policy, controls, inScope } of policies) {
        if (policy.type !== policyType) continue;
        let scoped: boolean | undefined;
        for (const control of controls) {
          if (!control.definition.actsOn.includes(event.action)) continue;
          scoped ??= inScope(workload);
          if (!scoped) break;
          const findings = control.evaluate(event);
          if (findings.length === 0) continue;
          const blocks = policy.enforcementMode === 'enforce' && group.enforce && !control.definition.recordOnly;
          if (blocks) allowed = false;
          violations.push({
            status: blocks ? 'Block' : 'Detect',
            policy: policy.name,
            policyType: policy.type,
            policyVersion: policy.version ?? 0,
            control: control.definition.key,
            controlName: control.definition.name,
            enforcementMode: policy.enforcementMode,
            action: event.action,
            message: findings.map((f) => f.message).join('; '),
          });
        }
      }
      return { allowed, violations };
    },
  };
}
