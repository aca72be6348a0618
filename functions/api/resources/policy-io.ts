import { z } from 'zod';
import { importModes, toExportDocument } from '../../../layers/core/index.js';
import { booleanQuery } from '../../shared/http/helpers.js';
import { validate } from '../../shared/http/validation.js';
import type { ApiHandlers, ApiRequest, ApiResponse } from '../../shared/http/types.js';
import type { Runtime } from '../../shared/runtime.js';
import { policyWrites } from '../use-cases/policy-writes.js';

const exportQuery = z.object({ cursor: z.string().optional() });
const importQuery = z.object({ dryRun: booleanQuery, mode: z.enum(importModes).default('upsert') });

/** Route handlers of policy-as-code: export and all-or-nothing import. */
export function policyIoRoutes(runtime: Runtime) {
  const store = runtime.configStore;
  const writes = policyWrites(runtime);
  return {
    'GET /v1/export': async (request: ApiRequest): Promise<ApiResponse> => {
      const { cursor } = validate(exportQuery, { cursor: request.query.cursor }, 'the query string');
      // Paged by bytes and pinned to one revision (docs/adr/0016): a page with nextCursor is part of a document.
      const page = await store.exportPage(cursor);
      return {
        status: 200,
        headers: { 'x-vigil-revision': String(page.revision) },
        body: { ...toExportDocument(page), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) },
      };
    },

    'POST /v1/import': async (request: ApiRequest): Promise<ApiResponse> => {
      const { dryRun, mode } = validate(importQuery, { dryRun: request.query.dryRun, mode: request.query.mode }, 'the query string');
      return { status: 200, body: await writes.import(request.body, { mode, dryRun: dryRun ?? false }, request.actor) };
    },
  } satisfies ApiHandlers;
}
