import type { Action, PolicyType } from '../catalog.js';
import type { ApplicationScope } from '../schemas/scope.js';
import type { Policy } from '../schemas/policy.js';
import type { EnforcerGroup, EnforcerSettings } from '../schemas/settings.js';
import { compileVariable, type WorkloadAttributes, type WorkloadPredicate } from '../scope/index.js';
import { buildIndexes, fileIndexes, type ActionPolicy, type PolicyIndexes } from './snapshot-indexes.js';
import { planFits, policiesFromPlan, type SnapshotPlan } from './snapshot-plan.js';
import { compilePolicies, type CompiledPolicy } from './snapshot-policies.js';
import { compileApplicationScopes } from './snapshot-scopes.js';

/** The configuration a decision is made from, as stored. */
export interface ConfigSnapshot {
  /** Bumped with every configuration write; a cache is fresh while its revision is current. */
  readonly revision: number;
  readonly policies: readonly Policy[];
  readonly applicationScopes: readonly ApplicationScope[];
  readonly settings: EnforcerSettings;
  readonly groups: readonly EnforcerGroup[];
}

/**
 * The fields of a policy that decisions read: what the webhook's stored decision snapshot keeps of each policy
 * (docs/adr/0021). The description, the timestamps, who changed it last and a scheduled mode change are for
 * people and the mode-change function; left out, they are bytes a cold instance would only gunzip, parse and
 * collect.
 */
export function decidingPolicy(policy: Policy): Policy {
  const { name, type, enabled, enforcementMode, version, scope, controls } = policy;
  return { name, type, enabled, enforcementMode, ...(version === undefined ? {} : { version }), scope, controls };
}

/** Everything the engine needs, compiled from a ConfigSnapshot once per revision. */
export interface CompiledSnapshot {
  readonly revision: number;
  readonly settings: EnforcerSettings;
  readonly groups: ReadonlyMap<string, EnforcerGroup>;
  /** True when the workload matches any global bypass entry. */
  readonly bypassed: WorkloadPredicate;
  /** Enabled policies of a type with at least one enabled control acting on the action, that could match the workload. */
  readonly forEachCandidate: (
    type: PolicyType,
    action: Action,
    workload: WorkloadAttributes,
    visit: (policy: CompiledPolicy) => void,
  ) => void;
  /**
   * Files the candidate index of a type and action now, if it is not filed yet (otherwise the first decision
   * about that action does): a caller about to wait for something else can get it out of a decision's way.
   */
  readonly fileIndex: (type: PolicyType, action: Action) => void;
  /** Appends to `into` the candidates whose scope holds for the workload, each once, in no particular order. */
  readonly collectApplicable: (type: PolicyType, action: Action, workload: WorkloadAttributes, into: ActionPolicy[]) => void;
  /** Configuration problems found while compiling (e.g. a policy naming a missing application scope). */
  readonly problems: readonly string[];
}

/**
 * Compiles the configuration into the structure the engine evaluates; call once per revision. Given a plan of
 * this revision (planSnapshot), it rebuilds from the plan instead of working it out again, and decides
 * exactly as without one; a plan of another format or revision, or one that does not fit, is ignored.
 */
export function compileSnapshot(config: ConfigSnapshot, plan?: SnapshotPlan): CompiledSnapshot {
  if (planFits(plan, config)) {
    let rebuilt: { indexes: PolicyIndexes; problems: readonly string[] } | undefined;
    try {
      // Checks everything the indexes file by: an index filed later, on first use, cannot meet a plan that
      // does not fit.
      const { policies, filings, problems } = policiesFromPlan(config, plan);
      rebuilt = { indexes: fileIndexes(policies, filings), problems: [...problems] };
    } catch {
      // Derived data that does not fit (or is damaged) costs the fresh compile below, never a decision.
      rebuilt = undefined;
    }
    if (rebuilt) return assembled(config, rebuilt.indexes, rebuilt.problems);
  }
  // Three phases, each building on what the one before made: scope parsing, control settings, index building.
  const problems: string[] = [];
  const scopes = compileApplicationScopes(config.applicationScopes);
  const policies = compilePolicies(config.policies, scopes, problems);
  return assembled(config, buildIndexes(policies), problems);
}

function assembled(config: ConfigSnapshot, indexes: PolicyIndexes, problems: readonly string[]): CompiledSnapshot {
  const bypassPredicates = config.settings.bypassScopes.map(compileVariable);
  return {
    revision: config.revision,
    settings: config.settings,
    groups: new Map(config.groups.map((group) => [group.name, group])),
    bypassed: (w) => bypassPredicates.some((p) => p(w)),
    forEachCandidate: (type, action, workload, visit) => {
      const found: ActionPolicy[] = [];
      indexes(type, action)?.collect(workload, found, false);
      for (const item of found) visit(item.compiled);
    },
    fileIndex: (type, action) => void indexes(type, action),
    collectApplicable: (type, action, workload, into) => indexes(type, action)?.collect(workload, into, true),
    problems,
  };
}
