// Sending an import from the console as `vigil import` sends it (cli/import-upload.ts): one POST /v1/import when the
// document fits one request, else a multi-part import of the parts the core's splitter cuts, committed at once. A
// dry run or a refused import leaves no upload behind. Problems the server names in a part are named back at their
// place in the chosen file.

import {
  inDocument,
  jsonBytes,
  MAX_IMPORT_DOCUMENT_BYTES,
  MAX_IMPORT_PARTS,
  SINGLE_IMPORT_BYTES,
  splitImport,
  type SplitImport,
} from '../../layers/core/import-split.js';
import { ApiError, call, query, segment, type Answer } from './api';

export type ImportAnswer = Answer<'postV1Import'>;
export type ImportMode = 'upsert' | 'create';

/** A chosen file ready to send: its document, and its parts when it is larger than one request. */
export interface PreparedImport {
  readonly fileName: string;
  readonly body: unknown;
  readonly bytes: number;
  readonly split?: SplitImport;
}

const MiB = 1024 * 1024;

export function mebibytes(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

/** A file's size as people read it: KiB below a mebibyte, so that a small file does not read "0.0 MiB". */
export function fileSize(bytes: number): string {
  return bytes < MiB ? `${Math.max(1, Math.round(bytes / 1024))} KiB` : mebibytes(bytes);
}

/** Why a document of this size cannot be imported at all, or undefined when it can (in one request or in parts). */
export function sizeProblem(fileName: string, bytes: number): string | undefined {
  if (bytes > MAX_IMPORT_DOCUMENT_BYTES)
    return `${fileName} is ${mebibytes(bytes)}: the API imports at most ${mebibytes(MAX_IMPORT_DOCUMENT_BYTES)} (${MAX_IMPORT_PARTS} parts of ${mebibytes(SINGLE_IMPORT_BYTES)}). Nothing was written.`;
  return undefined;
}

/** The document with its parts when it needs them; an error sentence when even the parts exceed what the API takes. */
export function prepareImport(fileName: string, body: unknown): PreparedImport | { readonly problem: string } {
  const bytes = jsonBytes(body);
  const tooLarge = sizeProblem(fileName, bytes);
  if (tooLarge) return { problem: tooLarge };
  if (bytes <= SINGLE_IMPORT_BYTES) return { fileName, body, bytes };
  const split = splitImport(body);
  if (split.parts.length > MAX_IMPORT_PARTS)
    return {
      problem: `${fileName} needs ${split.parts.length} parts of whole items: the API imports at most ${MAX_IMPORT_PARTS} parts. Nothing was written.`,
    };
  return { fileName, body, bytes, split };
}

/** Imports (or dry-runs) the prepared document; answers what POST /v1/import answers. */
export async function sendImport(
  prepared: PreparedImport,
  mode: ImportMode,
  dryRun: boolean,
  progress: (text: string) => void,
): Promise<ImportAnswer> {
  const parameters = query({ mode, dryRun: dryRun ? 'true' : undefined });
  const { split } = prepared;
  if (!split) return call<ImportAnswer>('POST', `/v1/import${parameters}`, { body: prepared.body });

  const opened = await call<Answer<'postV1Imports', 201>>('POST', '/v1/imports');
  const base = `/v1/imports/${segment(opened.id)}`;
  let committed = false;
  try {
    for (const [index, part] of split.parts.entries()) {
      progress(`Uploading part ${index + 1} of ${split.parts.length} (${mebibytes(jsonBytes(part.body))})…`);
      await call('PUT', `${base}/parts/${index + 1}`, { body: part.body });
    }
    progress(`Checking the ${split.parts.length} parts as one document…`);
    const answer = await call<ImportAnswer>('POST', `${base}/commit${parameters}`);
    committed = !dryRun;
    return answer;
  } catch (error) {
    if (error instanceof ApiError && error.problems.length > 0)
      throw new ApiError(
        error.status,
        error.code,
        `${error.message} (the file was sent in ${split.parts.length} parts)`,
        error.problems.map((problem) => ({ ...problem, path: inDocument(problem.path, split) })),
      );
    throw error;
  } finally {
    // A dry run or a refused import leaves nothing behind on the server.
    if (!committed) await call('DELETE', base).catch(() => undefined);
  }
}
