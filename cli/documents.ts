// Reading policy-as-code files: one file, a folder of them or stdin. What the text means (YAML or JSON, which
// documents, merged into one import document) is cli/policy-documents.ts, shared with the web console.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError, ExitCode, type ErrorDetail } from './errors.js';
import { fileProblem } from './files.js';
import {
  describeOrigin,
  hasDocumentExtension,
  mergeDocuments,
  parseDocuments,
  type DesiredState,
  type FileIssue,
  type SourceDocument,
} from './policy-documents.js';

export * from './policy-documents.js';

/** Problems as error details: the path names file and location. */
export function issueDetails(issues: readonly FileIssue[]): ErrorDetail[] {
  return issues.map((issue) => ({ path: describeOrigin(issue.origin, issue.path), message: issue.message }));
}

export class FileProblems extends CliError {
  constructor(message: string, issues: readonly FileIssue[]) {
    super(message, ExitCode.error, issueDetails(issues));
  }
}

/**
 * The files named on the command line, in order: a file as it is, a folder as its *.yaml, *.yml and *.json files
 * sorted by name (and its sub-folders' with `recursive`), `-` as stdin.
 */
export async function collectFiles(paths: readonly string[], recursive = false): Promise<string[]> {
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (recursive && !entry.name.startsWith('.')) await walk(full);
      } else if (hasDocumentExtension(entry.name)) files.push(full);
    }
  };
  for (const path of paths) {
    if (path === '-') {
      files.push('-');
      continue;
    }
    let info;
    try {
      info = await stat(path);
    } catch {
      throw new CliError(`${path}: no such file or folder`);
    }
    if (info.isDirectory()) {
      const before = files.length;
      await walk(path);
      if (files.length === before) throw new CliError(`${path}: the folder holds no .yaml, .yml or .json files`);
    } else files.push(path);
  }
  return files;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A file's size in bytes; 0 for stdin (`-`) and for what cannot be read, whose reading then says why. */
export async function fileBytes(file: string): Promise<number> {
  if (file === '-') return 0;
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

/** Reads a file's text (`-` is stdin). */
export async function readText(file: string): Promise<string> {
  try {
    return file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`${file}: cannot read it: ${fileProblem(error)}`);
  }
}

/** Reads, parses and merges files and folders; every problem of every file is reported together. */
export async function loadDesiredState(paths: readonly string[], recursive = false): Promise<DesiredState> {
  const files = await collectFiles(paths, recursive);
  const sources: SourceDocument[] = [];
  const issues: FileIssue[] = [];
  const empty: string[] = [];
  for (const file of files) {
    const text = await readText(file);
    const parsed = parseDocuments(file, text);
    sources.push(...parsed.documents);
    issues.push(...parsed.issues);
    if (text.trim() === '') empty.push(file);
  }
  // Files that declare nothing are a mistake (a wrong path, a truncated file), not a wish for an empty configuration.
  if (sources.length === 0 && issues.length === 0)
    throw new CliError(
      `${files.join(', ')}: no document in ${files.length === 1 ? 'it' : 'them'}${empty.length === files.length ? (files.length === 1 ? ' (an empty file)' : ' (empty files)') : ''}; nothing was written`,
    );
  const merged = mergeDocuments(sources);
  issues.push(...merged.issues);
  if (issues.length > 0)
    throw new FileProblems(`the files have ${issues.length} problem${issues.length === 1 ? '' : 's'}; nothing was written`, issues);
  return { ...merged.state, files };
}
