/**
 * Scope formulas of the commercial product (`{expression, variables: [{attribute, name, value}]}`) as Vigil scope
 * formulas, and the product's ways of excluding workloads (a policy's bypass scope, excluded application scopes)
 * folded into the formula as a negation.
 */
import { findAttribute } from '../attributes.js';
import { formatScopeExpression, parseScopeExpression, ScopeParseError, SCOPE_LIMITS, type ScopeExpression } from '../scope/index.js';
import { isPlainObject, type Json, type Source } from './source.js';

export interface Formula {
  readonly expression: string;
  readonly variables: Json[];
}

export const emptyFormula: Formula = { expression: '', variables: [] };

/** Attributes the product names differently; the value is Vigil's name and what the user should know. */
const renamedAttributes: Readonly<Record<string, { readonly attribute: string; readonly meaning: string }>> = {
  'aqua.hostgroup': {
    attribute: 'host.group',
    meaning:
      "the product's host group (aqua.hostgroup) became Vigil's host group attribute (host.group): it matches the group the host agent reports, so name your host groups the same way",
  },
};

function readVariables(source: Source, path: string): Json[] {
  const raw = source.get(path);
  if (raw === undefined || raw === null) {
    if (raw === null) source.take(path);
    return [];
  }
  if (!Array.isArray(raw)) {
    source.refuse(path, 'a list of {"attribute", "value", "name"} objects');
    return [];
  }
  source.take(path);
  const variables: Json[] = [];
  raw.forEach((item, index) => {
    const at = `${path}.${index}`;
    if (!isPlainObject(item)) {
      source.refuse(at, 'an object {"attribute", "value", "name"}');
      return;
    }
    const attribute = source.string(`${at}.attribute`);
    const value = source.string(`${at}.value`);
    const name = source.string(`${at}.name`);
    if (attribute === undefined || value === undefined) {
      if (attribute === undefined && !source.has(`${at}.attribute`)) source.refuse(`${at}.attribute`, 'a string naming the attribute');
      if (value === undefined && !source.has(`${at}.value`)) source.refuse(`${at}.value`, 'a string');
      return;
    }
    const renamed = renamedAttributes[attribute];
    if (renamed) source.changed(`${at}.attribute`, renamed.meaning);
    const vigilAttribute = renamed?.attribute ?? attribute;
    const variable: Json = { attribute: vigilAttribute, value };
    const definition = findAttribute(vigilAttribute);
    // The product writes "name": "" for attributes without a key. A non-empty name there means nothing to the
    // product either, so it is dropped with a note rather than refusing the whole import.
    if (name !== undefined && name !== '') {
      if (definition && !definition.keyed) source.changed(`${at}.name`, `"name": "${name}" was ignored: ${vigilAttribute} has no key`);
      else variable.name = name;
    }
    // An unknown attribute is kept, not dropped: dropping a variable would silently widen or narrow the scope,
    // so validation refuses the policy and the report says why.
    if (!definition) source.report(`${at}.attribute`);
    variables.push(variable);
  });
  return variables;
}

/** The formula at `path` (`{expression, variables}`); a wrong type is refused, naming the field. */
export function readFormula(source: Source, path: string): Formula {
  const raw = source.get(path);
  if (raw === undefined || raw === null) {
    if (raw === null) source.take(path);
    return emptyFormula;
  }
  if (!isPlainObject(raw)) {
    source.refuse(path, 'an object {"expression", "variables"}');
    return emptyFormula;
  }
  return { expression: source.string(`${path}.expression`) ?? '', variables: readVariables(source, `${path}.variables`) };
}

function shiftVariables(expression: ScopeExpression, offset: number): ScopeExpression {
  switch (expression.kind) {
    case 'var':
      return { ...expression, index: expression.index + offset };
    case 'not':
      return { kind: 'not', operand: shiftVariables(expression.operand, offset) };
    default:
      return { kind: expression.kind, left: shiftVariables(expression.left, offset), right: shiftVariables(expression.right, offset) };
  }
}

/** `a <op> b` for two formulas with their own variables; undefined when the result would not fit Vigil's limits or a part does not parse. */
function combine(
  a: Formula,
  b: Formula,
  join: (left: ScopeExpression | undefined, right: ScopeExpression) => ScopeExpression,
): Formula | undefined {
  if (b.expression.trim() === '' || a.variables.length + b.variables.length > SCOPE_LIMITS.maxVariables) return undefined;
  try {
    const right = shiftVariables(parseScopeExpression(b.expression, b.variables.length), a.variables.length);
    const left = a.expression.trim() === '' ? undefined : parseScopeExpression(a.expression, a.variables.length);
    const text = formatScopeExpression(join(left, right));
    return text.length > SCOPE_LIMITS.maxExpressionLength ? undefined : { expression: text, variables: [...a.variables, ...b.variables] };
  } catch (error) {
    if (error instanceof ScopeParseError) return undefined;
    throw error;
  }
}

/** `scope && !excluded`: what a bypass scope or an excluded application scope means for the workloads of one policy. */
export function excluding(scope: Formula, excluded: Formula): Formula | undefined {
  return combine(scope, excluded, (left, right) => {
    const negated: ScopeExpression = { kind: 'not', operand: right };
    return left ? { kind: 'and', left, right: negated } : negated;
  });
}

/** `a || b`: a workload matches an application scope when it matches any of its categories. */
export function either(a: Formula, b: Formula): Formula | undefined {
  if (a.expression.trim() === '') return b;
  return combine(a, b, (left, right) => (left ? { kind: 'or', left, right } : right));
}
