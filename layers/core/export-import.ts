import { z } from 'zod';
import { controlsForType, policyTypes, type PolicyType } from './catalog.js';
import { controlOptionsSchema } from './schemas/control-options.js';
import { planEnforcerGroups, type EnforcerGroupPlan } from './commercial/enforcer-group-plan.js';
import { EXPORT_FORMAT_VERSION, exportDocumentSchema, type ExportDocument } from './schemas/export.js';
import { policySchema, type EnforcementModeChange, type Policy } from './schemas/policy.js';
import { GLOBAL_SCOPE } from './builtins.js';
import { importModes, type ImportMode, type ImportResult } from './import-modes.js';
import { applicationScopeSchema, type ApplicationScope } from './schemas/scope.js';
import { enforcerGroupSchema, enforcerSettingsSchema, type EnforcerGroup, type EnforcerSettings } from './schemas/settings.js';

/** What export reads and import compares against: the stored items, server-managed fields included. */
export interface ControlPlaneState {
  readonly policies: readonly Policy[];
  readonly applicationScopes: readonly ApplicationScope[];
  readonly settings: EnforcerSettings;
  /** As stored; an export carries only the fields of the group's schema, so never a token hash. */
  readonly enforcerGroups?: readonly EnforcerGroup[];
}

export { importModes, type ImportMode, type ImportResult } from './import-modes.js';

interface PlannedItem<K extends string, V> {
  readonly kind: K;
  readonly name: string;
  /** Position in the document's list (absent for settings). */
  readonly index?: number;
  readonly result: ImportResult;
  /** The complete new item, server-managed fields removed; the writer assigns version and timestamps. */
  readonly value: V;
  /** Version of the stored item the plan was computed against: a condition for the transactional write. */
  readonly previousVersion?: number;
}

/** One line of an import plan. */
export type ImportItem =
  | PlannedItem<'applicationScope', ApplicationScope>
  | PlannedItem<'policy', Policy>
  | (PlannedItem<'settings', EnforcerSettings> & { readonly result: 'updated' | 'unchanged' });

/** One reason an import is refused; `path` is the dotted JSON path within the document. */
export interface ImportIssue {
  readonly kind: 'document' | 'policy' | 'applicationScope' | 'settings' | 'enforcerGroup';
  readonly name?: string;
  readonly index?: number;
  readonly path: string;
  readonly message: string;
}

/** Either every item with its outcome (nothing written yet), or every problem found (and nothing may be written). */
export type ImportPlan = { readonly ok: true; readonly items: ImportItem[] } | { readonly ok: false; readonly errors: ImportIssue[] };

// ------------------------------------------------------------------ canonical forms

type Json = Record<string, unknown>;

const serverManaged: ReadonlySet<string> = new Set(['version', 'createdAt', 'updatedAt', 'updatedBy', 'warnings']);

function withoutServerFields(item: object): Json {
  return Object.fromEntries(Object.entries(item).filter(([key]) => !serverManaged.has(key)));
}

/** Options the API never returns (meta `writeOnly`), per policy type and control, read from the catalog. */
const writeOnlyOptions: ReadonlyMap<PolicyType, ReadonlyMap<string, readonly string[]>> = new Map(
  policyTypes.map((type) => {
    const perControl = new Map<string, readonly string[]>();
    for (const [key, definition] of controlsForType(type)) {
      const names = Object.entries(controlOptionsSchema(definition).shape)
        .filter(([, schema]) => z.globalRegistry.get(schema)?.writeOnly === true)
        .map(([name]) => name);
      if (names.length > 0) perControl.set(key, names);
    }
    return [type, perControl] as const;
  }),
);

function controlEntries(policy: Policy): Array<[string, Json]> {
  return Object.entries(policy.controls as Record<string, Json | undefined>).filter(
    (entry): entry is [string, Json] => entry[1] !== undefined,
  );
}

