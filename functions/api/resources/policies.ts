import { z } from 'zod';
import {
  findTemplate,
  policySchema,
  policyTemplates,
  policyFromTemplate,
  policyWarnings,
  type EnforcerType,
  type EnforcementModeChange,
  type Policy,
} from '../../../layers/core/index.js';
import { BadRequestError, ConflictError, NotFoundError, ValidationError, VersionMismatchError } from '../../shared/errors.js';
import { booleanQuery, ifMatchVersion, pageRequest, versioned } from '../../shared/http/helpers.js';
import { validate } from '../../shared/http/middleware.js';
import type { ApiRequest, ApiResponse } from '../../shared/http/types.js';
import type { Runtime } from '../../shared/runtime.js';
import { listAll, withoutMeta } from '../../shared/storage/read-all.js';
import { writeWithSchedules } from '../../shared/scheduling/schedule-sync.js';
import type { Stored } from '../../shared/storage/ports.js';
import { GLOBAL_SCOPE_NAME, scopeExists } from './scopes.js';

type StoredPolicy = Stored<'policy'>;

/** What a policy looks like on the wire: the write-only honeypot secret never leaves the server. */
export function policyView(policy: StoredPolicy | Policy): Policy {
  const honeypot = (policy.controls as Record<string, Record<string, unknown> | undefined>).honeypot;
  if (!honeypot || !('secretAccessKey' in honeypot)) return policy;
  const { secretAccessKey: _secret, ...visible } = honeypot;
  return { ...policy, controls: { ...policy.controls, honeypot: visible } };
}

