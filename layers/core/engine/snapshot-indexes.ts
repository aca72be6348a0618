import type { Action, PolicyType } from '../catalog.js';
import type { EnforcementMode } from '../schemas/policy.js';
import {
  compileParsedScope,
  decidedScope,
  NO_WORKLOAD,
  type Dimension,
  type ScopeConstraints,
  type ScopeVariable,
} from '../scope/index.js';
import { CandidateIndex, type Filing, type Placement } from './candidates.js';
import type { CompiledPolicy, PolicyEntry, SharedControl } from './snapshot-policies.js';
import { both, NOTHING_ESTABLISHED, type ParsedPolicyScope } from './snapshot-scopes.js';

// Compiling a snapshot, index building: per policy type and action, a candidate index that files each
// policy under the scope dimension that narrows it best, with the controls acting on that action.

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

/**
 * The candidate index of a policy type and action (undefined when no policy of that type acts on it). Each
 * index is filed the first time it is asked for: a cold instance's first review files only its own action's
 * index, and the other actions' indexes are filed by the first review that needs them (docs/adr/0021).
 */
export type PolicyIndexes = (type: PolicyType, action: Action) => CandidateIndex<ActionPolicy> | undefined;

/**
 * Where one policy is filed, worked out from every policy's scope constraints: its placements (undefined:
 * unindexed, one filing every lookup reaches) and, per filing, either what the placement decides of its scope
 * (true: in scope wherever its application scopes hold, false: never) or the (1-based) variables a workload
 * reaching the filing is known to satisfy, from which the residual formula is compiled on first use.
 * Plain data: it is what a snapshot plan stores (see snapshot-plan).
 */
export interface PolicyFilings {
  readonly placements: readonly Placement[] | undefined;
  readonly filings: ReadonlyArray<boolean | readonly number[]>;
}

/** What the indexes need of a compiled policy: its controls and its parsed scope. */
export type FiledPolicy = Pick<PolicyEntry, 'compiled' | 'shared' | 'scope'>;

/** Files the compiled policies in the candidate indexes a decision looks them up in. */
export function buildIndexes(policies: readonly PolicyEntry[]): PolicyIndexes {
  return fileIndexes(policies, planFilings(policies));
}

/** Where each policy goes (same order as `policies`): the part of index building that depends on all policies. */
export function planFilings(policies: readonly PolicyEntry[]): PolicyFilings[] {
  const cardinality = cardinalityOf(policies);
  return policies.map(({ compiled, constraints, scope }) => {
    const { variables } = compiled.policy.scope;
    const placements = placementsOf(constraints, cardinality);
    const established = placements
      ? placements.map((placement) => {
          const into = new Set<number>();
          if ('dimension' in placement) addEstablished(variables, placement.dimension, placement.text, into);
          else {
            addEstablished(variables, placement.first, placement.firstText, into);
            addEstablished(variables, placement.second, placement.secondText, into);
          }
          return into;
        })
      : [NOTHING_ESTABLISHED];
    const filings = established.map((holding) => {
      const decided = scope.tree === undefined ? true : decidedScope(scope.tree, holding);
      return decided ?? [...holding].sort((a, b) => a - b);
    });
    return { placements, filings };
  });
}

/**
 * The candidate indexes of the policies, each filed when first asked for (`filings[i]` is where `policies[i]`
 * goes). Every index files its policies in configuration order, as filing them all at once did, so an index
 * holds the same filings in the same order whenever it is filed.
 */
export function fileIndexes(policies: readonly FiledPolicy[], filings: readonly PolicyFilings[]): PolicyIndexes {
  const controlsActingOn = sharedControlLists();
  // Actions with the same controls (create, update and debug for the pod-spec controls) share one item and
  // its filings: the stamp counter is common to all indexes, so an item may sit in several. Per policy, the
  // filings of each of its items, made by the first index that files the item.
  const itemFilingsOf = policies.map(() => new Map<readonly PolicyControl[], Array<Filing<ActionPolicy>>>());

  const file = (type: PolicyType, action: Action): CandidateIndex<ActionPolicy> | undefined => {
    let index: CandidateIndex<ActionPolicy> | undefined;
    policies.forEach(({ compiled, shared, scope }, position) => {
      const { policy } = compiled;
      if (policy.type !== type) return;
      const controls = controlsActingOn(shared, policy.enforcementMode === 'enforce', action);
      if (!controls) return;
      const { placements, filings: planned } = filings[position]!;
      const filed = itemFilingsOf[position]!;
      let itemFilings = filed.get(controls);
      if (!itemFilings) {
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
        itemFilings = planned.map((filing) => residualFiling(item, scope, filing));
        filed.set(controls, itemFilings);
      }
      index ??= new CandidateIndex<ActionPolicy>();
      if (!placements) index.addUnindexed(itemFilings[0]!);
      else placements.forEach((placement, i) => index!.add(placement, itemFilings[i]!));
    });
    return index;
  };

  // Asked for on every decision: nested maps keyed by the type and action themselves (no key text built per
  // call), and null for "filed, no policy acts on it", so that one lookup answers.
  const filed = new Map<PolicyType, Map<Action, CandidateIndex<ActionPolicy> | null>>();
  return (type, action) => {
    let byAction = filed.get(type);
    if (byAction === undefined) filed.set(type, (byAction = new Map<Action, CandidateIndex<ActionPolicy> | null>()));
    let index = byAction.get(action);
    if (index === undefined) byAction.set(action, (index = file(type, action) ?? null));
    return index ?? undefined;
  };
}

