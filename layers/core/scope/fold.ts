/**
 * Partial evaluation of scopes with some attributes fixed: what a scope is for every workload that shares
 * what a context fixes. An enforcer group fixes `enforcer.group` (its name), and through its type which
 * attributes a workload can carry at all; a bundle for that group then needs only the policies whose scope
 * is not definitely false there, and their formulas only in what is still open.
 *
 * Three-valued: true (holds for every such workload), false (for none), unknown (depends on attributes
 * not fixed). Unknown is never resolved by guessing: only what the fixed attributes decide is folded.
 */
import { compileGlob } from './glob.js';
import { formatScopeExpression, parseScopeExpression, parseScopeFormula, ScopeParseError, variablesUsed } from './expression.js';
import type { ScopeExpression } from './expression.js';
import type { ScopeVariable } from './compile.js';

/** What every workload in question is known to have; attributes named in neither field are unknown. */
export interface FixedAttributes {
  /** Unkeyed attributes whose values are known: every workload has exactly these values (none when empty). */
  readonly values: ReadonlyMap<string, readonly string[]>;
  /** Attributes (keyed or not) no workload carries: every variable on one of them is false. */
  readonly absent: ReadonlySet<string>;
}

/** The value of a condition when only some attributes are known. */
export type Truth = true | false | 'unknown';

/** A scope folded over fixed attributes; `unknown` carries the residual formula, which decides exactly as the original there. */
export type FoldedScope =
  | { readonly truth: true }
  | { readonly truth: false }
  | { readonly truth: 'unknown'; readonly expression: string; readonly variables: readonly ScopeVariable[] };

/**
 * One variable over fixed attributes, matching exactly as compileVariable does: a variable on an absent
 * attribute is false; an unkeyed variable on a fixed attribute matches one of its values or not; anything
 * else (keyed attributes are only ever fixed as absent) is unknown.
 */
export function foldVariable(variable: ScopeVariable, fixed: FixedAttributes): Truth {
  if (fixed.absent.has(variable.attribute)) return false;
  if (variable.name !== undefined) return 'unknown';
  const values = fixed.values.get(variable.attribute);
  if (values === undefined) return 'unknown';
  return values.some(compileGlob(variable.value));
}

type Folded = boolean | ScopeExpression;

/** Folds a tree given the truth of each (1-based) variable; returns the node itself where nothing changed. */
function foldTree(node: ScopeExpression, truthOf: (index: number) => Truth): Folded {
  switch (node.kind) {
    case 'var': {
      const truth = truthOf(node.index);
      return truth === 'unknown' ? node : truth;
    }
    case 'not': {
      const operand = foldTree(node.operand, truthOf);
      if (typeof operand === 'boolean') return !operand;
      return operand === node.operand ? node : { kind: 'not', operand };
    }
    case 'and': {
      const left = foldTree(node.left, truthOf);
      const right = foldTree(node.right, truthOf);
      if (left === false || right === false) return false;
      if (left === true) return right;
      if (right === true) return left;
      return left === node.left && right === node.right ? node : { kind: 'and', left, right };
    }
    case 'or': {
      const left = foldTree(node.left, truthOf);
      const right = foldTree(node.right, truthOf);
      if (left === true || right === true) return true;
      if (left === false) return right;
      if (right === false) return left;
      return left === node.left && right === node.right ? node : { kind: 'or', left, right };
    }
  }
}

/** The tree with its variables renumbered through `renumber` (old 1-based index to new). */
function renumbered(node: ScopeExpression, renumber: ReadonlyMap<number, number>): ScopeExpression {
  switch (node.kind) {
    case 'var':
      return { kind: 'var', index: renumber.get(node.index)!, position: 0 };
    case 'not':
      return { kind: 'not', operand: renumbered(node.operand, renumber) };
    default:
      return { kind: node.kind, left: renumbered(node.left, renumber), right: renumbered(node.right, renumber) };
  }
}

/**
 * Folds a scope (formula and variables, as stored) over fixed attributes. A blank formula is true. When the
 * fixed attributes decide nothing the formula comes back as it was written; otherwise the residual formula
 * keeps only the variables it still uses, renumbered from v1. Throws ScopeParseError for a malformed formula.
 */
export function foldScope(expression: string | undefined, variables: readonly ScopeVariable[], fixed: FixedAttributes): FoldedScope {
  const tree = parseScopeFormula(expression, variables.length);
  if (tree === undefined) return { truth: true };
  const truths = variables.map((variable) => foldVariable(variable, fixed));
  const folded = foldTree(tree, (index) => truths[index - 1] ?? 'unknown');
  if (typeof folded === 'boolean') return { truth: folded };
  if (folded === tree) return { truth: 'unknown', expression: expression!, variables };

  const kept = [...variablesUsed(folded)].sort((a, b) => a - b);
  const renumber = new Map(kept.map((index, i) => [index, i + 1]));
  const residualVariables = kept.map((index) => variables[index - 1]!);
  const residual = formatScopeExpression(renumbered(folded, renumber));
  try {
    // The canonical text spaces its operators, so a dense formula near the length limit could come out
    // longer than the limit: whoever parses the residual must accept it, or it keeps the original.
    parseScopeExpression(residual, residualVariables.length);
  } catch (error) {
    if (!(error instanceof ScopeParseError)) throw error;
    return { truth: 'unknown', expression: expression!, variables };
  }
  return { truth: 'unknown', expression: residual, variables: residualVariables };
}
