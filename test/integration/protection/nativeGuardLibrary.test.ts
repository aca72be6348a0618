import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGuardTable, type GuardControl, type GuardTableContent } from '../../../layers/core/index.js';
import {
  buildGuardFor,
  guardArchitectures,
  guardCompiler,
  guardCompilerArgs,
  type GuardArchitecture,
} from '../../../layers/protection/native/build.js';
import { fixtures } from './harness.js';

// The guard library itself, for both Lambda architectures: what it needs from glibc (Amazon Linux 2023 has
// glibc 2.34, Amazon Linux 2 has 2.26), and every intercepted call driven by a small C program. arm64 runs
// under qemu-user; its programs exec the machine's own /usr/bin/id and /bin/true (qemu passes execve to the kernel).

const AL2_GLIBC = [2, 26];
const AL2023_GLIBC = [2, 34];
const INTERCEPTED = [
  'execve',
  'execv',
  'execvp',
  'execvpe',
  'execl',
  'execlp',
  'execle',
  'fexecve',
  'execveat',
  'posix_spawn',
  'posix_spawnp',
  'system',
  'popen',
];

/** libc functions the decision on an allowed exec used to call, and now does without. */
const HOT_PATH_LIBC = [
  'syscall',
  'open',
  'close',
  'mmap',
  'munmap',
  'access',
  'write',
  'strlen',
  'strcmp',
  'strncmp',
  'strchr',
  'strrchr',
  'strcspn',
  'strspn',
  'memchr',
  'memcmp',
  'memcpy',
];

/**
 * What every program started binds when it loads the guard (-z now: one symbol lookup each): libc functions
 * the guard now does without (system calls and its own code), and the C runtime start files' weak symbols.
 */
const NOT_BOUND_AT_LOAD = [
  'execvpe',
  'getenv',
  'getcwd',
  'readlink',
  'memset',
  'strstr',
  '_ITM_registerTMCloneTable',
  '_ITM_deregisterTMCloneTable',
  '__gmon_start__',
  '__cxa_finalize',
];

let work: string;
const built = new Map<GuardArchitecture, { library: string; probe: string }>();

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'vigil-guard-lib-'));
  for (const target of guardArchitectures) {
    const library = buildGuardFor(target, join(work, 'lib'));
    const probe = join(work, `probe-${target}`);
    const compiled = spawnSync(guardCompiler(target), ['-O2', '-o', probe, join(fixtures, 'native', 'guard-probe.c')], {
      encoding: 'utf8',
    });
    expect(compiled.status, compiled.stderr).toBe(0);
    built.set(target, { library, probe });
  }
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

function versionOf(text: string): number[] {
  return text.split('.').map(Number);
}

function newer(a: number[], b: number[]): boolean {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return false;
}

