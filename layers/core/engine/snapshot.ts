import { findControl, type Action, type PolicyType } from '../catalog.js';
import type { ApplicationScope } from '../schemas/scope.js';
import { GLOBAL_SCOPE } from '../schemas/scope.js';
import type { Policy } from '../schemas/policy.js';
import type { EnforcerGroup, EnforcerSettings } from '../schemas/settings.js';
import { compileScope, compileVariable, literalValuesOf, type WorkloadAttributes, type WorkloadPredicate } from '../scope/index.js';
import { compileControl, type CompiledControl } from './controls.js';

/** The configuration a decision is made from, as stored. */
export interface ConfigSnapshot {
  /** Bumped with every configuration write; a cache is fresh while its revision is current. */
  readonly revision: number;
  readonly policies: readonly Policy[];
  readonly applicationScopes: readonly ApplicationScope[];
  readonly settings: EnforcerSettings;
  readonly groups: readonly EnforcerGroup[];
}

/** A policy ready to be evaluated: scope and controls compiled once. */
export interface CompiledPolicy {
  readonly policy: Policy;
  /** Position in the configuration: results are reported in this order, whatever index found them. */
  readonly ordinal: number;
  readonly inScope: WorkloadPredicate;
  readonly controls: readonly CompiledControl[];
}

/** Single-valued attributes that can narrow candidates; the first that gives a finite set wins per policy. */
const indexAttributes: Readonly<Record<PolicyType, readonly string[]>> = {
  container: ['kubernetes.namespace', 'kubernetes.cluster'],
  function: ['function.name', 'cloud.awsaccount'],
  host: ['os.hostname', 'host.group'],
};

/** Policies that could apply to one (type, action), bucketed by literal attribute values. */
class CandidateIndex {
  private readonly unindexed: CompiledPolicy[] = [];
  private readonly buckets = new Map<string, Map<string, CompiledPolicy[]>>();

  constructor(private readonly attributes: readonly string[]) {}

  add(policy: CompiledPolicy, narrowing: ReadonlyMap<string, ReadonlySet<string>>): void {
    let best: { attribute: string; values: ReadonlySet<string> } | undefined;
    for (const attribute of this.attributes) {
      const values = narrowing.get(attribute);
      if (values && (!best || values.size < best.values.size)) best = { attribute, values };
    }
    if (!best) {
      this.unindexed.push(policy);
      return;
    }
    let byValue = this.buckets.get(best.attribute);
    if (!byValue) this.buckets.set(best.attribute, (byValue = new Map<string, CompiledPolicy[]>()));
    for (const value of best.values) {
      const bucket = byValue.get(value);
      if (bucket) bucket.push(policy);
      else byValue.set(value, [policy]);
    }
  }

  /** Policies whose scope could match the workload, in configuration order, each once. */
  candidates(workload: WorkloadAttributes): readonly CompiledPolicy[] {
    let found: CompiledPolicy[] | undefined;
    for (const [attribute, byValue] of this.buckets) {
      for (const value of workload.values.get(attribute) ?? []) {
        const bucket = byValue.get(value);
        if (bucket) (found ??= []).push(...bucket);
      }
    }
    if (!found) return this.unindexed;
    found.push(...this.unindexed);
    found.sort((a, b) => a.ordinal - b.ordinal);
    // A policy listed under several values of a multi-valued attribute appears more than once.
    return found.filter((policy, i) => i === 0 || found[i - 1] !== policy);
  }
}

/** Everything the engine needs, compiled from a ConfigSnapshot once per revision. */
export interface CompiledSnapshot {
  readonly revision: number;
  readonly settings: EnforcerSettings;
  readonly groups: ReadonlyMap<string, EnforcerGroup>;
  /** True when the workload matches any global bypass entry. */
  readonly bypassed: WorkloadPredicate;
  /** Enabled policies of a type with at least one enabled control acting on the action, that could match the workload. */
  readonly candidates: (type: PolicyType, action: Action, workload: WorkloadAttributes) => readonly CompiledPolicy[];
  /** Configuration problems found while compiling (e.g. a policy naming a missing application scope). */
  readonly problems: readonly string[];
}

