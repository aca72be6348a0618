// Sending an import document: one POST /v1/import when it fits one request, else a multi-part import (API
// docs/adr/0016): the document is split into parts of whole items, each uploaded (and checked by the server on
// arrival), then committed at once, all or nothing. Problems the server names in a part are named back at their
// place in the document.
import { documentShape, isCommercialDocument } from '../layers/core/index.js';
import { segment } from './client.js';
import type { Context } from './context.js';
import { ApiError } from './errors.js';
import type { ImportAnswer } from './import-answer.js';

/** The largest body POST /v1/import takes (5 MiB, the API's import route limit); larger documents go in parts. */
export const SINGLE_IMPORT_BYTES = 5 * 1024 * 1024;
/** What the CLI puts in one part at most: whole items, well below the route limit. */
const PART_BYTES = 4 * 1024 * 1024;

interface Part {
  readonly body: unknown;
  /** Where the part's items start in the document's lists (by list path: "policies.", "result.", ""). */
  readonly starts: Readonly<Record<string, number>>;
}

function bytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/** Cuts a list into runs of whole items of at most PART_BYTES each (an item larger than that goes alone). */
function runs<T>(items: readonly T[]): Array<{ start: number; items: T[] }> {
  const out: Array<{ start: number; items: T[] }> = [];
  let current: { start: number; items: T[] } | undefined;
  let size = 0;
  items.forEach((item, index) => {
    const itemBytes = bytes(item) + 1;
    if (!current || size + itemBytes > PART_BYTES) {
      current = { start: index, items: [] };
      out.push(current);
      size = 0;
    }
    current.items.push(item);
    size += itemBytes;
  });
  return out;
}

/** The document as parts: Vigil's lists (settings in the first part), or the commercial product's objects as bare lists. */
export function splitImport(document: unknown): { parts: Part[]; listPath: string } {
  if (isCommercialDocument(document)) {
    const shape = documentShape(document)!;
    const values = 'bypassEntries' in shape ? [...shape.bypassEntries] : shape.items.map((item) => item.value);
    const first = 'items' in shape ? (shape.items[0]?.path ?? '') : '';
    return {
      parts: runs(values).map((run) => ({ body: run.items, starts: { '': run.start } })),
      listPath: first.replace(/\d+$/, ''),
    };
  }
  const {
    policies = [],
    applicationScopes = [],
    settings,
    enforcerGroups,
    ...rest
  } = document as Record<string, unknown> & {
    policies?: unknown[];
    applicationScopes?: unknown[];
  };
  // The groups are few (at most 1,000 small objects): they go once, in the first part with the settings.
  const first = { ...rest, ...(enforcerGroups === undefined ? {} : { enforcerGroups }), ...(settings === undefined ? {} : { settings }) };
  const parts: Part[] = [{ body: first, starts: {} }];
  for (const run of runs(applicationScopes))
    parts.push({ body: { ...rest, applicationScopes: run.items }, starts: { 'applicationScopes.': run.start } });
  for (const run of runs(policies)) parts.push({ body: { ...rest, policies: run.items }, starts: { 'policies.': run.start } });
  return { parts, listPath: '' };
}

/** `parts.<n>.<path>` as the server names it, at its place in the document that was split. */
export function inDocument(path: string, parts: readonly Part[], listPath: string): string {
  if (!path.startsWith('parts.')) return path;
  const [number = '', ...within] = path.slice('parts.'.length).split('.');
  const part = /^\d+$/.test(number) ? parts[Number(number) - 1] : undefined;
  if (!part) return path;
  const inner = within.join('.');
  for (const [list, start] of Object.entries(part.starts)) {
    if (list !== '' && !inner.startsWith(list)) continue;
    const [index, ...tail] = inner.slice(list.length).split('.');
    if (index === undefined || !/^\d+$/.test(index)) continue;
    return [`${list === '' ? listPath : list}${start + Number(index)}`, ...tail].join('.');
  }
  return inner === '' ? '(root)' : inner;
}

/** Imports the document, in parts when it is larger than one request; answers what POST /v1/import answers. */
export async function sendImport(
  ctx: Context,
  document: unknown,
  query: { readonly mode: string; readonly dryRun?: boolean },
): Promise<ImportAnswer> {
  const parameters = { mode: query.mode, ...(query.dryRun ? { dryRun: 'true' } : {}) };
  if (bytes(document) <= SINGLE_IMPORT_BYTES)
    return (await ctx.client().request<ImportAnswer>('POST', '/v1/import', { query: parameters, body: document })).body;

  const { parts, listPath } = splitImport(document);
  const opened = (await ctx.client().request<{ id: string }>('POST', '/v1/imports')).body;
  const base = `/v1/imports/${segment(opened.id)}`;
  let committed = false;
  try {
    for (const [index, part] of parts.entries()) {
      ctx.progress(`Uploading part ${index + 1} of ${parts.length} (${(bytes(part.body) / 1048576).toFixed(1)} MiB)`);
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
        error.details.map((detail) => ({ ...detail, path: inDocument(detail.path, parts, listPath) })),
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