function withoutWriteOnly(policy: Policy): Json {
  const perControl = writeOnlyOptions.get(policy.type);
  return Object.fromEntries(
    controlEntries(policy).map(([key, settings]) => {
      const hidden = perControl?.get(key);
      return [key, hidden ? Object.fromEntries(Object.entries(settings).filter(([option]) => !hidden.includes(option))) : settings];
    }),
  );
}

/** A policy without its write-only options (catalog meta `writeOnly`): all of it that the API may ever show. */
export function withoutWriteOnlyOptions<T extends Policy>(policy: T): T {
  return { ...policy, controls: withoutWriteOnly(policy) };
}

/** Write-only values of a policy, keyed `control.option`. */
function writeOnlyValues(policy: Policy): Map<string, unknown> {
  const values = new Map<string, unknown>();
  const perControl = writeOnlyOptions.get(policy.type);
  for (const [key, settings] of controlEntries(policy)) {
    for (const option of perControl?.get(key) ?? []) {
      if (settings[option] !== undefined) values.set(`${key}.${option}`, settings[option]);
    }
  }
  return values;
}

/**
 * The schedule as a document states it. With `resolve`, a pending change is written as `{to, at: scheduledFor}`:
 * `afterDays` counts from the save, so exporting it would move the switch every time the document is applied,
 * whereas the resolved instant keeps it where it is (import → export gives the same document). Without `resolve`
 * (reading a document) `scheduledFor`, `state` and `id` are server-managed and ignored, like on any PUT.
 */
function documentedChange(change: EnforcementModeChange | null | undefined, resolve: boolean): Json | undefined {
  if (!change) return undefined;
  if (resolve && change.scheduledFor !== undefined) return { to: change.to, at: change.scheduledFor };
  return change.at !== undefined ? { to: change.to, at: change.at } : { to: change.to, afterDays: change.afterDays };
}

/** A policy as an export document carries it: no server fields, no write-only values, defaults written out. */
function canonicalPolicy(policy: Policy, resolveSchedule: boolean): Policy {
  const body = withoutServerFields(policy);
  delete body.enforcementModeChange;
  body.controls = withoutWriteOnly(policy);
  const change = documentedChange(policy.enforcementModeChange, resolveSchedule);
  if (change) body.enforcementModeChange = change;
  // Parsing again orders the keys as the schema declares them and fills defaults, so equal policies print equally.
  return policySchema.parse(body);
}

function canonicalScope(scope: ApplicationScope): ApplicationScope {
  return applicationScopeSchema.parse(withoutServerFields(scope));
}

function canonicalSettings(settings: EnforcerSettings): EnforcerSettings {
  return enforcerSettingsSchema.parse(withoutServerFields(settings));
}

/** The fields an exported group may carry: its schema's, minus the server's. An allow-list, so a stored token hash never leaks. */
const exportedGroupFields: readonly string[] = Object.keys(enforcerGroupSchema.shape).filter((key) => !serverManaged.has(key));

function canonicalGroup(group: EnforcerGroup): EnforcerGroup {
  const fields = group as unknown as Json;
  return enforcerGroupSchema.parse(Object.fromEntries(exportedGroupFields.filter((key) => key in fields).map((key) => [key, fields[key]])));
}

