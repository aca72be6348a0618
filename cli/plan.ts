// Desired state (the files) against current state (the server): validation with the same planner the import API
// uses, and the list of changes that `vigil diff` shows and `vigil apply` makes.
import {
  defaultEnforcerGroups,
  enforcerGroupSchema,
  exportDocumentSchema,
  GLOBAL_SCOPE,
  planImport,
  toExportDocument,
  type ApplicationScope,
  type ControlPlaneState,
  type EnforcerGroup,
  type EnforcerSettings,
  type ImportIssue,
  type ImportPlan,
  type Policy,
} from '../layers/core/index.js';
import type { VigilClient } from './client.js';
import { describeOrigin, FileProblems, type DesiredState, type FileIssue, type Origin } from './documents.js';
import { CliError } from './errors.js';

export type ChangeKind = 'applicationScope' | 'policy' | 'settings' | 'enforcerGroup';
export type Action = 'create' | 'update' | 'delete' | 'unchanged';

export interface Change {
  readonly kind: ChangeKind;
  readonly name: string;
  readonly action: Action;
  /** The item as the server has it, in export form (absent for creates). */
  readonly before?: unknown;
  /** The item as the files declare it, in export form (absent for deletes). */
  readonly after?: unknown;
  /** The stored version: the If-Match of a delete (and of an enforcer group's update). */
  readonly version?: number;
}

export interface Plan {
  /** Every declared item (and, with prune, every deletion), in display order. */
  readonly changes: readonly Change[];
  /** Items on the server that the files do not declare and that are kept (no prune). */
  readonly undeclared: readonly Change[];
}

/** Reads what import plans against: every policy and application scope, and the settings, with versions. */
export async function fetchState(client: VigilClient): Promise<ControlPlaneState> {
  const [policies, applicationScopes, settings] = await Promise.all([
    client.listAll<Policy>('/v1/policies'),
    client.listAll<ApplicationScope>('/v1/application-scopes'),
    client.get<EnforcerSettings>('/v1/settings/enforcer'),
  ]);
  return { policies, applicationScopes, settings };
}

const listOf = { policy: 'policies', applicationScope: 'applicationScopes' } as const;

/** An import issue located in the files: the origin of its item and the path within it. */
export function locateIssue(issue: ImportIssue, desired: DesiredState): FileIssue {
  const segments = issue.path === '(root)' ? [] : issue.path.split('.');
  if ((issue.kind === 'policy' || issue.kind === 'applicationScope') && issue.index !== undefined) {
    const origin = desired.origins[listOf[issue.kind]][issue.index];
    // The issue path starts with the position in the merged list ("policies.3"), which nobody wrote.
    const inner = segments[0] === listOf[issue.kind] ? segments.slice(2) : segments;
    return { ...(origin ? { origin } : {}), path: inner.join('.'), message: issue.message };
  }
  if (issue.kind === 'settings') {
    const inner = segments[0] === 'settings' ? segments.slice(1) : segments;
    return { ...(desired.origins.settings ? { origin: desired.origins.settings } : {}), path: inner.join('.'), message: issue.message };
  }
  return { path: issue.path, message: issue.message };
}

/**
 * A path into the merged document the API validated (`policies.3.scope.expression`) as the place in the files
 * (`policies/payments.yaml: scope.expression`); paths outside any item are returned as they are.
 */
export function locatePath(path: string, desired: DesiredState): string {
  const [head, index, ...rest] = path.split('.');
  if ((head === 'policies' || head === 'applicationScopes') && index !== undefined && /^\d+$/.test(index)) {
    const origin = desired.origins[head][Number(index)];
    return origin ? describeOrigin(origin, rest.join('.')) : path;
  }
  if (head === 'settings' && desired.origins.settings)
    return describeOrigin(desired.origins.settings, [index, ...rest].filter((p) => p !== undefined).join('.'));
  return path;
}

