import { findControl, type Action, type PolicyType } from '../catalog.js';
import type { ApplicationScope } from '../schemas/scope.js';
import { GLOBAL_SCOPE } from '../builtins.js';
import type { EnforcementMode, Policy } from '../schemas/policy.js';
import type { EnforcerGroup, EnforcerSettings } from '../schemas/settings.js';
import {
  allOf,
  ANY_WORKLOAD,
  anyOf,
  compileParsedScope,
  compileVariable,
  decidedScope,
  NO_WORKLOAD,
  parsedScopeConstraints,
  parseScopeFormula,
  UNCONSTRAINED,
  type Dimension,
  type ScopeConstraints,
  type ScopeExpression,
  type ScopeVariable,
  type WorkloadAttributes,
  type WorkloadPredicate,
} from '../scope/index.js';
import { CandidateIndex, type Filing, type Placement } from './candidates.js';
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

/**
 * A control acting on one action as a policy configures it, with what its violation reports; policies with
 * the same control and the same enforcement share one.
 */
export interface PolicyControl {
  readonly shared: SharedControl;
  readonly key: string;
  readonly name: string;
  /** The policy enforces and the control is not record-only: a violation blocks wherever the enforcer group enforces. */
  readonly blocksWhereEnforced: boolean;
}

/**
 * A policy as the index of one action holds it: the controls acting on that action and the fields its
 * violations report, kept together so that a decision reads one small object per policy.
 */
export interface ActionPolicy {
  readonly compiled: CompiledPolicy;
  readonly ordinal: number;
  readonly name: string;
  readonly type: PolicyType;
  readonly version: number;
  readonly enforcementMode: EnforcementMode;
  readonly controls: readonly PolicyControl[];
  /** Scratch mark of the candidate index (see CandidateIndex.collect); not part of the policy's meaning. */
  stamp: number;
}

// Exact buckets are cheaper to probe than a hash per prefix length or per token.
const kindCost: Readonly<Record<Dimension['kind'], number>> = { exact: 1, prefix: 2, suffix: 2, token: 3 };

/** A pair index files a policy once per combination of its values: a bound keeps `||`-heavy scopes from multiplying. */
const MAX_PAIR_FILINGS = 16;

/**
 * Where to file a policy: under the dimension that narrows it best (the fewest expected matches,
 * estimated as the policy's number of values over the number of distinct values all policies use in that
 * dimension), refined by a second exact dimension when it has one, e.g. cluster under namespace.
 * Undefined when nothing constrains the scope.
 */
function placementsOf(constraints: ScopeConstraints, cardinality: ReadonlyMap<string, number>): Placement[] | undefined {
  if (constraints.size === 0) return undefined;
  if (constraints.size === 1) {
    // Nothing to rank, and no second dimension to pair with.
    const [key, { dimension, values }] = constraints.entries().next().value!;
    return values.size === 0 ? undefined : [...values].map((text) => ({ key, dimension, text }));
  }
  const ranked = [...constraints]
    .map(([key, entry]) => ({ key, ...entry, score: (entry.values.size / (cardinality.get(key) ?? 1)) * kindCost[entry.dimension.kind] }))
    .sort((a, b) => a.score - b.score || (a.key < b.key ? -1 : 1));
  const best = ranked[0];
  // A constraint always lists at least one value; without one the policy could never be reached.
  if (!best || best.values.size === 0) return undefined;
  const second = best.dimension.kind === 'exact' ? ranked.find((r) => r !== best && r.dimension.kind === 'exact') : undefined;
  if (!second || best.values.size * second.values.size > MAX_PAIR_FILINGS) {
    return [...best.values].map((text) => ({ key: best.key, dimension: best.dimension, text }));
  }
  // One order per pair of dimensions (the one with more distinct values first), whichever narrows a given
  // policy best, so that all policies on that pair share one index.
  const splitsFiner = (a: string, b: string) => {
    const difference = (cardinality.get(a) ?? 0) - (cardinality.get(b) ?? 0);
    return difference > 0 || (difference === 0 && a < b);
  };
  const [first, then] = splitsFiner(best.key, second.key) ? [best, second] : [second, best];
  const key = `${first.key}\u0001${then.key}`;
  const placements: Placement[] = [];
  for (const firstText of first.values) {
    for (const secondText of then.values) placements.push({ key, first: first.dimension, firstText, second: then.dimension, secondText });
  }
  return placements;
}

/** The pattern a variable has when it says exactly what reaching a filing under `text` of `dimension` establishes. */
function establishedPattern(dimension: Dimension, text: string): string | undefined {
  switch (dimension.kind) {
    case 'exact':
      return text;
    case 'prefix':
      return `${text}*`;
    case 'suffix':
      return `*${text}`;
    case 'token':
      // `*/api:*` asks for more than the token: its delimiters.
      return undefined;
  }
}