/** How many distinct values all policies use per dimension: a dimension with many values splits policies finely. */
function cardinalityOf(policies: readonly PolicyEntry[]): ReadonlyMap<string, number> {
  const distinct = new Map<string, Set<string>>();
  for (const { constraints } of policies) {
    for (const [key, entry] of constraints) {
      let values = distinct.get(key);
      if (!values) distinct.set(key, (values = new Set()));
      for (const value of entry.values) values.add(value);
    }
  }
  return new Map([...distinct].map(([key, values]) => [key, values.size]));
}

/** A node of the trie that gives policies with the same controls on an action one shared list. */
interface ControlListNode {
  readonly next: Map<PolicyControl, ControlListNode>;
  list: readonly PolicyControl[] | undefined;
}

/**
 * The controls of a policy acting on one action, as one list shared by every policy with the same controls
 * and enforcement (undefined when none acts on it). A decision then reads the few lists in use, which stay in
 * the CPU's caches, instead of one list per policy spread over memory; and the indexes of actions with the
 * same controls (create, update and debug) get the same list, by which they share the policy's item.
 */
function sharedControlLists(): (
  shared: readonly SharedControl[],
  enforces: boolean,
  action: Action,
) => readonly PolicyControl[] | undefined {
  // One entry per control and enforcement, and lists found through a trie of entries: no key text is built
  // per policy, which was most of filing a cold instance's first index.
  const entries = new Map<SharedControl, { detects?: PolicyControl; blocks?: PolicyControl }>();
  const entryOf = (control: SharedControl, blocksWhereEnforced: boolean): PolicyControl => {
    let byEnforcement = entries.get(control);
    if (!byEnforcement) entries.set(control, (byEnforcement = {}));
    const existing = blocksWhereEnforced ? byEnforcement.blocks : byEnforcement.detects;
    if (existing) return existing;
    const { definition } = control.compiled;
    const entry: PolicyControl = { shared: control, key: definition.key, name: definition.name, blocksWhereEnforced };
    if (blocksWhereEnforced) byEnforcement.blocks = entry;
    else byEnforcement.detects = entry;
    return entry;
  };
  const root: ControlListNode = { next: new Map(), list: undefined };
  return (shared, enforces, action) => {
    let node = root;
    let picked: PolicyControl[] | undefined;
    for (const control of shared) {
      const { definition } = control.compiled;
      if (!definition.actsOn.includes(action)) continue;
      const entry = entryOf(control, enforces && !definition.recordOnly);
      (picked ??= []).push(entry);
      let child = node.next.get(entry);
      if (!child) node.next.set(entry, (child = { next: new Map(), list: undefined }));
      node = child;
    }
    if (!picked) return undefined;
    return (node.list ??= picked);
  };
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

/**
 * The filing of a policy under a placement, as planned (see PolicyFilings). When the placement decides the
 * formula the filing's predicate is known now (often ANY_WORKLOAD, which the lookup does not call);
 * otherwise the residual formula is compiled the first time a workload reaches the filing, and the filing
 * then calls it directly.
 */
function residualFiling(item: ActionPolicy, scope: ParsedPolicyScope, planned: boolean | readonly number[]): Filing<ActionPolicy> {
  const { tree, variables, anyAppScope } = scope;
  if (typeof planned === 'boolean') return { item, inScope: planned ? anyAppScope : NO_WORKLOAD };
  const established = new Set(planned);
  const filing: Filing<ActionPolicy> = {
    item,
    inScope: (workload) => {
      filing.inScope = tree === undefined ? anyAppScope : both(anyAppScope, compileParsedScope(tree, variables, established));
      return filing.inScope(workload);
    },
  };
  return filing;
}
