import { accessSync, constants, lstatSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, delimiter, isAbsolute, join, resolve } from 'node:path';

/** What the layer knows about a program before it starts. */
export interface ResolvedProgram {
  /**
   * Absolute path after PATH lookup and realpath; undefined when the program was not found. Resolved when
   * first read: the decision reads it only when a rule needs it (a pattern with "/", drift, a message).
   */
  readonly resolvedPath: string | undefined;
  /** The last segment of the resolved path, known without realpath when the file's own name is not a link. */
  readonly resolvedName: string | undefined;
  /** The file was created or changed after the function's process started (drift). */
  readonly createdAfterStart: boolean;
}

const NOT_FOUND: ResolvedProgram = { resolvedPath: undefined, resolvedName: undefined, createdAfterStart: false };
/** One options object for every lstat: a missing file is an answer here, not an exception. */
const IF_PRESENT = { throwIfNoEntry: false } as const;

/**
 * The stats of a regular file (symlinks followed) and whether its own name is a link; undefined for anything
 * else, without an exception for a missing one (this runs on every spawn). One lstat decides the common case.
 */
function fileStats(path: string): { stats: Stats; link: boolean } | undefined {
  try {
    const own = lstatSync(path, IF_PRESENT);
    if (own === undefined) return undefined;
    if (!own.isSymbolicLink()) return own.isFile() ? { stats: own, link: false } : undefined;
    const stats = statSync(path, IF_PRESENT);
    return stats?.isFile() ? { stats, link: true } : undefined;
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

/** realpath(3) of a file found a moment ago; undefined when it has gone since. */
function realPath(path: string): string | undefined {
  try {
    // One realpath(3) call instead of a JavaScript walk over every path component.
    return realpathSync.native(path);
  } catch {
    return undefined;
  }
}

/** Resolves a program as the kernel would run it: PATH lookup for bare names, then realpath (when asked for). */
export function resolveProgram(
  program: string,
  options: { readonly cwd?: string | undefined; readonly path?: string | undefined; readonly startedAtMs: number },
): ResolvedProgram {
  let candidate: string | undefined;
  let found: { stats: Stats; link: boolean } | undefined;
  if (program.includes('/')) {
    candidate = isAbsolute(program) ? program : resolve(options.cwd ?? process.cwd(), program);
    found = fileStats(candidate);
  } else {
    for (const dir of (options.path ?? '').split(delimiter)) {
      if (dir === '') continue;
      const full = join(isAbsolute(dir) ? dir : resolve(options.cwd ?? process.cwd(), dir), program);
      const file = fileStats(full);
      if (file && executable(full)) {
        candidate = full;
        found = file;
        break;
      }
    }
  }
  if (candidate === undefined || found === undefined) return NOT_FOUND;
  // ctime cannot be set back by the function (unlike mtime via utimes), so a copied or chmod-ed file counts.
  const createdAfterStart = Math.max(found.stats.mtimeMs, found.stats.ctimeMs) > options.startedAtMs;
  if (found.link) {
    // Reached through a link as its own name: only realpath says what runs.
    const real = realPath(candidate);
    return real === undefined ? NOT_FOUND : { resolvedPath: real, resolvedName: basename(real), createdAfterStart };
  }
  // Links in the directories above do not change the file's own name.
  return new UnresolvedFile(candidate, createdAfterStart);
}

/** A file found under its own name (not a link): realpath is made when the path is first read, and once. */
class UnresolvedFile implements ResolvedProgram {
  readonly resolvedName: string;
  private real: string | undefined | null = null;

  constructor(
    private readonly candidate: string,
    readonly createdAfterStart: boolean,
  ) {
    this.resolvedName = candidate.slice(candidate.lastIndexOf('/') + 1);
  }

  get resolvedPath(): string | undefined {
    if (this.real === null) this.real = realPath(this.candidate);
    return this.real;
  }
}
