/**
 * Turns a scope (formula plus variables) into a predicate over workloads,
 * compiled once and evaluated for every request.
 */
import { compileGlob } from './glob.js';
import { parseScopeFormula } from './expression.js';
import type { ScopeExpression } from './expression.js';

/** One condition of a scope: `attribute` (or its key `name`) matches the glob `value`. */
export interface ScopeVariable {
  readonly attribute: string;
  readonly name?: string | undefined;
  readonly value: string;
}

/** What is known about one workload. Unkeyed attributes map to one or more values (a pod has several images); keyed attributes (labels, tags) map name -> value. A missing entry means "unknown", which makes any variable on it false. */
export interface WorkloadAttributes {
  readonly values: ReadonlyMap<string, readonly string[]>;
  readonly keyed: ReadonlyMap<string, ReadonlyMap<string, string>>;
}

/** Decides whether a scope applies to a workload. */
export type WorkloadPredicate = (workload: WorkloadAttributes) => boolean;

/** The predicate of a scope that holds for every workload (a blank formula, or one the index already decided). */
export const ANY_WORKLOAD: WorkloadPredicate = () => true;
/** The predicate of a scope that holds for no workload. */
export const NO_WORKLOAD: WorkloadPredicate = () => false;

/** Compiles one scope variable into a predicate; unknown attributes never match. */
export function compileVariable(variable: ScopeVariable): WorkloadPredicate {
  const { attribute, name } = variable;
  const matches = compileGlob(variable.value);
  if (name !== undefined) {
    return (workload) => {
      const value = workload.keyed.get(attribute)?.get(name);
      return value !== undefined && matches(value);
    };
  }
  return (workload) => {
    const values = workload.values.get(attribute);
    return values !== undefined && values.some(matches);
  };
}

/**
 * Compiles a scope into a predicate; a blank expression applies to every workload.
 *
 * With a blank expression the variables are ignored: rejecting variables that
 * no formula uses is the caller's validation. Throws ScopeParseError for a
 * malformed formula.
 */
export function compileScope(expression: string | undefined, variables: readonly ScopeVariable[]): WorkloadPredicate {
  return compileScopeAssuming(expression, variables, NOTHING_KNOWN);
}

const NOTHING_KNOWN: ReadonlySet<number> = new Set();

/**
 * Compiles a scope for workloads already known to satisfy the variables numbered in `holding` (1-based):
 * those are folded into the formula, and whatever they decide is never evaluated. The candidate index uses
 * it for policies found through a literal the workload is known to have. Returns ANY_WORKLOAD or
 * NO_WORKLOAD when the formula is decided without looking at the workload.
 */
export function compileScopeAssuming(
  expression: string | undefined,
  variables: readonly ScopeVariable[],
  holding: ReadonlySet<number>,
): WorkloadPredicate {
  const tree = parseScopeFormula(expression, variables.length);
  return tree === undefined ? ANY_WORKLOAD : compileParsedScope(tree, variables, holding);
}

/**
 * compileScopeAssuming for a formula already parsed (against `variables.length` variables): a caller that
 * needs the tree for several purposes parses it once.
 */
export function compileParsedScope(
  tree: ScopeExpression,
  variables: readonly ScopeVariable[],
  holding: ReadonlySet<number>,
): WorkloadPredicate {
  // A variable referenced several times is compiled, and its glob built, once.
  const compiled = new Map<number, WorkloadPredicate>();
  const predicateOf = (index: number): WorkloadPredicate => {
    if (holding.has(index)) return ANY_WORKLOAD;
    let predicate = compiled.get(index);
    if (predicate === undefined) {
      const variable = variables[index - 1];
      // The parser only accepts indexes within 1..variables.length.
      if (variable === undefined) throw new RangeError(`scope variable v${index} is not defined`);
      predicate = compileVariable(variable);
      compiled.set(index, predicate);
    }
    return predicate;
  };
  const build = (node: ScopeExpression): WorkloadPredicate => {
    switch (node.kind) {
      case 'var':
        return predicateOf(node.index);
      case 'not': {
        const operand = build(node.operand);
        if (operand === ANY_WORKLOAD) return NO_WORKLOAD;
        if (operand === NO_WORKLOAD) return ANY_WORKLOAD;
        return (workload) => !operand(workload);
      }
      case 'and': {
        const left = build(node.left);
        const right = build(node.right);
        if (left === NO_WORKLOAD || right === NO_WORKLOAD) return NO_WORKLOAD;
        if (left === ANY_WORKLOAD) return right;
        if (right === ANY_WORKLOAD) return left;
        return (workload) => left(workload) && right(workload);
      }
      case 'or': {
        const left = build(node.left);
        const right = build(node.right);
        if (left === ANY_WORKLOAD || right === ANY_WORKLOAD) return ANY_WORKLOAD;
        if (left === NO_WORKLOAD) return right;
        if (right === NO_WORKLOAD) return left;
        return (workload) => left(workload) || right(workload);
      }
    }
  };
  return build(tree);
}

/**
 * What a parsed formula is for workloads known to satisfy the variables in `holding`, found without
 * compiling it: true or false when those variables decide it, undefined when the workload must be looked
 * at. It folds exactly as compileParsedScope does, so true means ANY_WORKLOAD and false NO_WORKLOAD there.
 */
export function decidedScope(tree: ScopeExpression, holding: ReadonlySet<number>): boolean | undefined {
  switch (tree.kind) {
    case 'var':
      return holding.has(tree.index) ? true : undefined;
    case 'not': {
      const operand = decidedScope(tree.operand, holding);
      return operand === undefined ? undefined : !operand;
    }
    case 'and': {
      const left = decidedScope(tree.left, holding);
      const right = decidedScope(tree.right, holding);
      if (left === false || right === false) return false;
      if (left === true) return right;
      if (right === true) return left;
      return undefined;
    }
    case 'or': {
      const left = decidedScope(tree.left, holding);
      const right = decidedScope(tree.right, holding);
      if (left === true || right === true) return true;
      if (left === false) return right;
      if (right === false) return left;
      return undefined;
    }
  }
}

/** Builds WorkloadAttributes from plain records, dropping undefined entries. */
export function workloadAttributes(
  values: Readonly<Record<string, string | readonly string[] | undefined>>,
  keyed: Readonly<Record<string, Readonly<Record<string, string>> | undefined>> = {},
): WorkloadAttributes {
  // Maps, not objects, so that names like "__proto__" or "constructor" coming
  // from labels and tags are plain data.
  const valueMap = new Map<string, readonly string[]>();
  for (const [attribute, value] of Object.entries(values)) {
    if (value === undefined) continue;
    valueMap.set(attribute, typeof value === 'string' ? [value] : [...value]);
  }
  const keyedMap = new Map<string, ReadonlyMap<string, string>>();
  for (const [attribute, entries] of Object.entries(keyed)) {
    if (entries === undefined) continue;
    keyedMap.set(attribute, new Map(Object.entries(entries)));
  }
  return { values: valueMap, keyed: keyedMap };
}
