// The key order of `-o yaml` and `-o json`: the order `vigil export` writes (the schema's order; controls in catalog
// order), whatever order the server's storage answered in, so that a `get` committed to git diffs cleanly against
// an export and against the next `get`.
import { applicationScopeSchema, enforcerGroupSchema, enforcerSettingsSchema, policySchema } from '../layers/core/index.js';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The schemas of the kinds that are policy as code: parsing one gives its keys in the documented order. */
const schemas: Readonly<Record<string, { safeParse(value: unknown): { success: boolean; data?: unknown } }>> = {
  policies: policySchema,
  scopes: applicationScopeSchema,
  settings: enforcerSettingsSchema,
  groups: enforcerGroupSchema,
};

/** Keys that lead when no schema says otherwise: what names the item. */
const leadingKeys = ['name', 'id', 'key'];

function fallbackOrder(keys: readonly string[]): string[] {
  const leading = leadingKeys.filter((key) => keys.includes(key));
  // Code-unit order, not localeCompare: the output must not depend on the machine's locale.
  const rest = keys.filter((key) => !leadingKeys.includes(key)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return [...leading, ...rest];
}

/**
 * The value with its object keys in the template's order (the parsed form of the same item); keys the template
 * lacks follow, named first and then sorted. Values are never added, removed or changed: only the order moves.
 */
export function inTemplateOrder(value: unknown, template: unknown): unknown {
  if (Array.isArray(value)) return value.map((item, index) => inTemplateOrder(item, Array.isArray(template) ? template[index] : undefined));
  if (!isObject(value)) return value;
  const model = isObject(template) ? template : {};
  const keys = Object.keys(value);
  const known = Object.keys(model).filter((key) => key in value);
  const ordered = [...known, ...fallbackOrder(keys.filter((key) => !(key in model)))];
  return Object.fromEntries(ordered.map((key) => [key, inTemplateOrder(value[key], model[key])]));
}

/** One item of a kind (`policies`, `groups`, …) in the documented key order. */
export function inDocumentedOrder(kindName: string, item: unknown): unknown {
  const schema = schemas[kindName];
  const parsed = schema?.safeParse(item);
  // An item this CLI cannot parse (a newer server's field) still prints, in the fallback order.
  return inTemplateOrder(item, parsed?.success === true ? parsed.data : undefined);
}