/** Adds the (1-based) variables a workload reaching the filing is known to satisfy. */
function addEstablished(variables: readonly ScopeVariable[], dimension: Dimension, text: string, into: Set<number>): void {
  const pattern = establishedPattern(dimension, text);
  if (pattern === undefined) return;
  variables.forEach((variable, i) => {
    if (variable.attribute === dimension.attribute && variable.name === dimension.name && variable.value === pattern) into.add(i + 1);
  });
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
  /** Appends to `into` the candidates whose scope holds for the workload, each once, in no particular order. */
  readonly collectApplicable: (type: PolicyType, action: Action, workload: WorkloadAttributes, into: ActionPolicy[]) => void;
  /** Configuration problems found while compiling (e.g. a policy naming a missing application scope). */
  readonly problems: readonly string[];
}

/** Compiles the configuration into the structure the engine evaluates; call once per revision. */
export function compileSnapshot(config: ConfigSnapshot): CompiledSnapshot {
  const problems: string[] = [];
  const scopes = new Map<string, { predicate: WorkloadPredicate; constraints: ScopeConstraints }>([
    [GLOBAL_SCOPE, { predicate: ANY_WORKLOAD, constraints: UNCONSTRAINED }],
  ]);
  for (const scope of config.applicationScopes) {
    if (scope.name === GLOBAL_SCOPE) continue;
    const tree = parseScopeFormula(scope.expression, scope.variables.length);
    const predicate = tree === undefined ? ANY_WORKLOAD : compileParsedScope(tree, scope.variables, NOTHING_ESTABLISHED);
    scopes.set(scope.name, { predicate, constraints: tree === undefined ? UNCONSTRAINED : parsedScopeConstraints(tree, scope.variables) });
  }

  const sharedControls = new Map<string, SharedControl | undefined>();
  const compiledPolicies: Array<{
    compiled: CompiledPolicy;
    shared: readonly SharedControl[];
    constraints: ScopeConstraints;
    scope: PolicyScope;
  }> = [];
  config.policies.forEach((policy, ordinal) => {
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

    const appScopes: Array<{ predicate: WorkloadPredicate; constraints: ScopeConstraints }> = [];
    for (const name of policy.scope.applicationScopes) {
      const entry = scopes.get(name);
      if (entry) appScopes.push(entry);
      else problems.push(`policy "${policy.name}" names the missing application scope "${name}"; it matches nothing there`);
    }
    if (appScopes.length === 0) return;
    const predicates = appScopes.map((s) => s.predicate);
    const anyAppScope: WorkloadPredicate = predicates.length === 1 ? predicates[0]! : (w) => predicates.some((p) => p(w));
    const { expression, variables } = policy.scope;
    // Parsed here, once, so that a malformed formula fails the compilation as it always did; turning the
    // tree into predicates cannot fail and waits until a workload first reaches the policy.
    const tree = parseScopeFormula(expression, variables.length);
    const scope: PolicyScope = { tree, variables, anyAppScope };
    const inScope =
      tree === undefined
        ? anyAppScope
        : compiledOnFirstUse(() => both(anyAppScope, compileParsedScope(tree, variables, NOTHING_ESTABLISHED)));
    const ownConstraints = tree === undefined ? UNCONSTRAINED : parsedScopeConstraints(tree, variables);
    const constraints = allOf(anyOf(appScopes.map((s) => s.constraints)), ownConstraints);
    compiledPolicies.push({ compiled: { policy, ordinal, inScope, controls }, shared, constraints, scope });
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

  // Policies with the same controls share one list of them: a decision then reads the few lists in use,
  // which stay in the CPU's caches, instead of one list per policy spread over memory.
  const controlIds = new Map<SharedControl, number>();
  const idOf = (control: SharedControl): number => {
    let id = controlIds.get(control);
    if (id === undefined) controlIds.set(control, (id = controlIds.size));
    return id;
  };
  const policyControls = new Map<string, PolicyControl>();
  const controlLists = new Map<string, readonly PolicyControl[]>();
  const controlList = (controls: readonly SharedControl[], enforces: boolean): readonly PolicyControl[] => {
    const entries = controls.map((control) => {
      const id = idOf(control);
      const { definition } = control.compiled;
      const blocksWhereEnforced = enforces && !definition.recordOnly;
      const key = `${id}${blocksWhereEnforced ? 'b' : 'd'}`;
      let entry = policyControls.get(key);
      if (!entry) policyControls.set(key, (entry = { shared: control, key: definition.key, name: definition.name, blocksWhereEnforced }));
      return { key, entry };
    });
    const listKey = entries.map((e) => e.key).join(',');
    let list = controlLists.get(listKey);
    if (!list) controlLists.set(listKey, (list = entries.map((e) => e.entry)));
    return list;
  };
  // The actions a policy's controls act on, each with its list: worked out once per combination of
  // controls and enforcement, which policies made from one template share.
  const actionListsBySet = new Map<string, ReadonlyArray<readonly [Action, readonly PolicyControl[]]>>();
  const actionLists = (shared: readonly SharedControl[], enforces: boolean): ReadonlyArray<readonly [Action, readonly PolicyControl[]]> => {
    let signature = enforces ? 'e' : 'a';
    for (const control of shared) signature += `,${idOf(control)}`;
    let lists = actionListsBySet.get(signature);
    if (!lists) {
      const actions = new Set<Action>();
      for (const control of shared) for (const action of control.compiled.definition.actsOn) actions.add(action);
      lists = [...actions].map(
        (action) =>
          [
            action,
            controlList(
              shared.filter((control) => control.compiled.definition.actsOn.includes(action)),
              enforces,
            ),
          ] as const,
      );
      actionListsBySet.set(signature, lists);
    }
    return lists;
  };

  const indexes = new Map<PolicyType, Map<Action, CandidateIndex<ActionPolicy>>>();
  for (const { compiled, shared, constraints, scope } of compiledPolicies) {
    const { policy } = compiled;
    const { variables } = policy.scope;
    const placements = placementsOf(constraints, cardinality)?.map((placement) => {
      const established = new Set<number>();
      if ('dimension' in placement) addEstablished(variables, placement.dimension, placement.text, established);
      else {
        addEstablished(variables, placement.first, placement.firstText, established);
        addEstablished(variables, placement.second, placement.secondText, established);
      }
      return { placement, established };
    });
    let byAction = indexes.get(policy.type);
    if (!byAction) indexes.set(policy.type, (byAction = new Map<Action, CandidateIndex<ActionPolicy>>()));
    // Actions with the same controls (create, update and debug for the pod-spec controls) share one item and
    // its filings: the stamp counter is common to all indexes, so an item may sit in several.
    const filed = new Map<readonly PolicyControl[], Array<Filing<ActionPolicy>>>();
    for (const [action, controls] of actionLists(shared, policy.enforcementMode === 'enforce')) {
      let filings = filed.get(controls);
      if (!filings) {
        const item: ActionPolicy = {
          compiled,
          ordinal: compiled.ordinal,
          name: policy.name,
          type: policy.type,
          version: policy.version ?? 0,
          enforcementMode: policy.enforcementMode,
          controls,
          stamp: 0,
        };
        filings = placements
          ? placements.map(({ established }) => residualFiling(item, scope, established))
          : [residualFiling(item, scope, NOTHING_ESTABLISHED)];
        filed.set(controls, filings);
      }
      let index = byAction.get(action);
      if (!index) byAction.set(action, (index = new CandidateIndex<ActionPolicy>()));
      if (!placements) index.addUnindexed(filings[0]!);
      else placements.forEach(({ placement }, i) => index.add(placement, filings[i]!));
    }
  }

  const bypassPredicates = config.settings.bypassScopes.map(compileVariable);
  return {
    revision: config.revision,
    settings: config.settings,
    groups: new Map(config.groups.map((group) => [group.name, group])),
    bypassed: (w) => bypassPredicates.some((p) => p(w)),
    forEachCandidate: (type, action, workload, visit) => {
      const found: ActionPolicy[] = [];
      indexes.get(type)?.get(action)?.collect(workload, found, false);
      for (const item of found) visit(item.compiled);
    },
    collectApplicable: (type, action, workload, into) => indexes.get(type)?.get(action)?.collect(workload, into, true),
    problems,
  };
}

/** A policy's scope as parsed once: what its filings' predicates are compiled from. */
interface PolicyScope {
  /** undefined for a blank formula. */
  readonly tree: ScopeExpression | undefined;
  readonly variables: readonly ScopeVariable[];
  readonly anyAppScope: WorkloadPredicate;
}

const NOTHING_ESTABLISHED: ReadonlySet<number> = new Set();

/**
 * A predicate compiled when first called. Compiling every scope of a large configuration up front made the
 * first compilation in a process (a cold start) pay for policies no request reaches.
 */
function compiledOnFirstUse(compile: () => WorkloadPredicate): WorkloadPredicate {
  let predicate: WorkloadPredicate | undefined;
  return (workload) => (predicate ??= compile())(workload);
}

/**
 * The filing of a policy under a placement establishing some of its variables. When those decide the
 * formula the filing's predicate is known now (often ANY_WORKLOAD, which the lookup does not call);
 * otherwise the residual formula is compiled the first time a workload reaches the filing, and the filing
 * then calls it directly.
 */
function residualFiling(item: ActionPolicy, scope: PolicyScope, established: ReadonlySet<number>): Filing<ActionPolicy> {
  const { tree, variables, anyAppScope } = scope;
  const decided = tree === undefined ? true : decidedScope(tree, established);
  if (decided !== undefined) return { item, inScope: decided ? anyAppScope : NO_WORKLOAD };
  const filing: Filing<ActionPolicy> = {
    item,
    inScope: (workload) => {
      filing.inScope = both(anyAppScope, compileParsedScope(tree!, variables, established));
      return filing.inScope(workload);
    },
  };
  return filing;
}

/** Both predicates hold, without a call for the one that always does. */
function both(first: WorkloadPredicate, second: WorkloadPredicate): WorkloadPredicate {
  if (first === ANY_WORKLOAD) return second;
  if (second === ANY_WORKLOAD) return first;
  if (first === NO_WORKLOAD || second === NO_WORKLOAD) return NO_WORKLOAD;
  return (w) => first(w) && second(w);
}
