// `vigil export` and `vigil import`: the export document as the API gives it, and the import API as it is
// (all-or-nothing, with its dry run), including the commercial product's runtime-policy JSON.
import { writeFile } from 'node:fs/promises';
import { isCommercialDocument } from '../../layers/core/index.js';
import type { Context } from '../context.js';
import { FileProblems, mergeDocuments, parseDocuments, readText } from '../documents.js';
import { ApiError, CliError, ExitCode } from '../errors.js';
import { fileProblem, refuseUnwritableFile } from '../files.js';
import { printImportNotes, type ImportAnswer } from '../import-answer.js';
import { sendImport } from '../import-upload.js';
import { toJson, toYaml, type Column, type OutputFormat } from '../output.js';

export interface ExportOptions {
  readonly output: 'yaml' | 'json';
  readonly file?: string;
}

interface ExportDocument {
  formatVersion?: number;
  policies?: unknown[];
  applicationScopes?: unknown[];
  settings?: unknown;
  enforcerGroups?: unknown[];
}

type ExportPage = ExportDocument & { nextCursor?: string };

/** Whole exports started at most this often when the configuration keeps changing under them. */
const EXPORT_ATTEMPTS = 3;

/**
 * The whole export as one document: the API answers it in pages of about a megabyte, all of one revision
 * (a page asked for after the configuration changed answers 410, and the export starts over).
 */
export async function fetchExport(ctx: Context): Promise<ExportDocument> {
  for (let attempt = 1; ; attempt++) {
    try {
      const first = await ctx.client().get<ExportPage>('/v1/export');
      const { nextCursor: _first, ...document } = first;
      const policies = [...(first.policies ?? [])];
      const applicationScopes = [...(first.applicationScopes ?? [])];
      const enforcerGroups = [...(first.enforcerGroups ?? [])];
      let cursor = first.nextCursor;
      let pages = 1;
      while (cursor !== undefined) {
        const page = await ctx.client().get<ExportPage>('/v1/export', { cursor });
        policies.push(...(page.policies ?? []));
        applicationScopes.push(...(page.applicationScopes ?? []));
        enforcerGroups.push(...(page.enforcerGroups ?? []));
        cursor = page.nextCursor;
        pages++;
        ctx.progress(`Exported ${pages} pages (${policies.length} policies so far)`);
      }
      ctx.progress(undefined);
      return { ...document, policies, applicationScopes, enforcerGroups };
    } catch (error) {
      ctx.progress(undefined);
      if (!(error instanceof ApiError) || error.status !== 410 || attempt >= EXPORT_ATTEMPTS) throw error;
      ctx.note('The configuration changed during the export; starting it again.');
    }
  }
}

export async function exportCommand(ctx: Context, options: ExportOptions): Promise<number> {
  // The server's document as it is (its groups included, never a token): the CLI assembles nothing of its own.
  await refuseUnwritableFile(options.file, 'Nothing was written.');
  const document = await fetchExport(ctx);
  const text = options.output === 'json' ? toJson(document) : toYaml(document);
  if (options.file === undefined || options.file === '-') {
    ctx.print(text);
    return ExitCode.ok;
  }
  try {
    await writeFile(options.file, text, 'utf8');
  } catch (error) {
    throw new CliError(`${options.file}: cannot write it: ${fileProblem(error)}`);
  }
  ctx.note(
    `Exported ${document.policies?.length ?? 0} policies, ${document.applicationScopes?.length ?? 0} application scopes, ${document.enforcerGroups?.length ?? 0} enforcer groups${document.settings ? ' and the enforcer settings' : ''} to ${options.file}.`,
  );
  return ExitCode.ok;
}

export interface ImportOptions {
  readonly dryRun?: boolean;
  readonly mode: 'upsert' | 'create';
  readonly output: OutputFormat;
}

type ImportItem = NonNullable<ImportAnswer['items']>[number];

const itemColumns: readonly Column<ImportItem>[] = [
  { header: 'KIND', value: (i) => i.kind },
  { header: 'NAME', value: (i) => i.name },
  { header: 'RESULT', value: (i) => i.result },
];

/** The body to send: a commercial document as it is (the API converts it), anything else as one export document. */
function importBody(file: string, text: string): unknown {
  const parsed = parseDocuments(file, text);
  if (parsed.issues.length > 0) throw new FileProblems(`${file} cannot be read; nothing was written`, parsed.issues);
  if (parsed.documents.length !== 1)
    throw new CliError(`${file}: import reads one document (this file has ${parsed.documents.length}); use \`vigil apply -f\` for several`);
  const [only] = parsed.documents;
  if (isCommercialDocument(only!.value)) return only!.value;
  const merged = mergeDocuments(parsed.documents);
  if (merged.issues.length > 0)
    throw new FileProblems(
      `${file} has ${merged.issues.length} problem${merged.issues.length === 1 ? '' : 's'}; nothing was written`,
      merged.issues,
    );
  // The groups go with the policies and scopes, in the same all-or-nothing import (created ones answer their token).
  const { enforcerGroups } = merged.state;
  return enforcerGroups.length > 0 ? { ...merged.state.document, enforcerGroups } : merged.state.document;
}

export async function importCommand(ctx: Context, file: string, options: ImportOptions): Promise<number> {
  const body = importBody(file, await readText(file));
  // A document larger than one request goes as a multi-part import with one commit.
  const answer = await sendImport(ctx, body, { mode: options.mode, ...(options.dryRun ? { dryRun: true } : {}) });
  if (options.output !== 'table') {
    ctx.output(answer, options.output, []);
    if (options.dryRun) ctx.note('Dry run: nothing was written.');
    return ExitCode.ok;
  }
  const items = answer.items ?? [];
  ctx.output(items, 'table', itemColumns);
  printImportNotes(ctx, answer);
  const counts = ['created', 'updated', 'unchanged'].map((result) => `${items.filter((i) => i.result === result).length} ${result}`);
  ctx.note(options.dryRun ? `Dry run: ${counts.join(', ')} (nothing was written).` : `Imported: ${counts.join(', ')}.`);
  return ExitCode.ok;
}
