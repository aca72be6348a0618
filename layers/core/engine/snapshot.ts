import { findControl, type Action, type PolicyType } from '../catalog.js';
import type { ApplicationScope } from '../schemas/scope.js';
import { GLOBAL_SCOPE } from '../schemas/scope.js';
import type { Policy } from '../schemas/policy.js';
import type { EnforcerGroup, EnforcerSettings } from '../schemas/settings.js';
import {
  allOf,
  anyOf,
  compileScope,
  compileVariable,
  scopeConstraints,
  UNCONSTRAINED,
  valueTokens,
  type Dimension,
  type ScopeConstraints,
  type WorkloadAttributes,
  type WorkloadPredicate,
} from '../scope/index.js';
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
  /** Scratch mark of the candidate index (see CandidateIndex.forEach); not part of the policy's meaning. */
  stamp: number;
}

type Bucket = CompiledPolicy[];

// One counter for every index: a policy sits in the index of each action it acts on, and stamps from
// separate counters could collide and hide it.
let lastStamp = 0;

/** One indexed dimension: policies bucketed by the exact value, prefix or suffix their scope requires. */
interface DimensionIndex {
  readonly dimension: Dimension;
  readonly buckets: Map<string, Bucket>;
  /** Distinct prefix/suffix lengths, so a lookup tries one slice per length. */
  readonly lengths: number[];
}

/** The values a workload has for a dimension (one for keyed attributes, possibly several otherwise). */
function workloadValues(workload: WorkloadAttributes, dimension: Dimension): readonly string[] | undefined {
  if (dimension.name === undefined) return workload.values.get(dimension.attribute);
  const value = workload.keyed.get(dimension.attribute)?.get(dimension.name);
  return value === undefined ? undefined : [value];
}

/** Policies that could apply to one (type, action), bucketed along the dimension that narrows each best. */
class CandidateIndex {
  private readonly unindexed: CompiledPolicy[] = [];
  private readonly dimensions = new Map<string, DimensionIndex>();

  add(policy: CompiledPolicy, key: string | undefined, dimension: Dimension | undefined, values: ReadonlySet<string>): void {
    if (key === undefined || dimension === undefined) {
      this.unindexed.push(policy);
      return;
    }
    let index = this.dimensions.get(key);
    if (!index) this.dimensions.set(key, (index = { dimension, buckets: new Map(), lengths: [] }));
    for (const value of values) {
      const bucket = index.buckets.get(value);
      if (bucket) bucket.push(policy);
      else index.buckets.set(value, [policy]);
      if ((dimension.kind === 'prefix' || dimension.kind === 'suffix') && !index.lengths.includes(value.length)) index.lengths.push(value.length);
    }
  }

  /** Visits every policy whose scope could match the workload, each once (order is not significant). */
  forEach(workload: WorkloadAttributes, visit: (policy: CompiledPolicy) => void): void {
    for (const policy of this.unindexed) visit(policy);
    if (this.dimensions.size === 0) return;
    // A policy can sit in several buckets a workload hits (two images, two prefixes): a per-visit stamp
    // skips repeats without allocating a set on the hot path.
    const stamp = ++lastStamp;
    for (const index of this.dimensions.values()) {
      const { dimension, buckets, lengths } = index;
      const values = workloadValues(workload, dimension);
      if (!values) continue;
      for (const value of values) {
        switch (dimension.kind) {
          case 'exact':
            visitBucket(buckets.get(value), stamp, visit);
            break;
          case 'token':
            for (const token of valueTokens(value)) visitBucket(buckets.get(token), stamp, visit);
            break;
          case 'prefix':
            for (const length of lengths) if (length <= value.length) visitBucket(buckets.get(value.slice(0, length)), stamp, visit);
            break;
          case 'suffix':
            for (const length of lengths) if (length <= value.length) visitBucket(buckets.get(value.slice(value.length - length)), stamp, visit);
            break;
        }
      }
    }
  }
}

function visitBucket(bucket: Bucket | undefined, stamp: number, visit: (policy: CompiledPolicy) => void): void {
  if (!bucket) return;
  for (const policy of bucket) {
    if (policy.stamp === stamp) continue;
    policy.stamp = stamp;
    visit(policy);
  }
}

// Exact buckets are cheaper to probe than one slice per prefix length or one probe per token.
const kindCost: Readonly<Record<Dimension['kind'], number>> = { exact: 1, prefix: 2, suffix: 2, token: 3 };

/**
 * Picks the dimension that narrows a policy best: the fewest expected matches, estimated as the policy's
 * number of values over the number of distinct values all policies use in that dimension.
 */
