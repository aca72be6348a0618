import {
  GLOBAL_SCOPE,
  enforcerGroupIssues,
  planEnforcerGroups,
  planImport,
  withoutWriteOnlyOptions,
  policyWarnings,
  type EnforcementModeChange,
  type EnforcerType,
  type ImportItem,
  type ImportMode,
  type ImportResult,
  type Policy,
} from '../../../layers/core/index.js';
import { commercialImport, type CommercialAnswer } from './commercial-import.js';
import { importedGroupChanges, importedGroupItems } from './import-groups.js';
import { ConflictError, NotFoundError, ValidationError, VersionMismatchError } from '../../shared/errors.js';
import type { Runtime } from '../../shared/runtime.js';
import { writeWithSchedules, type ScheduleTransition } from '../../shared/scheduling/schedule-sync.js';
import type { Actor, ConfigChange, Stored } from '../../shared/storage/ports.js';
import { listAll } from '../../shared/storage/read-all.js';
import { holdsRequested } from './create-replay.js';
import { SETTINGS_NAME } from './settings.js';
import { writeAtCurrentVersion } from './unguarded-writes.js';

// Every write of policies, from a parsed request to what the answer shows: the enforcement-mode change
// resolved against the save time, the application scopes it names checked, the write-only honeypot secret
// kept across a PUT built from a GET, the schedule kept in step with the write (docs/adr/0004) and the view
// that never shows the secret. The route modules only parse the request and map the result.

type StoredPolicy = Stored<'policy'>;

/** A saved policy as the answer shows it: without the write-only secret, with its version and save-time advice. */
export type SavedPolicy = Policy & { readonly version: number; readonly warnings: ReturnType<typeof policyWarnings> };

/** One item of an import's answer. */
export interface ImportedItem {
  readonly kind: ImportItem['kind'] | 'enforcerGroup';
  readonly name: string;
  readonly result: ImportResult;
  /** Policies only: the save-time advice `POST /v1/policies` gives. */
  readonly warnings?: string[];
  /** Enforcer groups created by the import only: their new token, shown this once. */
  readonly token?: string;
}

/** What an import did (or, in a dry run, would do); a commercial document adds what its conversion lost or changed. */
export type ImportOutcome = { readonly dryRun: boolean; readonly items: ImportedItem[] } & CommercialAnswer;

/** How long the registered group types (save-time advice only) may be reused. */
const ENFORCER_TYPES_TTL_MS = 10_000;

/** What a policy looks like on the wire: write-only options (the honeypot secret) never leave the server. */
export function policyView(policy: StoredPolicy | Policy): Policy {
  return withoutWriteOnlyOptions(policy);
}

function sameChange(a: EnforcementModeChange | null | undefined, b: EnforcementModeChange | null | undefined): boolean {
  if (!a || !b) return !a && !b;
  return a.to === b.to && a.at === b.at && a.afterDays === b.afterDays;
}

/**
 * Resolves the enforcement-mode change against the save time: `afterDays` counts from now, `at` must be
 * in the future. An unchanged change keeps its instant and id, so that re-saving a policy fetched with
 * GET does not postpone its switch.
 */
function resolveChange(incoming: Policy, stored: StoredPolicy | undefined, runtime: Runtime): Policy['enforcementModeChange'] {
  const change = incoming.enforcementModeChange;
  if (!change) return null;
  const previous = stored?.enforcementModeChange;
  if (previous && sameChange(change, previous) && previous.scheduledFor && previous.id) {
    return {
      to: change.to,
      ...(change.at ? { at: change.at } : { afterDays: change.afterDays }),
      scheduledFor: previous.scheduledFor,
      state: 'pending',
      id: previous.id,
    };
  }
  const now = runtime.clock();
  const due = change.at ? new Date(change.at) : new Date(now.getTime() + (change.afterDays ?? 0) * 86_400_000);
  if (change.at && due.getTime() <= now.getTime()) {
    throw new ValidationError('the policy is invalid', [
      {
        path: 'enforcementModeChange.at',
        message: `the switch to enforce must lie in the future (it is due at ${change.at}, now is ${now.toISOString()})`,
      },
    ]);
  }
  return {
    to: change.to,
    ...(change.at ? { at: change.at } : { afterDays: change.afterDays }),
    scheduledFor: due.toISOString(),
    state: 'pending',
    id: runtime.newId(),
  };
}