function byName(a: { readonly name: string }, b: { readonly name: string }): number {
  // Code-unit order, not localeCompare: the order of an export must not depend on the machine's locale.
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * The policy-as-code document of a control plane (`GET /v1/export`): server-managed fields, write-only secrets and
 * the built-in Global scope left out, defaults written out, items sorted by name so that diffs stay small.
 */
export function toExportDocument(state: ControlPlaneState): ExportDocument;
/** One page of an export: the settings only on the page that carries them (the first). */
export function toExportDocument(state: Omit<ControlPlaneState, 'settings'> & { readonly settings?: EnforcerSettings }): ExportDocument;
export function toExportDocument(state: Omit<ControlPlaneState, 'settings'> & { readonly settings?: EnforcerSettings }): ExportDocument {
  return {
    formatVersion: EXPORT_FORMAT_VERSION,
    policies: state.policies.map((policy) => canonicalPolicy(policy, true)).sort(byName),
    applicationScopes: state.applicationScopes
      .filter((scope) => scope.name !== GLOBAL_SCOPE)
      .map(canonicalScope)
      .sort(byName),
    ...(state.settings ? { settings: canonicalSettings(state.settings) } : {}),
    // What a restore needs to recreate each group; its token is new, shown once by the import that creates it.
    ...(state.enforcerGroups ? { enforcerGroups: state.enforcerGroups.map(canonicalGroup).sort(byName) } : {}),
  };
}

// ------------------------------------------------------------------ comparison

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The first path (dotted, "" for the root) where two JSON values differ; object key order and undefined members do not count. */
function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  const at = (key: string | number) => (path === '' ? String(key) : `${path}.${key}`);
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return path;
    for (let i = 0; i < a.length; i++) {
      const difference = firstDifference(a[i], b[i], at(i));
      if (difference !== undefined) return difference;
    }
    return undefined;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)].filter((key) => a[key] !== undefined || b[key] !== undefined));
    for (const key of [...keys].sort()) {
      const difference = firstDifference(a[key], b[key], at(key));
      if (difference !== undefined) return difference;
    }
    return undefined;
  }
  return Object.is(a, b) ? undefined : path;
}

function describeDifference(path: string): string {
  return path === '' ? 'the whole item' : `"${path}"`;
}

// ------------------------------------------------------------------ planning

interface Indexed<T> {
  readonly index: number;
  readonly value: T;
}

interface ReadDocument {
  readonly policies: readonly Indexed<Policy>[];
  readonly scopes: readonly Indexed<ApplicationScope>[];
  readonly settings?: EnforcerSettings;
}

const listKinds = { policies: 'policy', applicationScopes: 'applicationScope' } as const;
type ListName = keyof typeof listKinds;

function rawList(document: unknown, list: ListName | 'enforcerGroups'): readonly unknown[] {
  if (!isPlainObject(document)) return [];
  const items = document[list];
  return Array.isArray(items) ? items : [];
}

function rawName(item: unknown): string | undefined {
  return isPlainObject(item) && typeof item.name === 'string' ? item.name : undefined;
}

function pathText(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map((key) => String(key)).join('.');
}

function issueFromZod(issue: z.core.$ZodIssue, document: unknown): ImportIssue {
  const [head, index] = issue.path;
  const path = pathText(issue.path);
  if ((head === 'policies' || head === 'applicationScopes') && typeof index === 'number') {
    const name = rawName(rawList(document, head)[index]);
    return { kind: listKinds[head], index, ...(name === undefined ? {} : { name }), path, message: issue.message };
  }
  if (head === 'settings') return { kind: 'settings', path, message: issue.message };
  return { kind: 'document', path, message: issue.message };
}

/**
 * Reads what can be read from a document that failed validation, so that cross-reference checks still run on the
 * valid items and one request reports every problem rather than the first batch.
 */
function salvage(document: unknown, issues: readonly z.core.$ZodIssue[]): ReadDocument {
  const failing = new Set(issues.map((issue) => `${String(issue.path[0])}.${String(issue.path[1])}`));
  const settingsFailed = issues.some((issue) => issue.path[0] === 'settings');
  const read = <T>(list: ListName, schema: z.ZodType<T>): Indexed<T>[] =>
    rawList(document, list).flatMap((item, index) => {
      if (failing.has(`${list}.${index}`)) return [];
      const parsed = schema.safeParse(item);
      return parsed.success ? [{ index, value: parsed.data }] : [];
    });
  const rawSettings = isPlainObject(document) ? document.settings : undefined;
  const settings = rawSettings === undefined || settingsFailed ? undefined : enforcerSettingsSchema.safeParse(rawSettings).data;
  return {
    policies: read('policies', policySchema),
    scopes: read('applicationScopes', applicationScopeSchema),
    ...(settings ? { settings } : {}),
  };
}

