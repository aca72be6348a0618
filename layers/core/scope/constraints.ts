import { parseScopeFormula, type ScopeExpression } from './expression.js';
import type { ScopeVariable } from './compile.js';

/** How a pattern constrains a value: equal to it, starting with it, ending with it, or containing it as a token. */
export type ConstraintKind = 'exact' | 'prefix' | 'suffix' | 'token';

/** Characters that separate the parts of image references and paths (`registry/repo:tag@digest`). */
const TOKEN_DELIMITERS = new Set(['/', ':', '@', '.']);

/** Whether a UTF-16 code unit is one of the token delimiters, for scanning a value without splitting it. */
export function isTokenDelimiterCode(code: number): boolean {
  // '.' 46, '/' 47, ':' 58, '@' 64
  return code === 47 || code === 58 || code === 64 || code === 46;
}

/** The delimiter-separated parts of a value: `ghcr.io/acme/api:1.2` → ghcr, io, acme, api, 1, 2. */
export function valueTokens(value: string): string[] {
  const tokens: string[] = [];
  let start = 0;
  for (let i = 0; i <= value.length; i++) {
    if (i === value.length || TOKEN_DELIMITERS.has(value[i]!)) {
      if (i > start) tokens.push(value.slice(start, i));
      start = i + 1;
    }
  }
  return tokens;
}

/**
 * The token a star-delimiter-token-delimiter-star pattern requires (e.g. the image pattern "any registry, repository api, any tag"), when the inner
 * literal is bounded by delimiters on both sides and contains none itself.
 */
function requiredToken(pattern: string): string | undefined {
  if (pattern.length < 5 || !pattern.startsWith('*') || !pattern.endsWith('*')) return undefined;
  const inner = pattern.slice(1, -1);
  if (inner.includes('*') || !TOKEN_DELIMITERS.has(inner[0]!) || !TOKEN_DELIMITERS.has(inner[inner.length - 1]!)) return undefined;
  const token = inner.slice(1, -1);
  for (const char of token) if (TOKEN_DELIMITERS.has(char)) return undefined;
  return token === '' ? undefined : token;
}

/** One indexable dimension: an attribute (and key, for labels and tags) compared in one way. */
export interface Dimension {
  readonly kind: ConstraintKind;
  readonly attribute: string;
  readonly name: string | undefined;
}

/**
 * Necessary conditions of a scope, by dimension key: for every entry, the scope can only hold when the
 * workload has a value of that dimension matching one of the listed strings. An empty map constrains nothing.
 */
export type ScopeConstraints = ReadonlyMap<string, { readonly dimension: Dimension; readonly values: ReadonlySet<string> }>;

export const UNCONSTRAINED: ScopeConstraints = new Map();

/** The dimension key, unique per (kind, attribute, name). */
export function dimensionKey(dimension: Dimension): string {
  return `${dimension.kind}\u0000${dimension.attribute}\u0000${dimension.name ?? ''}`;
}

/**
 * What one variable requires: a literal gives `exact`; a pattern with stars gives its literal head as a
 * `prefix` or its literal tail as a `suffix`, whichever is longer (the longer one splits finer); a star, a
 * delimiter-bounded token and a star gives a `token`; any other pattern starting and ending with a star gives nothing.
 */
function variableConstraint(variable: ScopeVariable): ScopeConstraints {
  const value = variable.value;
  const first = value.indexOf('*');
  let kind: ConstraintKind;
  let text: string;
  if (first < 0) {
    kind = 'exact';
    text = value;
  } else {
    const head = value.slice(0, first);
    const tail = value.slice(value.lastIndexOf('*') + 1);
    const token = head === '' && tail === '' ? requiredToken(value) : undefined;
    // eslint-disable-next-line security/detect-possible-timing-attacks -- a test for a missing value, not a comparison of a secret
    if (token !== undefined) [kind, text] = ['token', token];
    else if (head === '' && tail === '') return UNCONSTRAINED;
    else [kind, text] = head.length >= tail.length ? ['prefix', head] : ['suffix', tail];
  }
  const dimension: Dimension = { kind, attribute: variable.attribute, name: variable.name };
  return new Map([[dimensionKey(dimension), { dimension, values: new Set([text]) }]]);
}

/**
 * Both must hold: every dimension either side constrains stays constrained. Where both constrain the same
 * dimension the smaller set is kept, not the intersection: attributes can be multi-valued (a pod runs
 * several images), so `image == a && image == b` holds for a pod with both.
 */
export function allOf(left: ScopeConstraints, right: ScopeConstraints): ScopeConstraints {
  if (left.size === 0) return right;
  if (right.size === 0) return left;
  const merged = new Map(left);
  for (const [key, entry] of right) {
    const existing = merged.get(key);
    if (!existing || entry.values.size < existing.values.size) merged.set(key, entry);
  }
  return merged;
}

/** Either may hold: only dimensions constrained on every side remain, with the union of their values. */
export function anyOf(alternatives: readonly ScopeConstraints[]): ScopeConstraints {
  const [first, ...rest] = alternatives;
  if (!first || first.size === 0) return UNCONSTRAINED;
  const merged = new Map<string, { dimension: Dimension; values: Set<string> }>();
  for (const [key, entry] of first) merged.set(key, { dimension: entry.dimension, values: new Set(entry.values) });
  for (const other of rest) {
    for (const [key, entry] of merged) {
      const match = other.get(key);
      if (!match) merged.delete(key);
      else for (const value of match.values) entry.values.add(value);
    }
    if (merged.size === 0) return UNCONSTRAINED;
  }
  return merged;
}

/** The necessary conditions of a scope formula (see ScopeConstraints); a blank formula constrains nothing. */
export function scopeConstraints(expression: string | undefined, variables: readonly ScopeVariable[]): ScopeConstraints {
  const tree = parseScopeFormula(expression, variables.length);
  return tree === undefined ? UNCONSTRAINED : parsedScopeConstraints(tree, variables);
}

/** scopeConstraints of a formula already parsed against `variables`. */
export function parsedScopeConstraints(tree: ScopeExpression, variables: readonly ScopeVariable[]): ScopeConstraints {
  const analyse = (node: ScopeExpression): ScopeConstraints => {
    switch (node.kind) {
      case 'var': {
        const variable = variables[node.index - 1];
        return variable ? variableConstraint(variable) : UNCONSTRAINED;
      }
      case 'not':
        // A negation requires nothing positively.
        return UNCONSTRAINED;
      case 'and':
        return allOf(analyse(node.left), analyse(node.right));
      case 'or':
        return anyOf([analyse(node.left), analyse(node.right)]);
    }
  };
  return analyse(tree);
}
