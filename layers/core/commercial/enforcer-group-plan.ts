/**
 * Planning the enforcer groups of a commercial import against the stored ones, like planImport does for policies
 * and scopes: created, updated or unchanged, nothing written. Only the fields the product's group carries are
 * compared and replaced; what Vigil alone has (fail mode, timeout, kube-system exemption) stays as stored.
 */
import type { ImportMode, ImportResult } from '../import-modes.js';
import { enforcerGroupSchema, type EnforcerGroup } from '../schemas/settings.js';
import { isPlainObject, type Json } from './source.js';

export interface PlannedEnforcerGroup {
  readonly name: string;
  readonly index: number;
  readonly result: ImportResult;
  /** The group to store, server-managed fields removed; a created group still needs its token hash. */
  readonly value: EnforcerGroup;
  readonly previousVersion?: number;
}

export type EnforcerGroupPlan =
  | { readonly ok: true; readonly items: PlannedEnforcerGroup[] }
  | { readonly ok: false; readonly errors: Array<{ readonly index: number; readonly path: string; readonly message: string }> };

const serverManaged = new Set(['version', 'createdAt', 'updatedAt', 'updatedBy', 'tokenHash']);

function withoutServerFields(group: object): Json {
  return Object.fromEntries(Object.entries(group).filter(([key]) => !serverManaged.has(key)));
}

function same(a: EnforcerGroup, b: EnforcerGroup): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => (a as Json)[key] === (b as Json)[key]);
}

/**
 * How an incoming group meets the stored one: `merge` (the commercial product's group carries only some fields, the
 * rest stay as stored) or `replace` (Vigil's own document holds whole groups, as PUT /v1/enforcer-groups/{name}).
 */
export type GroupFields = 'merge' | 'replace';

export function planEnforcerGroups(
  existing: readonly EnforcerGroup[],
  incoming: readonly unknown[],
  mode: ImportMode,
  fields: GroupFields = 'merge',
): EnforcerGroupPlan {
  const stored = new Map(existing.map((group) => [group.name, group]));
  const errors: Array<{ index: number; path: string; message: string }> = [];
  const items: PlannedEnforcerGroup[] = [];
  const seen = new Map<string, number>();
  incoming.forEach((raw, index) => {
    const name = isPlainObject(raw) && typeof raw.name === 'string' ? raw.name : undefined;
    if (name !== undefined) {
      const first = seen.get(name);
      if (first !== undefined) {
        errors.push({ index, path: 'name', message: `duplicate enforcer group "${name}": another item of the document has it too` });
        return;
      }
      seen.set(name, index);
    }
    if (isPlainObject(raw) && 'token' in raw) {
      // Never echo the value: it may be a live token of another installation.
      errors.push({
        index,
        path: 'token',
        message:
          'tokens are never imported: remove "token" (a created group gets a new token, shown once in the answer; an existing group keeps its own)',
      });
      return;
    }
    const current = name === undefined ? undefined : stored.get(name);
    const base = current ? withoutServerFields(current) : {};
    const parsed = enforcerGroupSchema.safeParse(fields === 'merge' ? { ...base, ...(isPlainObject(raw) ? raw : {}) } : raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) errors.push({ index, path: issue.path.map(String).join('.'), message: issue.message });
      return;
    }
    const value = parsed.data;
    if (!current) {
      items.push({ name: value.name, index, result: 'created', value });
      return;
    }
    const before = enforcerGroupSchema.parse(base);
    if (before.type !== value.type) {
      errors.push({
        index,
        path: 'type',
        message: `enforcer group "${value.name}" exists with type ${before.type}; a group's type cannot change: rename this one or delete the existing group first`,
      });
      return;
    }
    const unchanged = same(before, value);
    if (!unchanged && mode === 'create') {
      errors.push({
        index,
        path: '',
        message: `enforcer group "${value.name}" already exists and differs; import with mode=upsert to replace it`,
      });
      return;
    }
    items.push({
      name: value.name,
      index,
      result: unchanged ? 'unchanged' : 'updated',
      value,
      ...(current.version === undefined ? {} : { previousVersion: current.version }),
    });
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, items };
}