function plan(current: ControlPlaneState, desired: DesiredState): ImportPlan {
  try {
    return planImport(current, desired.document, 'upsert');
  } catch (error) {
    // The server's items are read with the schemas of this CLI: a newer server may carry fields it does not know.
    throw new CliError(
      `cannot compare the files with the server's items (is this CLI older than the server?): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** A planned policy whose switch is the stored one, with the stored instant, so that it prints as the server does. */
function shownAsStored(policy: Policy, existing: Policy | undefined): Policy {
  const change = policy.enforcementModeChange;
  const pending = existing?.enforcementModeChange;
  if (!change || !pending || change.to !== pending.to || change.at !== pending.at || change.afterDays !== pending.afterDays) return policy;
  return { ...policy, enforcementModeChange: pending };
}

const kindOrder: Readonly<Record<ChangeKind, number>> = { applicationScope: 0, policy: 1, settings: 2, enforcerGroup: 3 };

function byKindAndName(a: Change, b: Change): number {
  return kindOrder[a.kind] - kindOrder[b.kind] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/**
 * Validates the files against the server's state (throws FileProblems listing every problem with its file) and
 * computes the changes: `create`, `update` or `unchanged` per declared item, `delete` for undeclared items when
 * pruning. Global is built in and never deleted; settings always exist and are never deleted.
 */
export function planChanges(
  current: ControlPlaneState,
  desired: DesiredState,
  prune: boolean,
  groups: readonly EnforcerGroup[] = [],
): Plan {
  const result = plan(current, desired);
  if (!result.ok) {
    const issues = result.errors.map((issue) => locateIssue(issue, desired));
    throw new FileProblems(`the files have ${issues.length} problem${issues.length === 1 ? '' : 's'}; nothing was written`, issues);
  }
  const before = toExportDocument(current);
  const parsed = exportDocumentSchema.parse(desired.document);
  // What the import will store, not the files as written: a scheduled switch the server already satisfies shows as
  // the stored switch or the mode it reached (see planImport), so an update's diff names only what changes.
  const stored = new Map(current.policies.map((p) => [p.name, p]));
  const planned = result.items.flatMap((item) => (item.kind === 'policy' ? [shownAsStored(item.value, stored.get(item.name))] : []));
  const after = toExportDocument({
    policies: planned,
    applicationScopes: parsed.applicationScopes,
    settings: parsed.settings ?? current.settings,
  });
  const beforeOf = {
    policy: new Map(before.policies.map((p) => [p.name, p])),
    applicationScope: new Map(before.applicationScopes.map((s) => [s.name, s])),
  };
  const afterOf = {
    policy: new Map(after.policies.map((p) => [p.name, p])),
    applicationScope: new Map(after.applicationScopes.map((s) => [s.name, s])),
  };

  const changes: Change[] = [];
  for (const item of result.items) {
    if (item.kind === 'applicationScope' && item.name === GLOBAL_SCOPE) continue;
    const action: Action = item.result === 'created' ? 'create' : item.result === 'updated' ? 'update' : 'unchanged';
    const was = item.kind === 'settings' ? before.settings : beforeOf[item.kind].get(item.name);
    const will = item.kind === 'settings' ? after.settings : afterOf[item.kind].get(item.name);
    changes.push({
      kind: item.kind,
      name: item.name,
      action,
      ...(was === undefined || action === 'create' ? {} : { before: was }),
      ...(will === undefined ? {} : { after: will }),
    });
  }

  const declared = {
    policy: new Set(parsed.policies.map((p) => p.name)),
    applicationScope: new Set(parsed.applicationScopes.map((s) => s.name)),
  };
  const undeclared: Change[] = [];
  for (const policy of current.policies) {
    if (declared.policy.has(policy.name)) continue;
    undeclared.push({
      kind: 'policy',
      name: policy.name,
      action: 'delete',
      before: beforeOf.policy.get(policy.name),
      ...(policy.version === undefined ? {} : { version: policy.version }),
    });
  }
  for (const scope of current.applicationScopes) {
    if (scope.name === GLOBAL_SCOPE || declared.applicationScope.has(scope.name)) continue;
    undeclared.push({
      kind: 'applicationScope',
      name: scope.name,
      action: 'delete',
      before: beforeOf.applicationScope.get(scope.name),
      ...(scope.version === undefined ? {} : { version: scope.version }),
    });
  }
  if (prune) {
    // The server refuses to delete a scope a policy uses; with the policies of the files that is known now, before
    // anything is written, rather than halfway through the deletions.
    const deletedScopes = new Set(undeclared.filter((c) => c.kind === 'applicationScope').map((c) => c.name));
    const issues: FileIssue[] = [];
    parsed.policies.forEach((policy, index) => {
      policy.scope.applicationScopes.forEach((scopeName, position) => {
        if (!deletedScopes.has(scopeName)) return;
        const origin = desired.origins.policies[index];
        issues.push({
          ...(origin ? { origin } : {}),
          path: `scope.applicationScopes.${position}`,
          message: `application scope "${scopeName}" is not in the files, so --prune would delete it, but this policy uses it: declare the scope in the files`,
        });
      });
    });
    if (issues.length > 0)
      throw new FileProblems(`the files have ${issues.length} problem${issues.length === 1 ? '' : 's'}; nothing was written`, issues);
    changes.push(...undeclared);
  }
  const groupPlan = planGroups(groups, desired, prune);
  changes.push(...groupPlan.changes);
  return {
    changes: changes.sort(byKindAndName),
    undeclared: prune ? [] : [...undeclared, ...groupPlan.undeclared].sort(byKindAndName),
  };
}

/** Groups every installation has: clusters and agents fall back to them, so the server never deletes them. */
const builtInGroups: ReadonlySet<string> = new Set(defaultEnforcerGroups.map((group) => group.name));
const serverManagedGroupFields = ['version', 'createdAt', 'updatedAt', 'updatedBy'];

function withoutServerFields(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !serverManagedGroupFields.includes(key)));
}

/** A group as files and plans show it: no server fields, defaults written out, keys in schema order. */
function canonicalGroup(group: unknown): EnforcerGroup {
  return enforcerGroupSchema.parse(withoutServerFields(group as Record<string, unknown>));
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The enforcer groups of the files against the server's. A declared group is whole, as a declared policy or scope
 * is and as the import takes it: the fields the file leaves out take their defaults. Tokens never go in files. Groups are pruned only when the files declare at least
 * one group: files written before groups were policy as code do not own them. Built-in groups are never deleted.
 */
function planGroups(groups: readonly EnforcerGroup[], desired: DesiredState, prune: boolean): { changes: Change[]; undeclared: Change[] } {
  const stored = new Map(groups.map((group) => [group.name, group]));
  const changes: Change[] = [];
  const issues: FileIssue[] = [];
  desired.enforcerGroups.forEach((item, index) => {
    const origin = desired.origins.enforcerGroups[index];
    const at = (path: string, message: string): void => {
      issues.push({ ...(origin ? { origin } : {}), path, message });
    };
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      at('', 'an enforcer group must be an object');
      return;
    }
    const declared = withoutServerFields(item as Record<string, unknown>);
    for (const secret of ['token', 'tokenHash'])
      if (secret in declared)
        at(
          secret,
          "a group token never goes in a file: `vigil apply` prints a created group's token once; `vigil groups rotate-token <name>` issues a new one",
        );
    const name = typeof declared.name === 'string' ? declared.name : undefined;
    const existing = name === undefined ? undefined : stored.get(name);
    const parsed = enforcerGroupSchema.safeParse(declared);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) at(issue.path.map(String).join('.'), issue.message);
      return;
    }
    if (existing && existing.type !== parsed.data.type) {
      at('type', `cannot change from ${existing.type} to ${parsed.data.type}: its enforcers would stop matching; declare a new group`);
      return;
    }
    const after = canonicalGroup(parsed.data);
    const before = existing ? canonicalGroup(existing) : undefined;
    changes.push({
      kind: 'enforcerGroup',
      name: after.name,
      action: before === undefined ? 'create' : sameJson(before, after) ? 'unchanged' : 'update',
      ...(before === undefined ? {} : { before }),
      after,
      ...(existing?.version === undefined ? {} : { version: existing.version }),
    });
  });
  if (issues.length > 0)
    throw new FileProblems(`the files have ${issues.length} problem${issues.length === 1 ? '' : 's'}; nothing was written`, issues);
  if (desired.enforcerGroups.length === 0) return { changes, undeclared: [] };
  const declaredNames = new Set(changes.map((change) => change.name));
  const undeclared: Change[] = groups
    .filter((group) => !declaredNames.has(group.name) && !builtInGroups.has(group.name))
    .map((group) => ({
      kind: 'enforcerGroup',
      name: group.name,
      action: 'delete',
      before: canonicalGroup(group),
      ...(group.version === undefined ? {} : { version: group.version }),
    }));
  return prune ? { changes: [...changes, ...undeclared], undeclared: [] } : { changes, undeclared };
}

/** Counts per action. */
export function summarize(changes: readonly Change[]): Record<Action, number> {
  const counts: Record<Action, number> = { create: 0, update: 0, delete: 0, unchanged: 0 };
  for (const change of changes) counts[change.action]++;
  return counts;
}

/** Whether applying would change anything. */
export function hasDifferences(plan: Plan): boolean {
  return plan.changes.some((change) => change.action !== 'unchanged');
}

export type { Origin };