/** A PUT built from a GET body has no honeypot secret (it is write-only): keep the stored one. */
function keepWriteOnlySecrets(policy: Policy, stored: StoredPolicy): Policy {
  const incoming = (policy.controls as Record<string, Record<string, unknown> | undefined>).honeypot;
  const previous = (stored.controls as Record<string, Record<string, unknown> | undefined>).honeypot;
  if (!incoming || incoming.secretAccessKey !== undefined || previous?.secretAccessKey === undefined) return policy;
  return { ...policy, controls: { ...policy.controls, honeypot: { ...incoming, secretAccessKey: previous.secretAccessKey } } };
}

async function referencedScopesExist(policy: Policy, runtime: Runtime): Promise<void> {
  const missing: Array<{ path: string; message: string }> = [];
  await Promise.all(
    policy.scope.applicationScopes.map(async (name, i) => {
      // Global is built in and never stored.
      if (name === GLOBAL_SCOPE || (await runtime.configStore.get('applicationScope', name)) !== undefined) return;
      missing.push({ path: `scope.applicationScopes.${i}`, message: `application scope "${name}" does not exist` });
    }),
  );
  if (missing.length > 0) throw new ValidationError('the policy names application scopes that do not exist', missing);
}

async function registeredEnforcerTypes(runtime: Runtime): Promise<Set<EnforcerType>> {
  return new Set((await listAll(runtime.configStore, 'enforcerGroup')).map((group) => group.type));
}