const NEVER: WorkloadPredicate = () => false;
const ALWAYS: WorkloadPredicate = () => true;

type Narrowing = ReadonlySet<string> | 'any';

// Intersection is sound here only because every index attribute is single-valued: a workload has one
// namespace, so `namespace ∈ A` and `namespace ∈ B` together mean `namespace ∈ A ∩ B`.
function intersect(a: Narrowing, b: Narrowing): Narrowing {
  if (a === 'any') return b;
  if (b === 'any') return a;
  return new Set([...a].filter((value) => b.has(value)));
}

function union(parts: readonly Narrowing[]): Narrowing {
  const all = new Set<string>();
  for (const part of parts) {
    if (part === 'any') return 'any';
    for (const value of part) all.add(value);
  }
  return all;
}

/** Compiles the configuration into the structure the engine evaluates; call once per revision. */
export function compileSnapshot(config: ConfigSnapshot): CompiledSnapshot {
  const problems: string[] = [];
  const scopes = new Map<string, { predicate: WorkloadPredicate; scope: ApplicationScope | undefined }>([[GLOBAL_SCOPE, { predicate: ALWAYS, scope: undefined }]]);
  for (const scope of config.applicationScopes) {
    if (scope.name === GLOBAL_SCOPE) continue;
    scopes.set(scope.name, { predicate: compileScope(scope.expression, scope.variables), scope });
  }

  const indexes = new Map<string, CandidateIndex>();
  config.policies.forEach((policy, ordinal) => {
    if (!policy.enabled) return;
    const controls: CompiledControl[] = [];
    for (const [key, settings] of Object.entries(policy.controls as Record<string, { enabled: boolean } | undefined>)) {
      if (!settings?.enabled) continue;
      const definition = findControl(policy.type, key);
      const compiled = definition && compileControl(definition, settings);
      if (compiled) controls.push(compiled);
    }
    if (controls.length === 0) return;

    const appScopes: WorkloadPredicate[] = [];
    const appScopeDocs: Array<ApplicationScope | undefined> = [];
    for (const name of policy.scope.applicationScopes) {
      const entry = scopes.get(name);
      if (entry) {
        appScopes.push(entry.predicate);
        appScopeDocs.push(entry.scope);
      } else {
        problems.push(`policy "${policy.name}" names the missing application scope "${name}"; it matches nothing there`);
      }
    }
    const anyAppScope: WorkloadPredicate =
      appScopes.length === 0 ? NEVER : appScopes.length === 1 ? appScopes[0]! : (w) => appScopes.some((p) => p(w));
    const criteria = compileScope(policy.scope.expression, policy.scope.variables);
    const hasCriteria = policy.scope.expression.trim() !== '';
    const inScope: WorkloadPredicate = hasCriteria ? (w) => anyAppScope(w) && criteria(w) : anyAppScope;
    const compiled: CompiledPolicy = { policy, ordinal, inScope, controls };

    const narrowing = new Map<string, ReadonlySet<string>>();
    for (const attribute of indexAttributes[policy.type]) {
      const fromScopes = union(appScopeDocs.map((scope) => (scope ? literalValuesOf(scope.expression, scope.variables, attribute) : 'any')));
      const values = intersect(fromScopes, literalValuesOf(policy.scope.expression, policy.scope.variables, attribute));
      if (values !== 'any') narrowing.set(attribute, values);
    }

    const actionsSeen = new Set<Action>();
    for (const control of controls) for (const action of control.definition.actsOn) actionsSeen.add(action);
    for (const action of actionsSeen) {
      const key = `${policy.type}:${action}`;
      let index = indexes.get(key);
      if (!index) indexes.set(key, (index = new CandidateIndex(indexAttributes[policy.type])));
      index.add(compiled, narrowing);
    }
  });

  const bypassPredicates = config.settings.bypassScopes.map(compileVariable);
  const empty: readonly CompiledPolicy[] = [];
  return {
    revision: config.revision,
    settings: config.settings,
    groups: new Map(config.groups.map((group) => [group.name, group])),
    bypassed: (w) => bypassPredicates.some((p) => p(w)),
    candidates: (type, action, workload) => indexes.get(`${type}:${action}`)?.candidates(workload) ?? empty,
    problems,
  };
}