/** The policy as sent, without what the server owns: its metadata and the advice of a save answer. */
function withoutServerFields(policy: Policy): Policy {
  const { warnings: _warnings, ...doc } = withoutMeta(policy);
  return doc;
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
export function resolveChange(incoming: Policy, stored: StoredPolicy | undefined, runtime: Runtime): Policy['enforcementModeChange'] {
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
      { path: 'enforcementModeChange.at', message: `must lie in the future (it is ${change.at}, now is ${now.toISOString()})` },
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

async function referencedScopesExist(policy: Policy, runtime: Runtime): Promise<void> {
  const missing: Array<{ path: string; message: string }> = [];
  await Promise.all(
    policy.scope.applicationScopes.map(async (name, i) => {
      if (name === GLOBAL_SCOPE_NAME || (await scopeExists(runtime, name))) return;
      missing.push({ path: `scope.applicationScopes.${i}`, message: `application scope "${name}" does not exist` });
    }),
  );
  if (missing.length > 0) throw new ValidationError('the policy names application scopes that do not exist', missing);
}

async function registeredEnforcerTypes(runtime: Runtime): Promise<Set<EnforcerType>> {
  return new Set((await listAll(runtime.configStore, 'enforcerGroup')).map((group) => group.type));
}

/** The save answer; `types` is started alongside the write so that the warnings cost no extra round trip. */
async function saved(
  status: number,
  write: Promise<Array<StoredPolicy | undefined>>,
  types: Promise<Set<EnforcerType>>,
): Promise<ApiResponse> {
  const [[policy], registered] = await Promise.all([write, types]);
  if (!policy) throw new Error('the store returned no policy for a write');
  return versioned(status, { ...policyView(policy), version: policy.version, warnings: policyWarnings(policy, registered) });
}

/** The request body of POST /v1/policies: a policy, or a template id with overrides. */
function policyFromBody(body: unknown): Policy {
  if (body && typeof body === 'object' && !Array.isArray(body) && 'template' in body) {
    const { template, ...overrides } = body as Record<string, unknown>;
    if (typeof template !== 'string' || !findTemplate(template)) {
      throw new ValidationError('unknown template', [
        { path: 'template', message: `must be one of ${policyTemplates.map((t) => t.id).join(', ')}` },
      ]);
    }
    return validate(policySchema, policyFromTemplate(template, overrides), 'the policy');
  }
  return validate(policySchema, body, 'the policy');
}

/** Reads of a DELETE without If-Match that lost a race to a concurrent edit. */
const DELETE_ATTEMPTS = 3;

const listQuery = z.object({ type: z.enum(['container', 'function', 'host']).optional(), enabled: booleanQuery });

/** Route handlers of /v1/policies. */
export function policyRoutes(runtime: Runtime) {
  const store = runtime.configStore;
  // The group types only feed save-time advice: a few seconds of staleness is harmless and spares every
  // save a query.
  let types: { value: Promise<Set<EnforcerType>>; until: number } | undefined;
  const enforcerTypes = (): Promise<Set<EnforcerType>> => {
    const now = runtime.clock().getTime();
    if (!types || types.until <= now) {
      const value = registeredEnforcerTypes(runtime);
      types = { value, until: now + 10_000 };
      value.catch(() => (types = undefined));
    }
    return types.value;
  };
  return {
    'GET /v1/policies': async (request: ApiRequest): Promise<ApiResponse> => {
      const filter = validate(listQuery, { type: request.query.type, enabled: request.query.enabled }, 'the query string');
      const page = await store.list('policy', pageRequest(request.query), filter);
      const items = page.items.map(policyView);
      return { status: 200, body: { items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) } };
    },

    'POST /v1/policies': async (request: ApiRequest): Promise<ApiResponse> => {
      const policy = withoutServerFields(policyFromBody(request.body));
      await referencedScopesExist(policy, runtime);
      const doc = { ...policy, enforcementModeChange: resolveChange(policy, undefined, runtime) };
      // A taken name is refused before a schedule is made for it (a race is still caught by the write).
      if (doc.enforcementModeChange && (await store.get('policy', policy.name)))
        throw new ConflictError(`policy "${policy.name}" already exists`);
      const write = writeWithSchedules(runtime, [{ policy: policy.name, before: null, after: doc.enforcementModeChange }], () =>
        store.apply([{ op: 'create', kind: 'policy', name: policy.name, doc }], request.actor),
      ) as Promise<Array<StoredPolicy | undefined>>;
      return saved(201, write, enforcerTypes());
    },

    'GET /v1/policies/{name}': async (request: ApiRequest): Promise<ApiResponse> => {
      const name = request.params.name ?? '';
      const policy = await store.get('policy', name);
      if (!policy) throw new NotFoundError(`policy "${name}" does not exist`);
      return versioned(200, { ...policyView(policy), version: policy.version });
    },

    'PUT /v1/policies/{name}': async (request: ApiRequest): Promise<ApiResponse> => {
      const name = request.params.name ?? '';
      const policy = withoutServerFields(validate(policySchema, request.body, 'the policy'));
      if (policy.name !== name)
        throw new BadRequestError(`the body names policy "${policy.name}" but the path names "${name}": rename by creating a new policy`);
      const stored = await store.get('policy', name);
      if (!stored) throw new NotFoundError(`policy "${name}" does not exist`);
      if (stored.type !== policy.type)
        throw new ValidationError('the policy is invalid', [
          { path: 'type', message: `cannot change from ${stored.type} to ${policy.type}: create a new policy` },
        ]);
      await referencedScopesExist(policy, runtime);
      const expectedVersion = ifMatchVersion(request.headers) ?? stored.version;
      // A stale If-Match fails before the schedule is touched.
      if (expectedVersion !== stored.version)
        throw new VersionMismatchError(`policy "${name}" is at version ${stored.version}, not ${expectedVersion}`);
      const doc = { ...keepWriteOnlySecrets(policy, stored), enforcementModeChange: resolveChange(policy, stored, runtime) };
      const write = writeWithSchedules(
        runtime,
        [{ policy: name, before: stored.enforcementModeChange, after: doc.enforcementModeChange }],
        () => store.apply([{ op: 'replace', kind: 'policy', name, doc, expectedVersion }], request.actor),
      ) as Promise<Array<StoredPolicy | undefined>>;
      return saved(200, write, enforcerTypes());
    },

    'DELETE /v1/policies/{name}': async (request: ApiRequest): Promise<ApiResponse> => {
      const name = request.params.name ?? '';
      const ifMatch = ifMatchVersion(request.headers);
      // The schedule goes with the policy: cancelled first, set back if the delete then fails. The delete is
      // conditioned on the version read (whose pending change decided about the schedule); without If-Match,
      // a concurrent edit just means reading again.
      for (let attempt = 1; ; attempt++) {
        const stored = await store.get('policy', name);
        if (!stored) throw new NotFoundError(`policy "${name}" does not exist`);
        if (ifMatch !== undefined && ifMatch !== stored.version)
          throw new VersionMismatchError(`policy "${name}" is at version ${stored.version}, not ${ifMatch}`);
        try {
          await writeWithSchedules(runtime, [{ policy: name, before: stored.enforcementModeChange, after: null }], () =>
            store.apply([{ op: 'delete', kind: 'policy', name, expectedVersion: stored.version }], request.actor),
          );
          return { status: 204 };
        } catch (error) {
          if (!(error instanceof VersionMismatchError) || ifMatch !== undefined || attempt >= DELETE_ATTEMPTS) throw error;
        }
      }
    },
  };
}

/** A PUT built from a GET body has no honeypot secret (it is write-only): keep the stored one. */
function keepWriteOnlySecrets(policy: Policy, stored: StoredPolicy): Policy {
  const incoming = (policy.controls as Record<string, Record<string, unknown> | undefined>).honeypot;
  const previous = (stored.controls as Record<string, Record<string, unknown> | undefined>).honeypot;
  if (!incoming || incoming.secretAccessKey !== undefined || previous?.secretAccessKey === undefined) return policy;
  return { ...policy, controls: { ...policy.controls, honeypot: { ...incoming, secretAccessKey: previous.secretAccessKey } } };
}