/** The policy-write use case; one per function instance, so that its cache of group types is shared. */
export function policyWrites(runtime: Runtime) {
  const store = runtime.configStore;
  // The group types only feed save-time advice: a few seconds of staleness is harmless and spares every
  // save a query.
  let types: { value: Promise<Set<EnforcerType>>; until: number } | undefined;
  const enforcerTypes = (): Promise<Set<EnforcerType>> => {
    const now = runtime.clock().getTime();
    if (!types || types.until <= now) {
      const value = registeredEnforcerTypes(runtime);
      types = { value, until: now + ENFORCER_TYPES_TTL_MS };
      value.catch(() => (types = undefined));
    }
    return types.value;
  };

  /** The save answer; the group types are fetched alongside the write so that the warnings cost no extra round trip. */
  const saved = async (write: Promise<Array<Stored<'policy'> | undefined>>): Promise<SavedPolicy> => {
    const [[policy], registered] = await Promise.all([write, enforcerTypes()]);
    if (!policy) throw new Error('the store returned no policy for a write');
    return { ...policyView(policy), version: policy.version, warnings: policyWarnings(policy, registered) };
  };

  return {
    /** The save-time advice of `policy`, as its save answers it: for a write that changes nothing, which saves nothing. */
    async advice(policy: Policy): Promise<Pick<SavedPolicy, 'warnings'>> {
      return { warnings: policyWarnings(policy, await enforcerTypes()) };
    },

    /** Creates a policy (already validated and stripped of server-managed fields). */
    async create(policy: Policy, actor: Actor): Promise<SavedPolicy> {
      await referencedScopesExist(policy, runtime);
      const doc = { ...policy, enforcementModeChange: resolveChange(policy, undefined, runtime) };
      // A taken name is refused before a schedule is made for it (a race is still caught by the write).
      if (doc.enforcementModeChange && (await store.get('policy', policy.name)))
        throw new ConflictError(`policy "${policy.name}" already exists`);
      const write = writeWithSchedules(runtime, [{ policy: policy.name, before: null, after: doc.enforcementModeChange }], () =>
        store.apply([{ op: 'create', kind: 'policy', name: policy.name, doc }], actor),
      ) as Promise<Array<StoredPolicy | undefined>>;
      return saved(write);
    },

    /**
     * The stored policy of that name when it holds exactly what a create of `policy` asks for, as the create
     * would have answered it: a create retried after its answer was lost (see create-replay.ts).
     */
    async storedAsRequested(policy: Policy): Promise<SavedPolicy | undefined> {
      const stored = await store.get('policy', policy.name);
      // The stored change carries its resolved instant and id; a create asks only for `to` and `at`/`afterDays`.
      if (!stored || !sameChange(stored.enforcementModeChange, policy.enforcementModeChange)) return undefined;
      if (!holdsRequested({ ...stored, enforcementModeChange: null }, { ...policy, enforcementModeChange: null })) return undefined;
      return saved(Promise.resolve([stored]));
    },

    /** Replaces the policy `policy.name`, at version `ifMatch` when given, else at the current one. */
    async replace(policy: Policy, ifMatch: number | undefined, actor: Actor): Promise<SavedPolicy> {
      const name = policy.name;
      // Without If-Match, a concurrent edit between the read and the write just means reading again.
      return writeAtCurrentVersion(ifMatch, async () => {
        const stored = await store.get('policy', name);
        if (!stored) throw new NotFoundError(`policy "${name}" does not exist`);
        if (stored.type !== policy.type)
          throw new ValidationError('the policy is invalid', [
            { path: 'type', message: `cannot change from ${stored.type} to ${policy.type}: create a new policy` },
          ]);
        await referencedScopesExist(policy, runtime);
        const expectedVersion = ifMatch ?? stored.version;
        // A stale If-Match fails before the schedule is touched.
        if (expectedVersion !== stored.version)
          throw new VersionMismatchError(`policy "${name}" is at version ${stored.version}, not ${expectedVersion}`);
        const doc = { ...keepWriteOnlySecrets(policy, stored), enforcementModeChange: resolveChange(policy, stored, runtime) };
        const write = writeWithSchedules(
          runtime,
          [{ policy: name, before: stored.enforcementModeChange, after: doc.enforcementModeChange }],
          () => store.apply([{ op: 'replace', kind: 'policy', name, doc, expectedVersion }], actor),
        ) as Promise<Array<StoredPolicy | undefined>>;
        return await saved(write);
      });
    },

    /** Deletes a policy and its schedule, at version `ifMatch` when given, else at the current one. */
    async delete(name: string, ifMatch: number | undefined, actor: Actor): Promise<void> {
      // The schedule goes with the policy: cancelled first, set back if the delete then fails. The delete is
      // conditioned on the version read (whose pending change decided about the schedule); without If-Match,
      // a concurrent edit just means reading again.
      await writeAtCurrentVersion(ifMatch, async () => {
        const stored = await store.get('policy', name);
        if (!stored) throw new NotFoundError(`policy "${name}" does not exist`);
        if (ifMatch !== undefined && ifMatch !== stored.version)
          throw new VersionMismatchError(`policy "${name}" is at version ${stored.version}, not ${ifMatch}`);
        await writeWithSchedules(runtime, [{ policy: name, before: stored.enforcementModeChange, after: null }], () =>
          store.apply([{ op: 'delete', kind: 'policy', name, expectedVersion: stored.version }], actor),
        );
      });
    },

    /**
     * Imports a policy-as-code document (ours, or the commercial product's, converted first) all or nothing;
     * a dry run plans and checks everything and writes nothing.
     */
    async import(
      document: unknown,
      options: { readonly mode: ImportMode; readonly dryRun: boolean },
      actor: Actor,
    ): Promise<ImportOutcome> {
      const snapshot = await store.loadSnapshot();
      // The commercial product's JSON is converted first; its enforcer groups are planned beside the document.
      const commercial = commercialImport(runtime, document, snapshot, options.mode);
      const plan = planImport(snapshot, commercial ? commercial.document : document, options.mode);
      // Vigil's own document may carry whole enforcer groups (vigil export writes them), checked as PUT checks one.
      const nativeGroups = commercial ? undefined : planEnforcerGroups(snapshot.groups, nativeGroupList(document), options.mode, 'replace');
      if (commercial) commercial.refuseProblems(plan);
      else {
        const errors = [...(plan.ok ? [] : plan.errors), ...enforcerGroupIssues(nativeGroups!)];
        if (errors.length > 0)
          throw new ValidationError(
            `the document has ${errors.length} problem${errors.length === 1 ? '' : 's'}; nothing was written`,
            errors.map((e) => ({ ...e })),
          );
      }
      if (!plan.ok) throw new Error('unreachable: a refused plan was not reported');
      const plannedGroups = nativeGroups?.ok ? nativeGroups.items : [];
      const storedPolicies = new Map(snapshot.policies.map((p) => [p.name, p as StoredPolicy]));
      const changes: ConfigChange[] = [];
      const schedules: ScheduleTransition[] = [];
      const problems: Array<{ path: string; message: string }> = [];
      for (const item of plan.items) {
        if (item.result === 'unchanged') continue;
        let doc: object = item.value;
        if (item.kind === 'policy') {
          try {
            const stored = storedPolicies.get(item.name);
            const change = resolveChange(item.value, stored, runtime);
            doc = { ...item.value, enforcementModeChange: change } satisfies Policy;
            schedules.push({ policy: item.name, before: stored?.enforcementModeChange, after: change });
          } catch (error) {
            if (!(error instanceof ValidationError)) throw error;
            problems.push(...error.details.map((d) => ({ path: `policies.${item.index ?? 0}.${d.path}`, message: d.message })));
            continue;
          }
        }
        const name = item.kind === 'settings' ? SETTINGS_NAME : item.name;
        // Items the plan found stored carry their version: the write is conditioned on it.
        changes.push(
          item.previousVersion === undefined
            ? { op: 'create', kind: item.kind, name, doc }
            : { op: 'replace', kind: item.kind, name, doc, expectedVersion: item.previousVersion },
        );
      }
      if (problems.length > 0)
        throw new ValidationError(
          'the document is invalid; nothing was written',
          commercial ? commercial.locateProblems(problems) : problems,
        );
      const groups = commercial
        ? await commercial.groupChanges(options.dryRun)
        : await importedGroupChanges(runtime, plannedGroups, options.dryRun);
      changes.push(...groups.changes);
      // Schedules first, then the all-or-nothing write; a failed write sets the schedules back (docs/adr/0004).
      if (!options.dryRun && changes.length > 0) await writeWithSchedules(runtime, schedules, () => store.apply(changes, actor, 'import'));
      const registered = await enforcerTypes();
      const imported = new Set([...registered, ...(commercial?.groupTypes() ?? []), ...plannedGroups.map((group) => group.value.type)]);
      return {
        dryRun: options.dryRun,
        items: [
          ...plan.items.map((item) => ({
            kind: item.kind,
            name: item.kind === 'settings' ? SETTINGS_NAME : item.name,
            result: item.result,
            // The same advice a save through POST /v1/policies gives, counting the groups this import brings.
            ...(item.kind === 'policy' ? { warnings: policyWarnings(item.value, imported) } : {}),
          })),
          ...(commercial ? commercial.groupItems(groups.tokens) : importedGroupItems(plannedGroups, groups.tokens)),
        ],
        ...(commercial?.answer() ?? {}),
      };
    },
  };
}

/** The `enforcerGroups` list of Vigil's document, as sent (planEnforcerGroups checks each item). */
function nativeGroupList(document: unknown): readonly unknown[] {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return [];
  const groups = (document as Record<string, unknown>).enforcerGroups;
  return Array.isArray(groups) ? groups : [];
}

/** The policy-write use case of one function instance. */
