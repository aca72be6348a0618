// Sending an import document: one POST /v1/import when it fits one request, else a multi-part import (API
// docs/adr/0016): the core's splitter (the console uses the same) cuts the document into parts of whole items, each
// is uploaded (and checked by the server on arrival), then all are committed at once, all or nothing. Problems the
// server names in a part are named back at their place in the document.
import { importPartsProblem, importSizeProblem, inDocument, jsonBytes, SINGLE_IMPORT_BYTES, splitImport } from '../layers/core/index.js';
import { segment } from './client.js';
import type { Context } from './context.js';
import { ApiError, CliError } from './errors.js';
import type { ImportAnswer } from './import-answer.js';

/**
 * Imports the document read from `file`, in parts when it is larger than one request; answers what POST /v1/import
 * answers. A document the API cannot take (too large, or more parts than an import has) is refused before any request.
 */
export async function sendImport(
  ctx: Context,
  file: string,
  document: unknown,
  query: { readonly mode: string; readonly dryRun?: boolean },
): Promise<ImportAnswer> {
  const parameters = { mode: query.mode, ...(query.dryRun ? { dryRun: 'true' } : {}) };
  const bytes = jsonBytes(document);
  const tooLarge = importSizeProblem(file, bytes);
  if (tooLarge) throw new CliError(tooLarge);
  if (bytes <= SINGLE_IMPORT_BYTES)
    return (await ctx.client().request<ImportAnswer>('POST', '/v1/import', { query: parameters, body: document })).body;

  const split = splitImport(document);
  const { parts } = split;
  const tooManyParts = importPartsProblem(file, bytes, parts.length);
  if (tooManyParts) throw new CliError(tooManyParts);
  const opened = (await ctx.client().request<{ id: string }>('POST', '/v1/imports')).body;
  const base = `/v1/imports/${segment(opened.id)}`;
  let committed = false;
  try {
    for (const [index, part] of parts.entries()) {
      ctx.progress(`Uploading part ${index + 1} of ${parts.length} (${(jsonBytes(part.body) / 1048576).toFixed(1)} MiB)`);
      await ctx.client().request('PUT', `${base}/parts/${index + 1}`, { body: part.body });
    }
    ctx.progress(`Importing the ${parts.length} parts as one document`);
    const answer = (await ctx.client().request<ImportAnswer>('POST', `${base}/commit`, { query: parameters })).body;
    committed = !query.dryRun;
    return answer;
  } catch (error) {
    if (error instanceof ApiError && error.details.length > 0)
      throw new ApiError(
        error.status,
        error.code,
        `${error.message} (the document was sent in ${parts.length} parts)`,
        error.details.map((detail) => ({ ...detail, path: inDocument(detail.path, split) })),
        error.hint,
      );
    throw error;
  } finally {
    ctx.progress(undefined);
    // A dry run or a failed import leaves nothing behind on the server.
    if (!committed)
      await ctx
        .client()
        .request('DELETE', base)
        .catch(() => undefined);
  }
}
