import { applicationScopeSchema, GLOBAL_SCOPE, type ApplicationScope } from '../../../layers/core/index.js';
import { BadRequestError, ConflictError, NotFoundError } from '../../shared/errors.js';
import { ifMatchVersion, pageRequest, versioned } from '../../shared/http/helpers.js';
import { validate } from '../../shared/http/validation.js';
import type { ApiHandlers, ApiRequest, ApiResponse } from '../../shared/http/types.js';
import type { Runtime } from '../../shared/runtime.js';
import { listAll, withoutMeta } from '../../shared/storage/read-all.js';
import { createIfAbsent, holdsRequested } from '../use-cases/create-replay.js';
import { mergePatchRoute, unchangedPutRoute } from '../use-cases/merge-patch-writes.js';
import { writeAtCurrentVersion } from '../use-cases/unguarded-writes.js';

/** The built-in scope that matches everything; it is not stored and cannot change. */
const globalScope = { name: GLOBAL_SCOPE, description: 'Built in: matches every workload.', expression: '', variables: [], version: 1 };

function refuseGlobal(name: string): void {
  if (name === GLOBAL_SCOPE) throw new ConflictError('the Global application scope is built in: it cannot be changed or deleted');
}

/** Names of the policies that use an application scope. */
async function policiesUsing(runtime: Runtime, scope: string): Promise<string[]> {
  return (await listAll(runtime.configStore, 'policy'))
    .filter((policy) => policy.scope.applicationScopes.includes(scope))
    .map((policy) => policy.name);
}

/** Route handlers of /v1/application-scopes. */
export function scopeRoutes(runtime: Runtime) {
  const store = runtime.configStore;
  const read = async (request: ApiRequest) => {
    const name = request.params.name ?? '';
    if (name === GLOBAL_SCOPE) return globalScope;
    const scope = await store.get('applicationScope', name);
    if (!scope) throw new NotFoundError(`application scope "${name}" does not exist`);
    return scope;
  };
  const replace = async (request: ApiRequest): Promise<ApiResponse> => {
    const name = request.params.name ?? '';
    refuseGlobal(name);
    const scope = validate(applicationScopeSchema, request.body, 'the application scope');
    if (scope.name !== name) throw new BadRequestError(`the body names scope "${scope.name}" but the path names "${name}"`);
    const ifMatch = ifMatchVersion(request.headers);
    const [replaced] = await writeAtCurrentVersion(ifMatch, async () => {
      const stored = await store.get('applicationScope', name);
      if (!stored) throw new NotFoundError(`application scope "${name}" does not exist`);
      const change = {
        op: 'replace',
        kind: 'applicationScope',
        name,
        doc: withoutMeta(scope),
        expectedVersion: ifMatch ?? stored.version,
      } as const;
      return await store.apply([change], request.actor);
    });
    return versioned(200, replaced as ApplicationScope & { version: number });
  };
  return {
    'GET /v1/application-scopes': async (request: ApiRequest): Promise<ApiResponse> => {
      const paging = pageRequest(request.query);
      const page = await store.list('applicationScope', paging);
      // Global leads the first page; it is not stored, so it carries no cursor of its own.
      const items = paging.cursor ? page.items : [globalScope, ...page.items];
      return { status: 200, body: { items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) } };
    },

    'POST /v1/application-scopes': async (request: ApiRequest): Promise<ApiResponse> => {
      const scope = validate(applicationScopeSchema, request.body, 'the application scope');
      if (scope.name === GLOBAL_SCOPE) throw new ConflictError('the Global application scope already exists (built in)');
      return createIfAbsent(
        async () => {
          const [created] = await store.apply(
            [{ op: 'create', kind: 'applicationScope', name: scope.name, doc: withoutMeta(scope) }],
            request.actor,
          );
          return versioned(201, created as ApplicationScope & { version: number });
        },
        async () => {
          const stored = await store.get('applicationScope', scope.name);
          return stored && holdsRequested(stored, scope) ? versioned(200, stored) : undefined;
        },
      );
    },

    'GET /v1/application-scopes/{name}': async (request: ApiRequest): Promise<ApiResponse> => versioned(200, await read(request)),

    'PUT /v1/application-scopes/{name}': async (request: ApiRequest): Promise<ApiResponse> => {
      refuseGlobal(request.params.name ?? '');
      return unchangedPutRoute(read, replace, applicationScopeSchema)(request);
    },

    'PATCH /v1/application-scopes/{name}': async (request: ApiRequest): Promise<ApiResponse> => {
      refuseGlobal(request.params.name ?? '');
      return mergePatchRoute(read, replace, applicationScopeSchema)(request);
    },

    'DELETE /v1/application-scopes/{name}': async (request: ApiRequest): Promise<ApiResponse> => {
      const name = request.params.name ?? '';
      refuseGlobal(name);
      const users = await policiesUsing(runtime, name);
      if (users.length > 0)
        throw new ConflictError(
          `application scope "${name}" is used by ${users.length === 1 ? 'policy' : 'policies'} ${users.map((u) => `"${u}"`).join(', ')}`,
        );
      await store.apply(
        [{ op: 'delete', kind: 'applicationScope', name, expectedVersion: ifMatchVersion(request.headers) }],
        request.actor,
      );
      return { status: 204 };
    },
  } satisfies ApiHandlers;
}
