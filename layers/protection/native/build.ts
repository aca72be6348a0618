// Compiles the native exec guard (vigil-guard.c) for both Lambda architectures with Debian's compilers:
// `gcc` for the machine's own architecture, `x86_64-linux-gnu-gcc` / `aarch64-linux-gnu-gcc` for the
// other (Debian packages gcc-x86-64-linux-gnu / gcc-aarch64-linux-gnu). Layer directories are named as
// `uname -m` names the machine, which is what vigil-wrapper looks for.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { arch } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const guardSource = join(here, 'vigil-guard.c');

/** The Lambda architectures, by the name `uname -m` gives them. */
export const guardArchitectures = ['x86_64', 'aarch64'] as const;
export type GuardArchitecture = (typeof guardArchitectures)[number];

const debianPackage: Record<GuardArchitecture, string> = { x86_64: 'gcc-x86-64-linux-gnu', aarch64: 'gcc-aarch64-linux-gnu' };

/** The compiler that targets an architecture from this machine. */
export function guardCompiler(target: GuardArchitecture): string {
  const native = arch() === 'x64' ? 'x86_64' : arch() === 'arm64' ? 'aarch64' : undefined;
  return native === target ? 'gcc' : `${target}-linux-gnu-gcc`;
}

/**
 * Flags, and why: hidden visibility exports only the intercepted calls; -z now resolves every symbol when the
 * library loads (a symbol missing from an old glibc fails there, visibly, not at the first exec);
 * libdl.so.2 is needed because dlsym lives there before glibc 2.34 (Amazon Linux 2); no _FORTIFY_SOURCE, so
 * no __*_chk symbol of a newer glibc is referenced.
 */
export const guardFlags = [
  '-std=gnu11',
  '-O2',
  '-fPIC',
  '-shared',
  '-fvisibility=hidden',
  '-U_FORTIFY_SOURCE',
  '-Wall',
  '-Wextra',
  '-Werror',
  '-Wl,--no-as-needed',
  '-l:libdl.so.2',
  '-Wl,-z,now',
  '-Wl,-z,relro',
  '-s',
];

/** Builds `<outDir>/<arch>/vigil-guard.so` for one architecture; throws naming the package when the compiler is missing. */
export function buildGuardFor(target: GuardArchitecture, outDir: string): string {
  const compiler = guardCompiler(target);
  const out = join(outDir, target, 'vigil-guard.so');
  mkdirSync(dirname(out), { recursive: true });
  const result = spawnSync(compiler, [...guardFlags.slice(0, 9), '-o', out, guardSource, ...guardFlags.slice(9)], { encoding: 'utf8' });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(
      `the exec guard for ${target} needs ${compiler}: install it (apt-get install ${compiler === 'gcc' ? 'gcc' : debianPackage[target]})`,
    );
  }
  if (result.status !== 0) throw new Error(`compiling the exec guard for ${target} failed: ${result.stderr || result.error?.message}`);
  return out;
}

/** Builds the guard for every Lambda architecture into `<outDir>/<arch>/vigil-guard.so`. */
export function buildGuard(outDir: string): string[] {
  return guardArchitectures.map((target) => buildGuardFor(target, outDir));
}
