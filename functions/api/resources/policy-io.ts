import { z } from 'zod';
import { importModes, MAX_IMPORT_PARTS, toExportDocument } from '../../../layers/core/index.js';
import { NotFoundError } from '../../shared/errors.js';
import { booleanQuery } from '../../shared/http/helpers.js';
import { validate } from '../../shared/http/validation.js';
import type { ApiHandlers, ApiRequest, ApiResponse } from '../../shared/http/types.js';
import type { Runtime } from '../../shared/runtime.js';
import { importUploads } from '../use-cases/import-uploads.js';
import { policyWrites } from '../use-cases/policy-writes.js';

const exportQuery = z.object({ cursor: z.string().optional() });
const importQuery = z.object({ dryRun: booleanQuery, mode: z.enum(importModes).default('upsert') });

const uploadPath = z.object({
  id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be the id POST /v1/imports answered'),
  part: z.coerce.number().int().min(1).max(MAX_IMPORT_PARTS, `a multi-part import takes at most ${MAX_IMPORT_PARTS} parts`).optional(),
});

const openBody = z.strictObject({}).optional();

/** Route handlers of policy-as-code: export and all-or-nothing import. */
export function policyIoRoutes(runtime: Runtime) {
  const store = runtime.configStore;
  const writes = policyWrites(runtime);
  const multiPart = importUploads(runtime, writes);
  const uploadParams = (request: ApiRequest) => validate(uploadPath, { id: request.params.id, part: request.params.part }, 'the path');
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

    // Multi-part imports (docs/adr/0016): for a document larger than one request.
    'POST /v1/imports': async (request: ApiRequest): Promise<ApiResponse> => {
      // Nothing to choose when opening (mode and dry run are the commit's): a body, if any, is an empty object.
      validate(openBody, request.body, 'the body');
      return { status: 201, body: await multiPart.open() };
    },

    'PUT /v1/imports/{id}/parts/{part}': async (request: ApiRequest): Promise<ApiResponse> => {
      const { id, part } = uploadParams(request);
      return { status: 200, body: await multiPart.putPart(id, part ?? 0, request.body) };
    },

    'POST /v1/imports/{id}/commit': async (request: ApiRequest): Promise<ApiResponse> => {
      const { id } = uploadParams(request);
      const { dryRun, mode } = validate(importQuery, { dryRun: request.query.dryRun, mode: request.query.mode }, 'the query string');
      return { status: 200, body: await multiPart.commit(id, { mode, dryRun: dryRun ?? false }, request.actor) };
    },

    'DELETE /v1/imports/{id}': async (request: ApiRequest): Promise<ApiResponse> => {
      const { id } = uploadParams(request);
      if (!(await multiPart.abort(id)))
        throw new NotFoundError(`multi-part import "${id}" does not exist (it was committed, aborted or expired)`);
      return { status: 204 };
    },
  } satisfies ApiHandlers;
}
