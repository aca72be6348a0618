// The files the operator names on the command line: why one cannot be read, and a check, made before anything is
// issued, that a file the CLI will write (a manifest holding a secret shown once, an export) can be written.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { CliError } from './errors.js';

/** Why a file could not be read or written, in words (not Node's `ENOENT: …, open '<path>'`). */
export function fileProblem(error: unknown): string {
  switch ((error as NodeJS.ErrnoException | undefined)?.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'it is a folder';
    case 'ENOTDIR':
      return 'a part of its path is a file, not a folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Refuses a file the command is going to write when it cannot be: a folder, in a folder that does not exist, or
 * without write permission. Checked before the request, so that a secret is not issued (and the previous one
 * revoked) only to be lost; `consequence` says what did not happen ("Nothing was issued.").
 */
export async function refuseUnwritableFile(file: string | undefined, consequence: string): Promise<void> {
  if (file === undefined || file === '-') return;
  const existing = await stat(file).catch(() => undefined);
  if (existing?.isDirectory()) throw new CliError(`${file} is a folder: name a file. ${consequence}`);
  const folder = dirname(resolve(file));
  if (!existing) {
    const parent = await stat(folder).catch(() => undefined);
    if (!parent?.isDirectory()) throw new CliError(`${file}: the folder ${folder} does not exist. ${consequence}`);
  }
  try {
    await access(existing ? file : folder, constants.W_OK);
  } catch (error) {
    throw new CliError(`${file}: cannot write it: ${fileProblem(error)}. ${consequence}`);
  }
}

/** Refuses a folder the command is going to write files into when it is missing or not a folder. */
export async function refuseUnwritableFolder(folder: string, consequence: string): Promise<void> {
  const existing = await stat(folder).catch(() => undefined);
  if (!existing) throw new CliError(`${folder}: no such folder. ${consequence}`);
  if (!existing.isDirectory()) throw new CliError(`${folder} is not a folder. ${consequence}`);
  try {
    await access(folder, constants.W_OK);
  } catch (error) {
    throw new CliError(`${folder}: cannot write into it: ${fileProblem(error)}. ${consequence}`);
  }
}
