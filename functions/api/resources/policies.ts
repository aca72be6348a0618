import { z } from 'zod';
import { findTemplate, policySchema, policyTemplates, policyFromTemplate, type Policy } from '../../../layers/core/index.js';
import { BadRequestError, NotFoundError, ValidationError } from '../../shared/errors.js';
import { booleanQuery, ifMatchVersion, pageRequest, versioned } from '../../shared/http/helpers.js';
import { validate } from '../../shared/http/validation.js';
import type { ApiHandlers, ApiRequest, ApiResponse } from '../../shared/http/types.js';
import type { Runtime } from '../../shared/runtime.js';
import { withoutMeta } from '../../shared/storage/read-all.js';
import { policyView, policyWrites } from '../use-cases/policy-writes.js';
import { createIfAbsent } from '../use-cases/create-replay.js';
import { mergePatchRoute, unchangedPutRoute } from '../use-cases/merge-patch-writes.js';

/** The policy as sent, without what the server owns: its metadata and the advice of a save answer. */
function withoutServerFields(policy: Policy): Policy {
  const { warnings: _warnings, ...doc } = withoutMeta(policy);
  return doc;
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

const listQuery = z.object({ type: z.enum(['container', 'function', 'host']).optional(), enabled: booleanQuery });

/** Route handlers of /v1/policies: parse the request, call the policy-write use case, map its result. */
export function policyRoutes(runtime: Runtime) {
  const store = runtime.configStore;
  const writes = policyWrites(runtime);
  const read = async (request: ApiRequest) => {
    const name = request.params.name ?? '';
    const policy = await store.get('policy', name);
    if (!policy) throw new NotFoundError(`policy "${name}" does not exist`);
    return { ...policyView(policy), version: policy.version };
  };
  const advise = (_request: ApiRequest, current: object) => writes.advice(current as Policy);
  const replace = async (request: ApiRequest): Promise<ApiResponse> => {
    const name = request.params.name ?? '';
    const policy = withoutServerFields(validate(policySchema, request.body, 'the policy'));
    if (policy.name !== name)
      throw new BadRequestError(`the body names policy "${policy.name}" but the path names "${name}": rename by creating a new policy`);
    return versioned(200, await writes.replace(policy, ifMatchVersion(request.headers), request.actor));
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
      return createIfAbsent(
        async () => versioned(201, await writes.create(policy, request.actor)),
        async () => {
          const stored = await writes.storedAsRequested(policy);
          return stored && versioned(200, stored);
        },
      );
    },

    'GET /v1/policies/{name}': async (request: ApiRequest): Promise<ApiResponse> => versioned(200, await read(request)),

    'PUT /v1/policies/{name}': unchangedPutRoute(read, replace, policySchema, advise),

    'PATCH /v1/policies/{name}': mergePatchRoute(read, replace, policySchema, advise),

    'DELETE /v1/policies/{name}': async (request: ApiRequest): Promise<ApiResponse> => {
      await writes.delete(request.params.name ?? '', ifMatchVersion(request.headers), request.actor);
      return { status: 204 };
    },
  } satisfies ApiHandlers;
}