function duplicateNames(document: unknown, list: ListName, noun: string): ImportIssue[] {
  const issues: ImportIssue[] = [];
  const firstIndex = new Map<string, number>();
  rawList(document, list).forEach((item, index) => {
    const name = rawName(item);
    if (name === undefined) return;
    const first = firstIndex.get(name);
    if (first === undefined) {
      firstIndex.set(name, index);
      return;
    }
    const extra = list === 'policies' ? ' (policy names are unique across all policy types)' : '';
    issues.push({
      kind: listKinds[list],
      index,
      name,
      path: `${list}.${index}.name`,
      message: `duplicate ${noun} name "${name}": ${list}.${first} has it too${extra}`,
    });
  });
  return issues;
}

const kindOrder: Readonly<Record<ImportIssue['kind'], number>> = {
  document: 0,
  applicationScope: 1,
  policy: 2,
  settings: 3,
  enforcerGroup: 4,
};

/** The built-in scope as stored, or as every installation creates it. */
function builtInScope(current: ControlPlaneState): ApplicationScope {
  return current.applicationScopes.find((scope) => scope.name === GLOBAL_SCOPE) ?? applicationScopeSchema.parse({ name: GLOBAL_SCOPE });
}

/** Whether a switch a document states asks for the same instant as a pending stored one (same target, same timing). */
function sameSwitch(declared: EnforcementModeChange, pending: EnforcementModeChange): boolean {
  if (declared.to !== pending.to) return false;
  if (declared.afterDays !== undefined) return declared.afterDays === pending.afterDays;
  // An export writes a pending change as `at: scheduledFor`; the file that results asks for that very instant.
  return declared.at !== undefined && (declared.at === pending.at || sameInstant(declared.at, pending.scheduledFor));
}

function sameInstant(a: string, b: string | undefined): boolean {
  return b !== undefined && Date.parse(a) === Date.parse(b);
}

/**
 * What a document's policy asks for, given the stored one. A scheduled switch in a file states an outcome, not an
 * action (docs/cli.md, "Scheduled switches converge"):
 * - a stored pending switch with the same target and timing satisfies it: the stored one is kept (its instant is
 *   not moved, the policy is not rewritten), whether the file says `afterDays` or the `at` an export wrote;
 * - a policy already in the target mode with no switch pending has reached the outcome: the switch has happened,
 *   so the policy is kept in that mode, and a past `at` is no error.
 * Otherwise the document's switch is new (server-managed fields dropped) and the API resolves it against its clock.
 * Returns the policy to compare (with the stored switch, resolved) and the one to store (its documented form).
 */
function intendedPolicy(incoming: Policy, existing: Policy | undefined): { compare: Policy; store: Policy } {
  const declared = incoming.enforcementModeChange;
  if (!declared) return { compare: incoming, store: incoming };
  const pending = existing?.enforcementModeChange;
  if (existing && pending && incoming.enforcementMode === existing.enforcementMode && sameSwitch(declared, pending)) {
    return {
      compare: { ...incoming, enforcementModeChange: pending },
      store: { ...incoming, enforcementModeChange: documentedChange(pending, false) as EnforcementModeChange },
    };
  }
  if (existing && !pending && existing.enforcementMode === declared.to) {
    const reached = { ...incoming, enforcementMode: declared.to, enforcementModeChange: null };
    return { compare: reached, store: reached };
  }
  const fresh = { ...incoming, enforcementModeChange: documentedChange(declared, false) as EnforcementModeChange };
  return { compare: fresh, store: fresh };
}

/** The policy to store: the document's, server fields dropped, stored secrets kept where the document omits them. */
function plannedPolicy(incoming: Policy, existing: Policy | undefined): Policy {
  const body = withoutServerFields(incoming);
  if (existing && existing.type === incoming.type) {
    // Write-only values can never appear in an export, so a document without one means "keep the stored one",
    // exactly as a PUT of what GET returned does; otherwise every round trip would wipe honeypot secrets.
    const controls = Object.fromEntries(controlEntries(incoming).map(([key, settings]) => [key, { ...settings }]));
    for (const [path, value] of writeOnlyValues(existing)) {
      const [key = '', option = ''] = path.split('.');
      const settings = controls[key];
      if (settings && settings[option] === undefined) settings[option] = value;
    }
    body.controls = controls;
  }
  return policySchema.parse(body);
}

