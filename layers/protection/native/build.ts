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
 * Flags, and why: every program started loads the library, so its load is kept small. Hidden visibility
 * exports only the intercepted calls; no libdl (the guard finds the libc functions it calls on in libc's
 * symbol table); no _FORTIFY_SOURCE, so no __*_chk symbol of a newer glibc is referenced; no loop turned into
 * a call of libc's memcpy/memset/strlen (-fno-tree-loop-distribute-patterns): the guard keeps libc's code off
 * the path of an allowed exec, where every libc page is one more page fault in a child forked from Node.
 */
export const guardCompileFlags = [
  '-std=gnu11',
  '-O2',
  '-fPIC',
  '-shared',
  '-fvisibility=hidden',
  '-fno-tree-loop-distribute-patterns',
  '-U_FORTIFY_SOURCE',
  '-Wall',
  '-Wextra',
  '-Werror',
];

/**
 * -z noseparate-code puts code and read-only data in one segment (two mappings instead of four: about ten
 * page faults fewer per program started); -z now resolves every symbol once when the library loads: with lazy
 * binding a child forked from a process that never judged (Node's spawn) would resolve and write each libc
 * function it calls on every spawn again. -nostartfiles leaves out the C runtime's start files, whose code
 * the guard never needs (its constructor is in .init_array, which the loader runs; no C++ destructors, no
 * transactional memory, no profiling) but whose four weak imports the loader looked up in every object of
 * every program started, in vain: about 3,700 instructions per program. -Bsymbolic-functions binds the guard's
calls of its own functions (execv to execve, execvp to execvpe) to themselves when it is linked: no lookup at
load, and no other definition of execve in the program can stand in between.
 */
export const guardLinkFlags = ['-Wl,-z,now', '-Wl,-z,relro', '-Wl,-z,noseparate-code', '-Wl,-Bsymbolic-functions', '-nostartfiles', '-s'];

/** The compiler's arguments for building the guard into `out`; `defines` (-D...) only for tests. */
export function guardCompilerArgs(out: string, defines: readonly string[] = []): string[] {
  return [...guardCompileFlags, ...defines, '-o', out, guardSource, ...guardLinkFlags];
}

/** Builds `<outDir>/<arch>/vigil-guard.so` for one architecture; throws naming the package when the compiler is missing. */
export function buildGuardFor(target: GuardArchitecture, outDir: string): string {
  const compiler = guardCompiler(target);
  const out = join(outDir, target, 'vigil-guard.so');
  mkdirSync(dirname(out), { recursive: true });
  const result = spawnSync(compiler, guardCompilerArgs(out), { encoding: 'utf8' });
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
