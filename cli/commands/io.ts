// `vigil export` and `vigil import`: the export document as the API gives it, and the import API as it is
// (all-or-nothing, with its dry run), including the commercial product's runtime-policy JSON.
import { writeFile } from 'node:fs/promises';
import { importSizeProblem } from '../../layers/core/index.js';
import type { Context } from '../context.js';
import { fetchExportDocument } from '../export-pages.js';
import { fileBytes, FileProblems, importBody, readText } from '../documents.js';
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

/** The whole export as one document, its pages joined (restarted on a 410, as the console's export is). */
export async function fetchExport(ctx: Context): Promise<ExportDocument> {
  try {
    return await fetchExportDocument<ExportPage>({
      page: (cursor) => ctx.client().get<ExportPage>('/v1/export', cursor === undefined ? undefined : { cursor }),
      isGone: (error) => error instanceof ApiError && error.status === 410,
      onPage: (pages, policies) => ctx.progress(`Exported ${pages} pages (${policies} policies so far)`),
      onRestart: () => {
        ctx.progress(undefined);
        ctx.note('The configuration changed during the export; starting it again.');
      },
    });
  } finally {
    ctx.progress(undefined);
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

export async function importCommand(ctx: Context, file: string, options: ImportOptions): Promise<number> {
  // Checked before reading, as the console does: a file the API could never take is not loaded at all.
  const tooLarge = importSizeProblem(file, await fileBytes(file));
  if (tooLarge) throw new CliError(tooLarge);
  const read = importBody(file, await readText(file));
  if (!read.ok) throw read.issues.length > 0 ? new FileProblems(read.message, read.issues) : new CliError(read.message);
  const { body } = read;
  // A document larger than one request goes as a multi-part import with one commit.
  const answer = await sendImport(ctx, file, body, { mode: options.mode, ...(options.dryRun ? { dryRun: true } : {}) });
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
