import { findControl } from '../catalog.js';
import { dimensionKey, type ConstraintKind, type Dimension, type ScopeExpression } from '../scope/index.js';
import type { Placement } from './candidates.js';
import { compileControl } from './controls.js';
import { planFilings, type FiledPolicy, type PolicyFilings } from './snapshot-indexes.js';
import { compilePolicies, type SharedControl } from './snapshot-policies.js';
import { compileApplicationScopes, policyScopeFromTree } from './snapshot-scopes.js';
import type { ApplicationScope } from '../schemas/scope.js';
import type { Policy } from '../schemas/policy.js';

// A snapshot plan: what compiling a configuration works out from all of its policies at once (which
// policies a decision can reach, which controls they share, their parsed formulas, where each is filed and
// what each filing decides of its scope), as plain data. It is computed once when the configuration changes
// and stored with the decision snapshot (docs/adr/0005), so that a cold instance only rebuilds the maps and
// closures it describes instead of working all of it out again.

/**
 * Bumped whenever what a plan holds or means changes (including how the planner places policies, if an
 * older plan would then decide differently): a plan of another format is ignored and the configuration is
 * compiled afresh.
 */
export const SNAPSHOT_PLAN_FORMAT = 2;

/** Where a filing goes: a dimension (index into `dimensions`) and its text, or an exact value in each of two. */
export type PlannedPlacement =
  readonly [dimension: number, text: string] | readonly [first: number, firstText: string, second: number, secondText: string];

/** A policy a decision can reach, as planned. */
export interface PlannedPolicy {
  /** Its position in the configuration's `policies`. */
  readonly ordinal: number;
  /** Its enabled controls the engine evaluates, in order (indexes into the plan's `controls`). */
  readonly controls: readonly number[];
  /** Its own formula as parsed, as an index into the plan's `trees`; null when blank. */
  readonly tree: number | null;
  /** null: unindexed, every lookup reaches its one filing. */
  readonly placements: readonly PlannedPlacement[] | null;
  /** Per placement (or the one unindexed filing): decided in (true) or out (false), or the variables it establishes. */
  readonly filings: ReadonlyArray<boolean | readonly number[]>;
}

/** Everything a configuration's compilation works out from all policies at once, for that configuration only. */
export interface SnapshotPlan {
  readonly format: number;
  /** The configuration revision it was planned from: a plan of another revision is ignored. */
  readonly revision: number;
  readonly dimensions: ReadonlyArray<readonly [kind: ConstraintKind, attribute: string, name: string | null]>;
  /** Each control compiled once, from the settings of the policy (ordinal) and control key given. */
  readonly controls: ReadonlyArray<readonly [ordinal: number, key: string]>;
  /**
   * Each distinct formula as parsed, once (format 2): policies made from a few templates share a few formulas,
   * and a tree written out per policy was an eighth of the stored document. Policies with the same formula
   * share one tree, which nothing writes to.
   */
  readonly trees: readonly ScopeExpression[];
  readonly policies: readonly PlannedPolicy[];
  readonly problems: readonly string[];
}

/** What a plan is made from: a ConfigSnapshot's policies and application scopes, and its revision. */
export interface PlannedConfig {
  readonly revision: number;
  readonly policies: readonly Policy[];
  readonly applicationScopes: readonly ApplicationScope[];
}

/** Plans the compilation of a configuration. Pure; throws what compileSnapshot throws (e.g. a malformed formula). */
export function planSnapshot(config: PlannedConfig): SnapshotPlan {
  const problems: string[] = [];
  const scopes = compileApplicationScopes(config.applicationScopes);
  const entries = compilePolicies(config.policies, scopes, problems);
  const filings = planFilings(entries);

  const controlIds = new Map<SharedControl, number>();
  const controls: Array<readonly [number, string]> = [];
  // A formula's tree depends on its text and variable count alone (what parsing reads).
  const treeIds = new Map<string, number>();
  const trees: ScopeExpression[] = [];
  const treeId = (expression: string, variableCount: number, tree: ScopeExpression): number => {
    const key = `${variableCount}\u0000${expression}`;
    let id = treeIds.get(key);
    if (id === undefined) {
      treeIds.set(key, (id = trees.length));
      trees.push(tree);
    }
    return id;
  };
  const dimensionIds = new Map<string, number>();
  const dimensions: Array<readonly [ConstraintKind, string, string | null]> = [];
  const dimensionId = (dimension: Dimension): number => {
    const key = dimensionKey(dimension);
    let id = dimensionIds.get(key);
    if (id === undefined) {
      dimensionIds.set(key, (id = dimensions.length));
      dimensions.push([dimension.kind, dimension.attribute, dimension.name ?? null]);
    }
    return id;
  };
  const policies = entries.map(({ compiled, shared, scope }, position): PlannedPolicy => {
    const controlsOfPolicy = shared.map((control) => {
      let id = controlIds.get(control);
      if (id === undefined) {
        // The first policy using a shared control configures it exactly as every other one using it.
        controlIds.set(control, (id = controls.length));
        controls.push([compiled.ordinal, control.compiled.definition.key]);
      }
      return id;
    });
    const { placements, filings: planned } = filings[position]!;
    const { expression, variables } = compiled.policy.scope;
    return {
      ordinal: compiled.ordinal,
      controls: controlsOfPolicy,
      tree: scope.tree === undefined ? null : treeId(expression, variables.length, scope.tree),
      placements:
        placements?.map((placement): PlannedPlacement =>
          'dimension' in placement
            ? [dimensionId(placement.dimension), placement.text]
            : [dimensionId(placement.first), placement.firstText, dimensionId(placement.second), placement.secondText],
        ) ?? null,
      filings: planned,
    };
  });
  return { format: SNAPSHOT_PLAN_FORMAT, revision: config.revision, dimensions, controls, trees, policies, problems };
}

