import { accessSync, constants, realpathSync, statSync, type Stats } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/** What the layer knows about a program before it starts. */
export interface ResolvedProgram {
  /** Absolute path after PATH lookup and realpath; undefined when the program was not found. */
  readonly resolvedPath: string | undefined;
  /** The file was created or changed after the function's process started (drift). */
  readonly createdAfterStart: boolean;
}

const NOT_FOUND: ResolvedProgram = { resolvedPath: undefined, createdAfterStart: false };

/** The file's stats (symlinks followed) when it is a regular file; no exception for a missing one (this runs on every spawn). */
function fileStats(path: string): Stats | undefined {
  try {
    const stats = statSync(path, { throwIfNoEntry: false });
    return stats?.isFile() ? stats : undefined;
  } catch {
    return undefined; // e.g. ENOTDIR, EACCES on a directory of the path
  }
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Resolves a program as the kernel would run it: PATH lookup for bare names, then realpath. */
export function resolveProgram(
  program: string,
  options: { readonly cwd?: string | undefined; readonly path?: string | undefined; readonly startedAtMs: number },
): ResolvedProgram {
  let candidate: string | undefined;
  let stats: Stats | undefined;
  if (program.includes('/')) {
    candidate = isAbsolute(program) ? program : resolve(options.cwd ?? process.cwd(), program);
    stats = fileStats(candidate);
  } else {
    for (const dir of (options.path ?? '').split(delimiter)) {
      if (dir === '') continue;
      const full = join(isAbsolute(dir) ? dir : resolve(options.cwd ?? process.cwd(), dir), program);
      const found = fileStats(full);
      if (found && executable(full)) {
        candidate = full;
        stats = found;
        break;
      }
    }
  }
  if (candidate === undefined || stats === undefined) return NOT_FOUND;
  try {
    // One realpath(3) call instead of a JavaScript walk over every path component; the stats above followed
    // the same links, so they are the real file's.
    const real = realpathSync.native(candidate);
    // ctime cannot be set back by the function (unlike mtime via utimes), so a copied or chmod-ed file counts.
    return { resolvedPath: real, createdAfterStart: Math.max(stats.mtimeMs, stats.ctimeMs) > options.startedAtMs };
  } catch {
    return NOT_FOUND;
  }
}
