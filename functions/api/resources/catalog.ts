import { describeCatalog, findTemplate, policyTemplates } from '../../../layers/core/index.js';
import { NotFoundError } from '../../shared/errors.js';
import type { ApiHandlers, ApiRequest, ApiResponse } from '../../shared/http/types.js';
import type { Runtime } from '../../shared/runtime.js';
import { openApiDocument } from '../openapi.js';

/** Read-only routes: health, the OpenAPI document, the control catalog and the policy templates. */
export function catalogRoutes(runtime: Runtime) {
  // Both documents are the same for the life of the process: build them once.
  let controls: unknown;
  let openapi: unknown;
  return {
    'GET /v1/health': async (): Promise<ApiResponse> => ({
      status: 200,
      body: { status: 'ok', revision: await runtime.configStore.revision() },
    }),
    'GET /v1/openapi.json': (): Promise<ApiResponse> =>
      Promise.resolve({ status: 200, body: (openapi ??= openApiDocument(runtime.config.publicBaseUrl)) }),
    'GET /v1/controls': (): Promise<ApiResponse> => Promise.resolve({ status: 200, body: { items: (controls ??= describeCatalog()) } }),
    'GET /v1/policy-templates': (): Promise<ApiResponse> => Promise.resolve({ status: 200, body: { items: policyTemplates } }),
    'GET /v1/policy-templates/{id}': (request: ApiRequest): Promise<ApiResponse> => {
      const template = findTemplate(request.params.id ?? '');
      if (!template) throw new NotFoundError(`policy template "${request.params.id ?? ''}" does not exist (see GET /v1/policy-templates)`);
      return Promise.resolve({ status: 200, body: template });
    },
  } satisfies ApiHandlers;
}