const CONSTRAINT_KINDS: ReadonlySet<unknown> = new Set<ConstraintKind>(['exact', 'prefix', 'suffix', 'token']);

/** A filing as planned: decided (a boolean) or the variables it establishes (1-based indexes). */
function isFiling(filing: unknown): filing is boolean | readonly number[] {
  return typeof filing === 'boolean' || (Array.isArray(filing) && filing.every((variable) => Number.isInteger(variable)));
}

/** Raised while rebuilding from a plan that does not fit the configuration; the configuration is then compiled afresh. */
class PlanMismatchError extends Error {
  override readonly name = 'PlanMismatchError';
}

/** Whether the plan is one this code reads, planned from this revision. */
export function planFits(plan: SnapshotPlan | undefined, config: PlannedConfig): plan is SnapshotPlan {
  return typeof plan === 'object' && plan !== null && plan.format === SNAPSHOT_PLAN_FORMAT && plan.revision === config.revision;
}

/**
 * The compiled policies and where each is filed, rebuilt from a plan: controls compiled once each, scopes from
 * their parsed trees, no planning. Throws when the plan does not fit the configuration.
 */
export function policiesFromPlan(
  config: PlannedConfig,
  plan: SnapshotPlan,
): { readonly policies: FiledPolicy[]; readonly filings: PolicyFilings[]; readonly problems: readonly string[] } {
  const scopes = compileApplicationScopes(config.applicationScopes);
  const shared = plan.controls.map(([ordinal, key]): SharedControl => {
    const policy = config.policies[ordinal];
    const definition = policy && findControl(policy.type, key);
    const compiled = definition && compileControl(definition, (policy.controls as Record<string, unknown>)[key] as never);
    if (!compiled) throw new PlanMismatchError(`the plan names control ${key} of policy ${ordinal}, which does not compile`);
    return { compiled, memoDecision: 0, memoMessage: undefined };
  });
  const dimensions = plan.dimensions.map(([kind, attribute, name]): Dimension => {
    if (!CONSTRAINT_KINDS.has(kind)) throw new PlanMismatchError(`the plan names a dimension of kind ${String(kind)}`);
    return { kind, attribute, name: name ?? undefined };
  });
  const textAt = (text: unknown): string => {
    if (typeof text !== 'string') throw new PlanMismatchError(`the plan files under ${String(text)}, which is not a text`);
    return text;
  };
  const dimensionAt = (id: number): Dimension => {
    const dimension = dimensions[id];
    if (!dimension) throw new PlanMismatchError(`the plan names dimension ${id}, which it does not list`);
    return dimension;
  };
  // Each index key built once, not once per placement: a cold instance's first review waits for this loop, and
  // the indexes then find every placement of a dimension (or pair) under the very same string.
  const dimensionKeys = dimensions.map(dimensionKey);
  const pairKeys = new Map<number, string>();
  const pairKey = (first: number, second: number): string => {
    const id = first * dimensions.length + second;
    let key = pairKeys.get(id);
    if (key === undefined) pairKeys.set(id, (key = `${dimensionKeys[first]!}\u0001${dimensionKeys[second]!}`));
    return key;
  };
  const policies: FiledPolicy[] = [];
  const filings: PolicyFilings[] = [];
  for (const planned of plan.policies) {
    const policy = config.policies[planned.ordinal];
    if (!policy) throw new PlanMismatchError(`the plan names policy ${planned.ordinal}, which the configuration does not have`);
    const policyShared = planned.controls.map((id) => {
      const control = shared[id];
      if (!control) throw new PlanMismatchError(`the plan names control ${id}, which it does not list`);
      return control;
    });
    const tree = planned.tree === null ? undefined : plan.trees[planned.tree];
    if (planned.tree !== null && !tree)
      throw new PlanMismatchError(`the plan names formula ${String(planned.tree)}, which it does not list`);
    const where = policyScopeFromTree(policy, scopes, tree);
    if (!where) throw new PlanMismatchError(`the plan files policy ${planned.ordinal}, which is in no existing application scope`);
    policies.push({
      compiled: { policy, ordinal: planned.ordinal, inScope: where.inScope, controls: policyShared.map((control) => control.compiled) },
      shared: policyShared,
      scope: where.scope,
    });
    const placements = planned.placements?.map((placement): Placement => {
      if (placement.length === 2) {
        const dimension = dimensionAt(placement[0]);
        return { key: dimensionKeys[placement[0]]!, dimension, text: textAt(placement[1]) };
      }
      const first = dimensionAt(placement[0]);
      const second = dimensionAt(placement[2]);
      return {
        key: pairKey(placement[0], placement[2]),
        first,
        firstText: textAt(placement[1]),
        second,
        secondText: textAt(placement[3]),
      };
    });
    const expected = placements ? placements.length : 1;
    if (planned.filings.length !== expected)
      throw new PlanMismatchError(`the plan gives policy ${planned.ordinal} ${planned.filings.length} filings for ${expected} placements`);
    if (!planned.filings.every(isFiling)) throw new PlanMismatchError(`the plan gives policy ${planned.ordinal} a filing it cannot read`);
    filings.push({ placements, filings: planned.filings });
  }
  return { policies, filings, problems: plan.problems };
}
