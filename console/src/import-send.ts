// Sending an import from the console as `vigil import` sends it (cli/import-upload.ts): one POST /v1/import when the
// document fits one request, else a multi-part import of the parts the core's splitter cuts, committed at once. A
// dry run or a refused import leaves no upload behind. Problems the server names in a part are named back at their
// place in the chosen file.

import {
  importPartsProblem,
  importSizeProblem,
  inDocument,
  jsonBytes,
  mebibytes,
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

/** A file's size as people read it: KiB below a mebibyte, so that a small file does not read "0.0 MiB". */
export function fileSize(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KiB` : mebibytes(bytes);
}

/**
 * The document with its parts when it needs them; the core's sentence (the CLI's too) when it is larger than the API
 * takes, or its parts of whole items more than an import has.
 */
export function prepareImport(fileName: string, body: unknown): PreparedImport | { readonly problem: string } {
  const bytes = jsonBytes(body);
  const tooLarge = importSizeProblem(fileName, bytes);
  if (tooLarge) return { problem: tooLarge };
  if (bytes <= SINGLE_IMPORT_BYTES) return { fileName, body, bytes };
  const split = splitImport(body);
  const tooManyParts = importPartsProblem(fileName, bytes, split.parts.length);
  if (tooManyParts) return { problem: tooManyParts };
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
