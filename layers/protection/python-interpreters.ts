// The CPython interpreters of this machine for the Python versions the layer is published for: the layer build
// compiles the package's bytecode with each one found, and the tests run the package under each.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The Lambda Python runtimes the layer is published for (python3.11 to python3.13). */
export const PYTHON_VERSIONS = ['3.11', '3.12', '3.13'] as const;
export type PythonVersion = (typeof PYTHON_VERSIONS)[number];

export interface PythonInterpreter {
  readonly version: PythonVersion;
  /** The interpreter's real path (sys.executable), not a shim. */
  readonly executable: string;
  /** Names its bytecode files: `__pycache__/<module>.<cacheTag>.pyc`, e.g. cpython-312. */
  readonly cacheTag: string;
}

/**
 * Where an interpreter of `version` may be: `python3.x` on PATH, then the versions pyenv keeps (under
 * PYENV_ROOT, default ~/.pyenv), newest patch release first. A pyenv shim of a version that is installed but
 * not selected fails, so every candidate is asked what it is before it is used.
 */
function candidates(version: PythonVersion, env: NodeJS.ProcessEnv): string[] {
  const found = [`python${version}`];
  const versionsDir = join(env.PYENV_ROOT || join(homedir(), '.pyenv'), 'versions');
  let installed: string[] = [];
  try {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- pyenv's versions folder of the build machine's own user, listed (never written)
    installed = readdirSync(versionsDir).filter((name) => name.startsWith(`${version}.`) && /^\d+\.\d+\.\d+$/.test(name));
  } catch {
    // No pyenv: PATH only.
  }
  const patch = (name: string) => Number(name.split('.')[2]);
  for (const name of installed.sort((a, b) => patch(b) - patch(a))) found.push(join(versionsDir, name, 'bin', `python${version}`));
  return found;
}

/** The interpreters found for the published versions, in version order (a version with none is left out). */
export function findPythonInterpreters(env: NodeJS.ProcessEnv = process.env): PythonInterpreter[] {
  const interpreters: PythonInterpreter[] = [];
  for (const version of PYTHON_VERSIONS) {
    const expectedTag = `cpython-${version.replace('.', '')}`;
    for (const command of candidates(version, env)) {
      const probe = spawnSync(command, ['-c', 'import sys; print(sys.implementation.cache_tag); print(sys.executable)'], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      const [cacheTag, executable] = probe.status === 0 ? probe.stdout.trim().split('\n') : [];
      if (cacheTag === expectedTag && executable) {
        interpreters.push({ version, executable, cacheTag });
        break;
      }
    }
  }
  return interpreters;
}