describe.each(guardArchitectures)('the exec guard library for %s', (target) => {
  it('needs no glibc symbol newer than Amazon Linux 2 (2.26) and Amazon Linux 2023 (2.34) provide, and nothing beyond libc', () => {
    const { library } = built.get(target)!;
    const symbols = spawnSync('readelf', ['--dyn-syms', '-W', library], { encoding: 'utf8' }).stdout;
    const required = [...symbols.matchAll(/ UND (\S+)@GLIBC_([\d.]+)/g)].map(([, name, version]) => ({ name: name!, version: version! }));
    expect(required.map((r) => r.name)).toEqual(expect.arrayContaining(['dl_iterate_phdr', 'realpath']));
    expect(required.map((r) => r.name)).not.toContain('dlsym');
    // Deciding on an allowed exec runs none of libc's code (each libc page is a page fault in a child forked
    // from Node): no system call wrapper and none of the string functions the decision needs.
    expect(required.map((r) => r.name).filter((name) => HOT_PATH_LIBC.includes(name))).toEqual([]);
    const undefinedSymbols = [...symbols.matchAll(/ UND (\w+)/g)].map((m) => m[1]!);
    expect(undefinedSymbols.filter((name) => NOT_BOUND_AT_LOAD.includes(name))).toEqual([]);
    // Its calls of its own functions (execv to execve, execvp to execvpe) are bound when it is linked.
    const relocations = spawnSync('readelf', ['-r', '-W', library], { encoding: 'utf8' }).stdout;
    expect(relocations).not.toMatch(/\bexecve\b|\bexecvpe\b/);
    const tooNew = (limit: number[]) =>
      required.filter((r) => newer(versionOf(r.version), limit)).map((r) => `${r.name}@GLIBC_${r.version}`);
    expect(tooNew(AL2023_GLIBC)).toEqual([]);
    expect(tooNew(AL2_GLIBC)).toEqual([]);
    // Every program started loads the guard and whatever it needs: libc only (no libdl, which dlsym would need
    // before glibc 2.34), in two mappings.
    const needed = [...spawnSync('readelf', ['-d', library], { encoding: 'utf8' }).stdout.matchAll(/\(NEEDED\).*\[(.+)\]/g)].map(
      (m) => m[1],
    );
    expect(needed).toEqual(['libc.so.6']);
    const segments = spawnSync('readelf', ['-l', '-W', library], { encoding: 'utf8' }).stdout.match(/^\s*LOAD\s/gm) ?? [];
    expect(segments).toHaveLength(2);
    const exported = [...symbols.matchAll(/ FUNC +GLOBAL +DEFAULT +\d+ (\S+)/g)].map((m) => m[1]);
    expect(exported.sort()).toEqual([...INTERCEPTED].sort());
  });

  /** The probe with the guard loaded (or, for comparison, without it: glibc alone). */
  const probeRun = (guard: { dir: string } | undefined, call: string, args: string[], env: Record<string, string> = {}, cwd?: string) => {
    const { library, probe } = built.get(target)!;
    const guardEnv = guard === undefined ? env : { LD_PRELOAD: library, VIGIL_GUARD_DIR: guard.dir, ...env };
    const [command, commandArgs, processEnv] =
      target === 'x86_64'
        ? [probe, [call, ...args], { PATH: '/usr/bin:/bin', ...guardEnv }]
        : [
            'qemu-aarch64',
            ['-L', '/usr/aarch64-linux-gnu', ...Object.entries(guardEnv).flatMap(([k, v]) => ['-E', `${k}=${v}`]), probe, call, ...args],
            { PATH: '/usr/bin:/bin' },
          ];
    const result = spawnSync(command, commandArgs, { encoding: 'utf8', env: processEnv, cwd });
    return { status: result.status, stdout: result.stdout.trim() };
  };
  const run = (dir: string, call: string, args: string[], env: Record<string, string> = {}, cwd?: string) =>
    probeRun({ dir }, call, args, env, cwd);

  // Started now: the machine's programs are older, so only the rules under test object to them.
  const table = (rules: Array<[GuardControl, 'block' | 'detect', ...string[]]>, facts: Partial<GuardTableContent> = {}) =>
    encodeGuardTable({
      generation: 41,
      revision: 3,
      startedAtMs: Date.now(),
      failMode: 'open',
      state: 'bundle',
      rules: rules.map(([control, mode, ...patterns], id) => ({ id, control, blocks: mode === 'block', patterns })),
      ...facts,
    })!;

  it.each(INTERCEPTED)('%s: refuses a blocked program with EACCES and reports it once; runs an allowed one', (call) => {
    const dir = mkdtempSync(join(work, 'guard-'));
    writeFileSync(join(dir, 'rules'), table([['blockedExecutables', 'block', '/usr/bin/id']]));
    // system and popen start /bin/sh: the guard judges the shell here (and the shell, carrying it, what it starts).
    const shellCall = call === 'system' || call === 'popen';
    const blocked = shellCall ? '/bin/sh' : '/usr/bin/id';
    writeFileSync(join(dir, 'rules'), table([['blockedExecutables', 'block', blocked]]));
    const refused = run(dir, call, [shellCall ? 'exit 3' : '/usr/bin/id']);
    expect(refused).toEqual({ status: 99, stdout: 'refused errno=13' });
    const lines = readFileSync(join(dir, 'events'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    const [head, resolved] = [lines[0]!.split('\t').slice(0, 6), lines[0]!.split('\t')[6]!];
    expect(head).toEqual(['G1', '41', '1', '0', '0', blocked]);
    // Under qemu, -L maps /bin into the arm64 sysroot, whose /bin is not a link to /usr/bin.
    expect(resolved.split('/').at(-1)).toBe(realpathSync(blocked).split('/').at(-1));

    writeFileSync(join(dir, 'rules'), table([['blockedExecutables', 'block', '/usr/bin/id']]));
    const allowed = run(dir, call, [shellCall ? 'exit 3' : '/bin/true']);
    expect(allowed.status).toBe(0);
    if (shellCall) expect(allowed.stdout).toBe('exit=3');
  });

  it('reports without refusing under a detect rule, and follows the fail mode without a table', () => {
    const dir = mkdtempSync(join(work, 'guard-'));
    writeFileSync(join(dir, 'rules'), table([['blockAllProcesses', 'detect', '/bin/sh']]));
    expect(run(dir, 'posix_spawn', ['/bin/true'])).toEqual({ status: 0, stdout: 'exit=0' });
    expect(readFileSync(join(dir, 'events'), 'utf8')).toMatch(/^G1\t41\t0\t0\t0\t\/bin\/true\t/);

    const none = mkdtempSync(join(work, 'guard-'));
    // posix_spawn answers the error number itself.
    expect(run(none, 'posix_spawn', ['/bin/true'], { VIGIL_FAIL_MODE: 'closed' })).toEqual({ status: 99, stdout: 'refused errno=13' });
    expect(run(none, 'posix_spawn', ['/bin/true'])).toEqual({ status: 0, stdout: 'exit=0' });
    // A table written while no bundle is known carries the layer's fail mode.
    writeFileSync(join(none, 'rules'), table([], { state: 'none', failMode: 'closed' }));
    expect(run(none, 'posix_spawn', ['/bin/true'])).toEqual({ status: 99, stdout: 'refused errno=13' });
  });

  it('fails an allowed exec of a missing program with the error the kernel gives (ENOENT), as without the guard', () => {
    const dir = mkdtempSync(join(work, 'guard-'));
    writeFileSync(join(dir, 'rules'), table([['blockedExecutables', 'block', '/usr/bin/id']]));
    for (const call of ['execve', 'execv', 'execl', 'execle', 'execveat', 'execvp'])
      expect({ call, ...run(dir, call, [join(dir, 'missing')]) }).toEqual({ call, status: 99, stdout: 'refused errno=2' });
  });

  // execvp and execvpe search PATH themselves (no libc function is looked up for them): each case runs the
  // probe with the guard and without it, and both must end alike, glibc's own search being the reference.
  describe('execvp and execvpe: the PATH search, its /bin/sh fallback and its errors, as glibc has them', () => {
    const executable = 0o755;
    const readOnly = 0o644;
    type Setup = (root: string) => { path: string; file: string; args?: string[]; expected: { status: number | null; stdout: string } };
    const cases: Record<string, Setup> = {
      'a script without "#!" found in PATH runs through /bin/sh, with its arguments': (root) => {
        writeFileSync(join(root, 'a', 'tool'), 'echo "script ran: $0 $1 $2"\n', { mode: executable });
        return {
          path: `${join(root, 'a')}:${join(root, 'b')}`,
          file: 'tool',
          args: ['one', 'two'],
          expected: { status: 0, stdout: `script ran: ${join(root, 'a', 'tool')} one two` },
        };
      },
      'a script without "#!" named by its path runs through /bin/sh': (root) => {
        writeFileSync(join(root, 'a', 'tool'), 'echo "script ran: $0"\n', { mode: executable });
        return {
          path: '/usr/bin:/bin',
          file: join(root, 'a', 'tool'),
          expected: { status: 0, stdout: `script ran: ${join(root, 'a', 'tool')}` },
        };
      },
      'a file that may not be run, and none after it: EACCES': (root) => {
        writeFileSync(join(root, 'a', 'tool'), '#!/bin/sh\n', { mode: readOnly });
        return { path: `${join(root, 'a')}:${join(root, 'b')}`, file: 'tool', expected: { status: 99, stdout: 'refused errno=13' } };
      },
      'a file that may not be run, then a program: the program runs': (root) => {
        writeFileSync(join(root, 'a', 'tool'), '#!/bin/sh\n', { mode: readOnly });
        symlinkSync('/bin/true', join(root, 'b', 'tool'));
        return { path: `${join(root, 'a')}:${join(root, 'b')}`, file: 'tool', expected: { status: 0, stdout: '' } };
      },
      'nothing found: ENOENT': (root) => ({
        path: `${join(root, 'a')}:${join(root, 'b')}`,
        file: 'tool',
        expected: { status: 99, stdout: 'refused errno=2' },
      }),
      'a link loop ends the search with ELOOP, though a program comes after it': (root) => {
        symlinkSync('tool', join(root, 'a', 'tool'));
        symlinkSync('/bin/true', join(root, 'b', 'tool'));
        return { path: `${join(root, 'a')}:${join(root, 'b')}`, file: 'tool', expected: { status: 99, stdout: 'refused errno=40' } };
      },
      'an entry that is a file (ENOTDIR) is passed over': (root) => {
        writeFileSync(join(root, 'plain'), '');
        symlinkSync('/bin/true', join(root, 'b', 'tool'));
        return { path: `${join(root, 'plain')}:${join(root, 'b')}`, file: 'tool', expected: { status: 0, stdout: '' } };
      },
      'an empty name: ENOENT': () => ({ path: '/usr/bin:/bin', file: '', expected: { status: 99, stdout: 'refused errno=2' } }),
      'a name longer than NAME_MAX: ENAMETOOLONG': () => ({
        path: '/usr/bin:/bin',
        file: 'x'.repeat(300),
        expected: { status: 99, stdout: 'refused errno=36' },
      }),
    };

    it.each(Object.keys(cases))('%s', (name) => {
      const dir = mkdtempSync(join(work, 'guard-'));
      writeFileSync(join(dir, 'rules'), table([]));
      for (const call of ['execvp', 'execvpe']) {
        const root = mkdtempSync(join(work, 'search-'));
        mkdirSync(join(root, 'a'));
        mkdirSync(join(root, 'b'));
        const { path, file, args = [], expected } = cases[name]!(root);
        const guarded = probeRun({ dir }, call, [file, ...args], { PATH: path });
        const glibc = probeRun(undefined, call, [file, ...args], { PATH: path });
        expect({ call, ...glibc }).toEqual({ call, ...expected });
        expect({ call, ...guarded }).toEqual({ call, ...expected });
      }
    });
  });

  it('judges execveat of a path relative to the working directory on the file it names from there', () => {
    const dir = mkdtempSync(join(work, 'guard-'));
    writeFileSync(join(dir, 'rules'), table([['blockedExecutables', 'block', '/usr/bin/id']]));
    symlinkSync('/usr/bin/id', join(dir, 'renamed'));
    symlinkSync('/bin/true', join(dir, 'other'));
    // Found only from the working directory: through a link to the blocked program.
    expect(run(dir, 'execveat', ['renamed'], {}, dir)).toEqual({ status: 99, stdout: 'refused errno=13' });
    expect(readFileSync(join(dir, 'events'), 'utf8').split('\t').slice(5, 7)).toEqual(['renamed', realpathSync('/usr/bin/id')]);
    expect(run(dir, 'execveat', ['other'], {}, dir).status).toBe(0);
  });

  it('follows the fail mode when the table is not whole: cut, another format or version, or entries pointing outside it', () => {
    const dir = mkdtempSync(join(work, 'guard-'));
    const whole = table([['blockedExecutables', 'detect', '/usr/bin/id']]);
    const patch = (at: number, value: number, bytes = 4) => {
      const copy = Uint8Array.from(whole);
      const view = new DataView(copy.buffer);
      if (bytes === 4) view.setUint32(at, value, true);
      else view.setUint16(at, value, true);
      return copy;
    };
    const broken: Record<string, Uint8Array> = {
      cut: whole.subarray(0, whole.length - 1),
      'the text format of version 1': new TextEncoder().encode('vigil-guard 1\nstate bundle\nend\n'.padEnd(64, '\n')),
      'another version': patch(4, 3),
      'a length that is not the file': patch(8, whole.length + 1),
      'more rules than it holds': patch(20, 1000),
      "a rule's patterns past the pattern count": patch(56 + 12, 2),
      'an unknown control': patch(56 + 4, 3, 2),
      "a pattern's bytes past the end": patch(56 + 16, whole.length - 3),
      "a pattern's bytes inside the entries": patch(56 + 16, 0),
    };
    for (const [what, bytes] of Object.entries(broken)) {
      writeFileSync(join(dir, 'rules'), bytes);
      expect(run(dir, 'posix_spawn', ['/bin/true'], { VIGIL_FAIL_MODE: 'closed' }), what).toEqual({
        status: 99,
        stdout: 'refused errno=13',
      });
      expect(run(dir, 'posix_spawn', ['/bin/true']), what).toEqual({ status: 0, stdout: 'exit=0' });
    }
    // The same table whole: the rule decides (it detects /usr/bin/id only), whatever the fail mode.
    writeFileSync(join(dir, 'rules'), whole);
    expect(run(dir, 'posix_spawn', ['/bin/true'], { VIGIL_FAIL_MODE: 'closed' })).toEqual({ status: 0, stdout: 'exit=0' });
  });

  it('tells the process it is loaded into so, with that process id', () => {
    const dir = mkdtempSync(join(work, 'guard-'));
    writeFileSync(join(dir, 'rules'), table([]));
    // A value too short for the pid (a parent without the guard passed it on): set anew.
    const { stdout } = run(dir, 'loaded', ['-'], { VIGIL_GUARD_LOADED: '1' });
    const [, loaded, pid] = /^loaded=(\d+) pid=(\d+)$/.exec(stdout) ?? [];
    expect(loaded).toBeDefined();
    expect(loaded).toBe(pid);
  });

  if (target === 'x86_64') {
    // The started program must be of this machine's architecture to report what its environment holds.
    it('carries itself into the shell of system and popen, which is then refused the blocked program', () => {
      const dir = mkdtempSync(join(work, 'guard-'));
      writeFileSync(join(dir, 'rules'), table([['blockedExecutables', 'block', '/usr/bin/id']]));
      expect(run(dir, 'system', ['/usr/bin/id -u'])).toEqual({ status: 0, stdout: 'exit=126' });
      expect(run(dir, 'popen', ['/usr/bin/id -u'])).toEqual({ status: 0, stdout: 'exit=126' });
      expect(readFileSync(join(dir, 'events'), 'utf8').trim().split('\n')).toHaveLength(2);
    });

    it("tells a started program it is loaded there too: its own process id, not its parent's", () => {
      const dir = mkdtempSync(join(work, 'guard-'));
      writeFileSync(join(dir, 'rules'), table([]));
      const { probe } = built.get(target)!;
      const { stdout } = run(dir, 'execve', [probe, 'loaded', '-'], { VIGIL_GUARD_LOADED: '1' });
      const [, loaded, pid] = /^loaded=(\d+) pid=(\d+)$/.exec(stdout) ?? [];
      expect(loaded).toBe(pid);
      expect(loaded).not.toBe('1');
    });

    it('matches the path after realpath: a pattern with "/" through a linked directory, a name through a linked file', () => {
      // Debian (like Amazon Linux 2023) merges /usr: /bin is a link to usr/bin.
      expect(realpathSync('/bin/id')).toBe('/usr/bin/id');
      const dir = mkdtempSync(join(work, 'guard-'));
      writeFileSync(join(dir, 'rules'), table([['blockedExecutables', 'block', '/usr/bin/id']]));
      expect(run(dir, 'execve', ['/bin/id'])).toEqual({ status: 99, stdout: 'refused errno=13' });
      expect(readFileSync(join(dir, 'events'), 'utf8').split('\t').slice(5, 7)).toEqual(['/bin/id', '/usr/bin/id']);

      const named = mkdtempSync(join(work, 'guard-'));
      writeFileSync(join(named, 'rules'), table([['blockedExecutables', 'block', 'id']]));
      symlinkSync('/usr/bin/id', join(named, 'innocent'));
      symlinkSync('/bin/true', join(named, 'harmless'));
      expect(run(named, 'execve', [join(named, 'innocent')])).toEqual({ status: 99, stdout: 'refused errno=13' });
      expect(readFileSync(join(named, 'events'), 'utf8').split('\t').slice(5, 7)).toEqual([join(named, 'innocent'), '/usr/bin/id']);
      expect(run(named, 'execve', [join(named, 'harmless')]).status).toBe(0);
    });

    it('puts itself back into the environment of a program started with an empty one', () => {
      const dir = mkdtempSync(join(work, 'guard-'));
      writeFileSync(join(dir, 'rules'), table([]));
      const { library, probe } = built.get(target)!;
      expect(run(dir, 'execve-empty-env', [probe, 'env', '-'], { VIGIL_FAIL_MODE: 'closed' }).stdout.split('\n')).toEqual([
        `LD_PRELOAD=${library}`,
        `VIGIL_GUARD_DIR=${dir}`,
        'VIGIL_FAIL_MODE=closed',
      ]);
    });
  }
});

// libc's functions are found through its GNU hash table; a libc linked with only the older SysV table must
// work too. The machine's x86_64 libc has both, so a build told to pass over the GNU table takes the other path.
describe('the exec guard library on a libc without a GNU hash table', () => {
  it("still calls on libc's posix_spawn, posix_spawnp, system and popen", () => {
    const libc = spawnSync('gcc', ['-print-file-name=libc.so.6'], { encoding: 'utf8' }).stdout.trim();
    expect(spawnSync('readelf', ['-d', '-W', realpathSync(libc)], { encoding: 'utf8' }).stdout).toMatch(/\(HASH\)/);
    const library = join(work, 'sysv-only', 'vigil-guard.so');
    mkdirSync(join(work, 'sysv-only'));
    const compiled = spawnSync(guardCompiler('x86_64'), guardCompilerArgs(library, ['-DVIGIL_GUARD_SYSV_HASH_ONLY']), { encoding: 'utf8' });
    expect(compiled.status, compiled.stderr).toBe(0);
    const dir = mkdtempSync(join(work, 'guard-'));
    const rules = encodeGuardTable({ generation: 1, revision: 1, startedAtMs: Date.now(), failMode: 'open', state: 'bundle', rules: [] })!;
    writeFileSync(join(dir, 'rules'), rules);
    const run = (call: string, program: string) =>
      spawnSync(built.get('x86_64')!.probe, [call, program], {
        encoding: 'utf8',
        env: { PATH: '/usr/bin:/bin', LD_PRELOAD: library, VIGIL_GUARD_DIR: dir },
      });
    for (const call of ['posix_spawn', 'posix_spawnp']) expect(run(call, '/bin/true').status, call).toBe(0);
    for (const call of ['system', 'popen']) expect(run(call, 'exit 3').stdout.trim(), call).toBe('exit=3');
  });
});
