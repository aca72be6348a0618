import { z } from 'zod';
import { findAttribute } from '../attributes.js';
import { parseScopeExpression, ScopeParseError, SCOPE_LIMITS, variablesUsed } from '../scope/index.js';
import { descriptionSchema, resourceNameSchema, serverManagedFields } from './common.js';

/** One variable of a scope formula: `{attribute, name?, value}`; `value` may contain `*`. */
export const scopeVariableSchema = z
  .strictObject({
    attribute: z.string().min(1).max(128),
    name: z.string().min(1).max(317).optional().meta({ description: 'Label or tag key; required for keyed attributes.' }),
    value: z.string().max(1024),
  })
  .superRefine((variable, ctx) => {
    const definition = findAttribute(variable.attribute);
    if (!definition) {
      ctx.addIssue({
        code: 'custom',
        path: ['attribute'],
        message: `unknown attribute "${variable.attribute}" (see the scope language attributes in the user guide)`,
      });
      return;
    }
    if (definition.keyed && variable.name === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['name'],
        message: `attribute "${variable.attribute}" carries a key: give the label or tag name in "name"`,
      });
    }
    if (!definition.keyed && variable.name !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['name'], message: `attribute "${variable.attribute}" has no key: remove "name"` });
    }
  });
export type ScopeVariableInput = z.input<typeof scopeVariableSchema>;
export type ScopeVariableDoc = z.output<typeof scopeVariableSchema>;

const variablesSchema = z
  .array(scopeVariableSchema)
  .max(SCOPE_LIMITS.maxVariables, `at most ${SCOPE_LIMITS.maxVariables} variables`)
  .default([]);
const expressionSchema = z
  .string()
  .max(SCOPE_LIMITS.maxExpressionLength, `must be at most ${SCOPE_LIMITS.maxExpressionLength} characters`)
  .default('');

/** Checks a formula against its variables, reporting parse errors with their position at `expression`. */
export function refineScopeFormula(formula: { expression: string; variables: readonly unknown[] }, ctx: z.RefinementCtx): void {
  if (formula.expression.trim() === '') {
    // Variables without a formula would silently match everything: almost certainly a mistake.
    if (formula.variables.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['expression'],
        message: 'variables are given but the expression is empty: combine them, e.g. "v1 && v2"',
      });
    }
    return;
  }
  try {
    const ast = parseScopeExpression(formula.expression, formula.variables.length);
    const used = variablesUsed(ast);
    formula.variables.forEach((_, i) => {
      if (!used.has(i + 1))
        ctx.addIssue({ code: 'custom', path: ['variables', i], message: `variable v${i + 1} is not used in the expression` });
    });
  } catch (error) {
    if (!(error instanceof ScopeParseError)) throw error;
    ctx.addIssue({
      code: 'custom',
      path: ['expression'],
      message: error.message,
      params: { position: error.position, reason: error.code },
    });
  }
}

/** The scope of a policy: any of the application scopes, and the additional criteria if given. */
export const policyScopeSchema = z
  .strictObject({
    applicationScopes: z
      .array(resourceNameSchema)
      .min(1, 'name at least one application scope (Global matches everything)')
      .max(64)
      .refine((names) => new Set(names).size === names.length, 'names each application scope once')
      .default(['Global']),
    expression: expressionSchema,
    variables: variablesSchema,
  })
  .superRefine(refineScopeFormula);
export type PolicyScope = z.output<typeof policyScopeSchema>;

/** A named, reusable workload selector. */
export const applicationScopeSchema = z
  .strictObject({
    name: resourceNameSchema,
    description: descriptionSchema.optional(),
    expression: expressionSchema,
    variables: variablesSchema,
    ...serverManagedFields,
  })
  .superRefine(refineScopeFormula);
export type ApplicationScope = z.output<typeof applicationScopeSchema>;
