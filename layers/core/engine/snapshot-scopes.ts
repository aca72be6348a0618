import { GLOBAL_SCOPE } from '../builtins.js';
import type { ApplicationScope } from '../schemas/scope.js';
import type { Policy } from '../schemas/policy.js';
import {
  allOf,
  ANY_WORKLOAD,
  anyOf,
  compileParsedScope,
  NO_WORKLOAD,
  parsedScopeConstraints,
  parseScopeFormula,
  UNCONSTRAINED,
  type ScopeConstraints,
  type ScopeExpression,
  type ScopeVariable,
  type WorkloadPredicate,
} from '../scope/index.js';

// Compiling a snapshot, scope parsing: application scopes and each policy's own formula, parsed once and
// turned into predicates when a workload first needs them.

/** An application scope as compiled: whether a workload is in it, and what it constrains (for the indexes). */
export interface CompiledApplicationScope {
  readonly predicate: WorkloadPredicate;
  readonly constraints: ScopeConstraints;
}

/** The application scopes by name, the built-in global scope among them. */
export function compileApplicationScopes(applicationScopes: readonly ApplicationScope[]): ReadonlyMap<string, CompiledApplicationScope> {
  const scopes = new Map<string, CompiledApplicationScope>([[GLOBAL_SCOPE, { predicate: ANY_WORKLOAD, constraints: UNCONSTRAINED }]]);
  for (const scope of applicationScopes) {
    if (scope.name === GLOBAL_SCOPE) continue;
    const tree = parseScopeFormula(scope.expression, scope.variables.length);
    const predicate = tree === undefined ? ANY_WORKLOAD : compileParsedScope(tree, scope.variables, NOTHING_ESTABLISHED);
    scopes.set(scope.name, { predicate, constraints: tree === undefined ? UNCONSTRAINED : parsedScopeConstraints(tree, scope.variables) });
  }
  return scopes;
}

/** Where a policy applies: its scope as parsed, the predicate a candidate must pass, and what it constrains. */
export interface CompiledPolicyScope {
  readonly scope: ParsedPolicyScope;
  readonly inScope: WorkloadPredicate;
  readonly constraints: ScopeConstraints;
}

/**
 * Compiles a policy's scope: any of its application scopes and its own formula. Undefined when none of its
 * application scopes exists; each missing one is reported in `problems`.
 */
export function compilePolicyScope(
  policy: Policy,
  scopes: ReadonlyMap<string, CompiledApplicationScope>,
  problems: string[],
): CompiledPolicyScope | undefined {
  const appScopes: CompiledApplicationScope[] = [];
  for (const name of policy.scope.applicationScopes) {
    const entry = scopes.get(name);
    if (entry) appScopes.push(entry);
    else problems.push(`policy "${policy.name}" names the missing application scope "${name}"; it matches nothing there`);
  }
  if (appScopes.length === 0) return undefined;
  const { expression, variables } = policy.scope;
  // Parsed here, once, so that a malformed formula fails the compilation as it always did; turning the
  // tree into predicates cannot fail and waits until a workload first reaches the policy.
  const tree = parseScopeFormula(expression, variables.length);
  const { scope, inScope } = scopeOfTree(appScopes, tree, variables);
  const ownConstraints = tree === undefined ? UNCONSTRAINED : parsedScopeConstraints(tree, variables);
  const constraints = allOf(anyOf(appScopes.map((s) => s.constraints)), ownConstraints);
  return { scope, inScope, constraints };
}

/**
 * A policy's scope from its formula as parsed before (a snapshot plan holds it): no parsing, and no
 * constraints, which only planning needs. Undefined when none of its application scopes exists.
 */
export function policyScopeFromTree(
  policy: Policy,
  scopes: ReadonlyMap<string, CompiledApplicationScope>,
  tree: ScopeExpression | undefined,
): Omit<CompiledPolicyScope, 'constraints'> | undefined {
  const appScopes: CompiledApplicationScope[] = [];
  for (const name of policy.scope.applicationScopes) {
    const entry = scopes.get(name);
    if (entry) appScopes.push(entry);
  }
  if (appScopes.length === 0) return undefined;
  return scopeOfTree(appScopes, tree, policy.scope.variables);
}

function scopeOfTree(
  appScopes: readonly CompiledApplicationScope[],
  tree: ScopeExpression | undefined,
  variables: readonly ScopeVariable[],
): Omit<CompiledPolicyScope, 'constraints'> {
  const predicates = appScopes.map((s) => s.predicate);
  const anyAppScope: WorkloadPredicate = predicates.length === 1 ? predicates[0]! : (w) => predicates.some((p) => p(w));
  const scope: ParsedPolicyScope = { tree, variables, anyAppScope };
  const inScope =
    tree === undefined
      ? anyAppScope
      : compiledOnFirstUse(() => both(anyAppScope, compileParsedScope(tree, variables, NOTHING_ESTABLISHED)));
  return { scope, inScope };
}

/** A policy's scope as parsed once: what its filings' predicates are compiled from. */
export interface ParsedPolicyScope {
  /** undefined for a blank formula. */
  readonly tree: ScopeExpression | undefined;
  readonly variables: readonly ScopeVariable[];
  readonly anyAppScope: WorkloadPredicate;
}

export const NOTHING_ESTABLISHED: ReadonlySet<number> = new Set();

/**
 * A predicate compiled when first called. Compiling every scope of a large configuration up front made the
 * first compilation in a process (a cold start) pay for policies no request reaches.
 */
export function compiledOnFirstUse(compile: () => WorkloadPredicate): WorkloadPredicate {
  let predicate: WorkloadPredicate | undefined;
  return (workload) => (predicate ??= compile())(workload);
}

/** Both predicates hold, without a call for the one that always does. */
export function both(first: WorkloadPredicate, second: WorkloadPredicate): WorkloadPredicate {
  if (first === ANY_WORKLOAD) return second;
  if (second === ANY_WORKLOAD) return first;
  if (first === NO_WORKLOAD || second === NO_WORKLOAD) return NO_WORKLOAD;
  return (w) => first(w) && second(w);
}
