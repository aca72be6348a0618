/**
 * An application scope of the commercial product (`{name, description, categories: {artifacts, workloads,
 * infrastructure}}`) as a Vigil application scope: one formula over running workloads.
 */
import type { ItemConversion } from './runtime-policy.js';
import { either, emptyFormula, readFormula, type Formula } from './scope.js';
import { Source, type Json } from './source.js';

/**
 * The categories that select running workloads, which is what Vigil's scopes select: Kubernetes workloads
 * (containers), hosts, and functions. The product's other categories select images, Cloud Foundry apps, build
 * projects or infrastructure to scan; they have no counterpart and are reported when they hold a formula.
 */
const workloadCategories = ['categories.workloads.kubernetes', 'categories.workloads.os', 'categories.artifacts.function'] as const;

const bookkeeping = ['author'];

/** The Vigil formula of a converted scope, for policies that exclude it by name. */
export function scopeFormula(value: unknown): Formula | undefined {
  const scope = value as Json;
  if (typeof scope.name !== 'string') return undefined;
  return {
    expression: typeof scope.expression === 'string' ? scope.expression : '',
    variables: (scope.variables as Json[] | undefined) ?? [],
  };
}

export function convertApplicationScope(input: Json): ItemConversion {
  const source = new Source(input, bookkeeping);
  const scope: Json = {};
  const name = source.string('name');
  if (name !== undefined) scope.name = name;
  const description = source.string('description');
  if (description) scope.description = description;

  let formula: Formula = emptyFormula;
  const used: string[] = [];
  const variableSources: string[] = [];
  for (const path of workloadCategories) {
    const category = readFormula(source, path);
    if (category.expression.trim() === '' && category.variables.length === 0) continue;
    const combined = either(formula, category);
    if (!combined) {
      source.report(path);
      continue;
    }
    category.variables.forEach((_, index) => variableSources.push(`${path}.variables.${index}`));
    used.push(path.slice('categories.'.length));
    formula = combined;
  }
  if (used.length > 1)
    source.changed(
      'categories',
      `the categories ${used.join(', ')} became one formula joined with "||": a workload in any of them is in the scope`,
    );
  if (formula.expression !== '') scope.expression = formula.expression;
  if (formula.variables.length > 0) scope.variables = formula.variables;

  const sourceOf = (vigilPath: string): string | undefined => {
    // eslint-disable-next-line security/detect-unsafe-regex -- linear: digits, then an optional rest starting with a literal "."
    const variable = /^variables\.(\d+)(\..*)?$/.exec(vigilPath);
    if (variable) return `${variableSources[Number(variable[1])] ?? 'categories'}${variable[2] ?? ''}`;
    if (vigilPath === 'expression') return 'categories';
    return vigilPath === 'name' || vigilPath === 'description' ? vigilPath : undefined;
  };
  return { value: scope, unsupported: source.leftovers(), meaningChanges: source.meaningChanges, issues: source.issues, sourceOf };
}
