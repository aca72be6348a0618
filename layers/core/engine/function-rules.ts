import type { EnforcementMode } from '../schemas/policy.js';
import type { EnforcerGroup } from '../schemas/settings.js';
import type { WorkloadAttributes } from '../scope/index.js';
import { compileGuardRules, type GuardControl } from './guard-rules.js';
import type { ActionPolicy } from './snapshot-indexes.js';
import type { CompiledSnapshot } from './snapshot.js';

/**
 * The rule table of one function: every function control that applies to it, compiled from its group's
 * bundle and its facts. Served by the enforcer API to protection layers that do not run the core (the
 * Python layer), so that scope evaluation, bypass, audit/enforce and the group's enforce switch are
 * decided here once and never re-implemented.
 *
 * Process rules come first and are exactly the native exec guard's rules (`compileGuardRules`), with the
 * same ids: a layer writes them as the guard's table and maps the guard's event lines back to them.
 */
export const FUNCTION_RULES_FORMAT = 'vigil-function-rules 1';

/** Controls beyond the guard's that a function layer applies itself. */
export type FunctionRuleControl = GuardControl | 'networkEgress' | 'honeypot';

export interface FunctionRulePolicy {
  readonly name: string;
  readonly type: 'function';
  readonly version: number;
  readonly enforcementMode: EnforcementMode;
}

interface RuleBase {
  readonly id: number;
  readonly policy: FunctionRulePolicy;
  readonly control: FunctionRuleControl;
  readonly controlName: string;
  /** What a violation is: Block only when the policy enforces, the control can block and the group enforces. */
  readonly status: 'Block' | 'Detect';
}

export interface ProcessRule extends RuleBase {
  readonly action: 'process';
  readonly control: GuardControl;
  /** Blocked executables (blockedExecutables) or allowed executables (driftPrevention, blockAllProcesses). */
  readonly patterns: readonly string[];
}

export interface NetworkRule extends RuleBase {
  readonly action: 'network';
  readonly control: 'networkEgress';
  readonly allowedHosts: readonly string[];
  /** Empty: any port of an allowed host. */
  readonly allowedPorts: readonly number[];
}

export interface HoneypotRule extends RuleBase {
  readonly action: 'honeypot';
  readonly control: 'honeypot';
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  readonly applyOn: ReadonlyArray<'environment' | 'file'>;
}

export type FunctionRule = ProcessRule | NetworkRule | HoneypotRule;

export interface FunctionRuleTable {
  readonly format: typeof FUNCTION_RULES_FORMAT;
  readonly revision: number;
  readonly group: Pick<EnforcerGroup, 'name' | 'enforce' | 'failMode'>;
  /** A global bypass entry holds for the function: nothing is judged. */
  readonly bypassed: boolean;
  /** The guard's bounds were exceeded: its part of the table is empty and the guard follows the fail mode. */
  readonly guardOversize: boolean;
  readonly rules: readonly FunctionRule[];
}

export interface FunctionRuleInput {
  readonly bundle: { readonly revision: number; readonly snapshot: CompiledSnapshot; readonly group: EnforcerGroup };
  readonly workload: WorkloadAttributes;
}

function policyOf(policy: ActionPolicy): FunctionRulePolicy {
  return { name: policy.name, type: 'function', version: policy.version, enforcementMode: policy.enforcementMode };
}

function applicable(input: FunctionRuleInput, action: 'network' | 'honeypot'): ActionPolicy[] {
  const policies: ActionPolicy[] = [];
  input.bundle.snapshot.collectApplicable('function', action, input.workload, policies);
  return policies.sort((a, b) => a.ordinal - b.ordinal);
}

function optionsOf(policy: ActionPolicy, key: string): Readonly<Record<string, unknown>> {
  return ((policy.compiled.policy.controls as Record<string, unknown>)[key] ?? {}) as Record<string, unknown>;
}

const stringsIn = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

/** Compiles the rule table of one function (pure): the same controls, scopes and verdicts the engine's `decide` applies. */
export function compileFunctionRules(input: FunctionRuleInput): FunctionRuleTable {
  const { bundle, workload } = input;
  const group = { name: bundle.group.name, enforce: bundle.group.enforce, failMode: bundle.group.failMode };
  const base = { format: FUNCTION_RULES_FORMAT, revision: bundle.revision, group } as const;
  if (bundle.snapshot.bypassed(workload)) return { ...base, bypassed: true, guardOversize: false, rules: [] };

  const guard = compileGuardRules({ generation: 0, startedAtMs: 0, failMode: 'open', bundle, workload });
  const rules: FunctionRule[] = guard.rules.map((rule) => ({
    id: rule.id,
    action: 'process',
    policy: { ...rule.policy, type: 'function' },
    control: rule.control,
    controlName: rule.controlName,
    status: rule.blocks ? 'Block' : 'Detect',
    patterns: rule.patterns,
  }));
  for (const policy of applicable(input, 'network')) {
    for (const control of policy.controls) {
      if (control.key !== 'networkEgress') continue;
      const options = optionsOf(policy, control.key);
      rules.push({
        id: rules.length,
        action: 'network',
        policy: policyOf(policy),
        control: 'networkEgress',
        controlName: control.name,
        status: control.blocksWhereEnforced && bundle.group.enforce ? 'Block' : 'Detect',
        allowedHosts: stringsIn(options.allowedHosts),
        allowedPorts: Array.isArray(options.allowedPorts) ? options.allowedPorts.filter((p): p is number => typeof p === 'number') : [],
      });
    }
  }
  for (const policy of applicable(input, 'honeypot')) {
    for (const control of policy.controls) {
      if (control.key !== 'honeypot') continue;
      const options = optionsOf(policy, control.key);
      const applyOn = stringsIn(options.applyOn).filter(
        (where): where is 'environment' | 'file' => where === 'environment' || where === 'file',
      );
      rules.push({
        id: rules.length,
        action: 'honeypot',
        policy: policyOf(policy),
        control: 'honeypot',
        controlName: control.name,
        // Record-only: the fake value is handed out before the read is seen.
        status: 'Detect',
        ...(typeof options.accessKeyId === 'string' ? { accessKeyId: options.accessKeyId } : {}),
        ...(typeof options.secretAccessKey === 'string' ? { secretAccessKey: options.secretAccessKey } : {}),
        applyOn: applyOn.length > 0 ? applyOn : ['environment'],
      });
    }
  }
  return { ...base, bypassed: false, guardOversize: guard.state === 'oversize', rules };
}