/** True when every write-only value the document gives equals the stored one. */
function sameSecrets(incoming: Policy, existing: Policy): boolean {
  const stored = writeOnlyValues(existing);
  return [...writeOnlyValues(incoming)].every(([path, value]) => stored.get(path) === value);
}

function versionOf(item: { readonly version?: number | undefined } | undefined): { previousVersion?: number } {
  return item?.version === undefined ? {} : { previousVersion: item.version };
}

/**
 * The problems one part of a multi-part import has on its own: its shape and types, and names repeated within it.
 * References between parts and to stored items, and names repeated across parts, are checked when the parts are
 * committed together (planImport of the joined document).
 */
export function checkImportPart(document: unknown): ImportIssue[] {
  const parsed = exportDocumentSchema.safeParse(document);
  return [
    ...(parsed.success ? [] : parsed.error.issues.map((issue) => issueFromZod(issue, document))),
    ...duplicateNames(document, 'applicationScopes', 'application scope'),
    ...duplicateNames(document, 'policies', 'policy'),
    ...enforcerGroupIssues(planEnforcerGroups([], rawList(document, 'enforcerGroups'), 'upsert', 'replace')),
  ];
}

/** The problems of a group plan at their paths in Vigil's document (`enforcerGroups.<index>.<field>`). */
export function enforcerGroupIssues(plan: EnforcerGroupPlan): ImportIssue[] {
  if (plan.ok) return [];
  return plan.errors.map((error) => ({
    kind: 'enforcerGroup' as const,
    index: error.index,
    path: ['enforcerGroups', String(error.index), ...(error.path === '' ? [] : [error.path])].join('.'),
    message: error.message,
  }));
}

/**
 * Validates an import document against the current state and computes, per item, whether it would be created,
 * updated or left unchanged. Nothing is written: the caller applies `items` in one transaction, or nothing at all
 * when `ok` is false. Checks the document shape, duplicate names, references to application scopes, policy type
 * changes and, in `create` mode, existing items that differ. Whether an `at` lies in the future is the API's to
 * check (it has the clock).
 */
