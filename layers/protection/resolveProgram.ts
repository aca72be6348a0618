import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/** What the layer knows about a program before it starts. */
export interface ResolvedProgram {
  /** Absolute path after PATH lookup and realpath; undefined when the program was not found. */
  readonly resolvedPath: string | undefined;
  /** The file was created or changed after the function's process started (drift). */
  readonly createdAfterStart: boolean;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Resolves a program as the kernel would run it: PATH lookup for bare names, then realpath. */
export function resolveProgram(program: string, options: { readonly cwd?: string | undefined; readonly path?: string | undefined; readonly startedAtMs: number }): ResolvedProgram {
  let candidate: string | undefined;
  if (program.includes('/')) {
    candidate = isAbsolute(program) ? program : resolve(options.cwd ?? process.cwd(), program);
  } else {
    for (const dir of (options.path ?? '').split(delimiter)) {
      if (dir === '') continue;
      const full = join(isAbsolute(dir) ? dir : resolve(options.cwd ?? process.cwd(), dir), program);
      if (executable(full)) {
        candidate = full;
        break;
      }
    }
  }
  if (candidate === undefined) return { resolvedPath: undefined, createdAfterStart: false };
  try {
    const real = realpathSync(candidate);
    const stat = statSync(real);
    // ctime cannot be set back by the function (unlike mtime via utimes), so a copied or chmod-ed file counts.
    return { resolvedPath: real, createdAfterStart: Math.max(stat.mtimeMs, stat.ctimeMs) > options.startedAtMs };
  } catch {
    return { resolvedPath: undefined, createdAfterStart: false };
  }
}