function bestDimension(constraints: ScopeConstraints, cardinality: ReadonlyMap<string, number>): string | undefined {
  let best: { key: string; score: number } | undefined;
  for (const [key, entry] of constraints) {
    const score = (entry.values.size / (cardinality.get(key) ?? 1)) * kindCost[entry.dimension.kind];
    if (!best || score < best.score) best = { key, score };
  }
  return best?.key;
}

/** Everything the engine needs, compiled from a ConfigSnapshot once per revision. */
export interface CompiledSnapshot {
  readonly revision: number;
  readonly settings: EnforcerSettings;
  readonly groups: ReadonlyMap<string, EnforcerGroup>;
  /** True when the workload matches any global bypass entry. */
  readonly bypassed: WorkloadPredicate;
  /** Enabled policies of a type with at least one enabled control acting on the action, that could match the workload. */
  readonly forEachCandidate: (type: PolicyType, action: Action, workload: WorkloadAttributes, visit: (policy: CompiledPolicy) => void) => void;
  /** Configuration problems found while compiling (e.g. a policy naming a missing application scope). */
  readonly problems: readonly string[];
}

const ALWAYS: WorkloadPredicate = () => true;

/** Compiles the configuration into the structure the engine evaluates; call once per revision. */
export function compileSnapshot(config: ConfigSnapshot): CompiledSnapshot {
  const problems: string[] = [];
  const scopes = new Map<string, { predicate: WorkloadPredicate; constraints: ScopeConstraints }>([[GLOBAL_SCOPE, { predicate: ALWAYS, constraints: UNCONSTRAINED }]]);
  for (const scope of config.applicationScopes) {
    if (scope.name === GLOBAL_SCOPE) continue;
    scopes.set(scope.name, { predicate: compileScope(scope.expression, scope.variables), constraints: scopeConstraints(scope.expression, scope.variables) });
  }

  const compiledPolicies: Array<{ compiled: CompiledPolicy; constraints: ScopeConstraints }> = [];
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

    const appScopes: Array<{ predicate: WorkloadPredicate; constraints: ScopeConstraints }> = [];
    for (const name of policy.scope.applicationScopes) {
      const entry = scopes.get(name);
      if (entry) appScopes.push(entry);
      else problems.push(`policy "${policy.name}" names the missing application scope "${name}"; it matches nothing there`);
    }
    if (appScopes.length === 0) return;
    const predicates = appScopes.map((s) => s.predicate);
    const anyAppScope: WorkloadPredicate = predicates.length === 1 ? predicates[0]! : (w) => predicates.some((p) => p(w));
    const hasCriteria = policy.scope.expression.trim() !== '';
    const criteria = compileScope(policy.scope.expression, policy.scope.variables);
    const inScope: WorkloadPredicate = hasCriteria ? (w) => anyAppScope(w) && criteria(w) : anyAppScope;
    const constraints = allOf(anyOf(appScopes.map((s) => s.constraints)), scopeConstraints(policy.scope.expression, policy.scope.variables));
    compiledPolicies.push({ compiled: { policy, ordinal, inScope, controls, stamp: 0 }, constraints });
  });

  // How many distinct values all policies use per dimension: a dimension with many values splits policies finely.
  const distinct = new Map<string, Set<string>>();
  for (const { constraints } of compiledPolicies) {
    for (const [key, entry] of constraints) {
      let values = distinct.get(key);
      if (!values) distinct.set(key, (values = new Set()));
      for (const value of entry.values) values.add(value);
    }
  }
  const cardinality = new Map([...distinct].map(([key, values]) => [key, values.size]));

  const indexes = new Map<PolicyType, Map<Action, CandidateIndex>>();
  for (const { compiled, constraints } of compiledPolicies) {
    const key = bestDimension(constraints, cardinality);
    const chosen = key === undefined ? undefined : constraints.get(key);
    let byAction = indexes.get(compiled.policy.type);
    if (!byAction) indexes.set(compiled.policy.type, (byAction = new Map<Action, CandidateIndex>()));
    const actionsSeen = new Set<Action>();
    for (const control of compiled.controls) for (const action of control.definition.actsOn) actionsSeen.add(action);
    for (const action of actionsSeen) {
      let index = byAction.get(action);
      if (!index) byAction.set(action, (index = new CandidateIndex()));
      index.add(compiled, key, chosen?.dimension, chosen?.values ?? new Set());
    }
  }

  const bypassPredicates = config.settings.bypassScopes.map(compileVariable);
  return {
    revision: config.revision,
    settings: config.settings,
    groups: new Map(config.groups.map((group) => [group.name, group])),
    bypassed: (w) => bypassPredicates.some((p) => p(w)),
    forEachCandidate: (type, action, workload, visit) => indexes.get(type)?.get(action)?.forEach(workload, visit),
    problems,
  };
}