export function planImport(current: ControlPlaneState, document: unknown, mode: ImportMode): ImportPlan {
  // The mode comes from a query string the API validates; anything else here is a programming error, and silently
  // treating it as upsert could overwrite what the caller meant to protect.
  if (!importModes.includes(mode)) throw new RangeError(`import mode must be one of ${importModes.join(', ')}`);
  const parsed = exportDocumentSchema.safeParse(document);
  const errors: ImportIssue[] = parsed.success ? [] : parsed.error.issues.map((issue) => issueFromZod(issue, document));
  const read: ReadDocument = parsed.success
    ? {
        policies: parsed.data.policies.map((value, index) => ({ index, value })),
        scopes: parsed.data.applicationScopes.map((value, index) => ({ index, value })),
        ...(parsed.data.settings ? { settings: parsed.data.settings } : {}),
      }
    : salvage(document, parsed.error.issues);

  errors.push(...duplicateNames(document, 'applicationScopes', 'application scope'), ...duplicateNames(document, 'policies', 'policy'));

  const currentScopes = new Map(current.applicationScopes.map((scope) => [scope.name, scope]));
  const currentPolicies = new Map(current.policies.map((policy) => [policy.name, policy]));
  const scopesInDocument = new Set(rawList(document, 'applicationScopes').map(rawName));
  const items: ImportItem[] = [];

  for (const { index, value } of read.scopes) {
    const path = `applicationScopes.${index}`;
    if (value.name === GLOBAL_SCOPE) {
      const builtIn = builtInScope(current);
      const difference = firstDifference(
        { expression: value.expression, variables: value.variables },
        { expression: builtIn.expression, variables: builtIn.variables },
      );
      if (difference !== undefined) {
        errors.push({
          kind: 'applicationScope',
          index,
          name: value.name,
          path,
          message: `"${GLOBAL_SCOPE}" is built in, matches everything and cannot be changed: remove it from the document`,
        });
      } else {
        items.push({
          kind: 'applicationScope',
          name: value.name,
          index,
          result: 'unchanged',
          value: canonicalScope(builtIn),
          ...versionOf(builtIn),
        });
      }
      continue;
    }
    const existing = currentScopes.get(value.name);
    const planned = canonicalScope(value);
    const difference = existing ? firstDifference(canonicalScope(existing), planned) : undefined;
    if (existing && difference !== undefined && mode === 'create') {
      errors.push({
        kind: 'applicationScope',
        index,
        name: value.name,
        path,
        message: `application scope "${value.name}" already exists and differs at ${describeDifference(difference)}; import with mode=upsert to replace it`,
      });
      continue;
    }
    const result: ImportResult = !existing ? 'created' : difference === undefined ? 'unchanged' : 'updated';
    items.push({ kind: 'applicationScope', name: value.name, index, result, value: planned, ...versionOf(existing) });
  }

  for (const { index, value } of read.policies) {
    const path = `policies.${index}`;
    value.scope.applicationScopes.forEach((scopeName, position) => {
      if (scopeName === GLOBAL_SCOPE || scopesInDocument.has(scopeName) || currentScopes.has(scopeName)) return;
      errors.push({
        kind: 'policy',
        index,
        name: value.name,
        path: `${path}.scope.applicationScopes.${position}`,
        message: `application scope "${scopeName}" does not exist: add it to "applicationScopes" in this document or create it first`,
      });
    });
    const existing = currentPolicies.get(value.name);
    if (existing && existing.type !== value.type) {
      errors.push({
        kind: 'policy',
        index,
        name: value.name,
        path: `${path}.type`,
        message: `a ${existing.type} policy named "${value.name}" already exists and a policy's type cannot change (names are unique across policy types): rename this one or delete the existing policy first`,
      });
      continue;
    }
    const intended = intendedPolicy(value, existing);
    const planned = plannedPolicy(intended.store, existing);
    let result: ImportResult = 'created';
    if (existing) {
      const difference = firstDifference(canonicalPolicy(existing, true), canonicalPolicy(intended.compare, true));
      const same = difference === undefined && sameSecrets(value, existing);
      if (!same && mode === 'create') {
        const where = difference === undefined ? 'in a write-only value' : `at ${describeDifference(difference)}`;
        errors.push({
          kind: 'policy',
          index,
          name: value.name,
          path,
          message: `policy "${value.name}" already exists and differs ${where}; import with mode=upsert to replace it`,
        });
        continue;
      }
      result = same ? 'unchanged' : 'updated';
    }
    items.push({ kind: 'policy', name: value.name, index, result, value: planned, ...versionOf(existing) });
  }

  if (read.settings) {
    const planned = canonicalSettings(read.settings);
    const difference = firstDifference(canonicalSettings(current.settings), planned);
    if (difference !== undefined && mode === 'create') {
      // Settings always exist, so in create mode any difference would overwrite them.
      errors.push({
        kind: 'settings',
        path: 'settings',
        message: `the enforcer settings differ at ${describeDifference(difference)}; settings always exist, so import with mode=upsert to replace them or leave "settings" out`,
      });
    } else {
      items.push({
        kind: 'settings',
        name: 'settings',
        result: difference === undefined ? 'unchanged' : 'updated',
        value: planned,
        ...versionOf(current.settings),
      });
    }
  }

  if (errors.length > 0) {
    // Sort is stable: within one item the issues keep the order in which they were found.
    return { ok: false, errors: errors.sort((a, b) => kindOrder[a.kind] - kindOrder[b.kind] || (a.index ?? -1) - (b.index ?? -1)) };
  }
  return { ok: true, items };
}
