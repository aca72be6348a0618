import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

// Runs the real `vigil` launcher (package.json "bin") as a child process, the way users and CI do. Always
// asynchronous: local mode serves from the test's own process, so a blocking spawn would deadlock.

/**
 * Per test: each run starts Node, the TypeScript loader and the CLI (about a second on an idle machine, several on a
 * busy CI runner), and some tests run the CLI many times.
 */
export const SPAWN_TIMEOUT = 120_000;

export const repoRoot = join(import.meta.dirname, '..', '..', '..');
const launcher = join(repoRoot, 'cli', 'bin.mjs');

export interface VigilResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment of a run: the test's, without any Vigil or AWS target settings of the machine, plus `env`. */
function environment(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VIGIL_') && !key.startsWith('AWS_')));
  return { ...base, NO_COLOR: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env };
}

export interface RunningVigil {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout contains the text (or matches), rejects after the timeout. */
  waitForOutput(expected: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves when the process has exited. */
  exited: Promise<VigilResult>;
}

export function startVigil(
  args: readonly string[],
  options: { env?: Record<string, string | undefined>; input?: string; cwd?: string } = {},
): RunningVigil {
  const child = spawn(process.execPath, [launcher, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: environment(options.env ?? {}),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const listener of listeners) listener();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(options.input ?? '');
  const exited = new Promise<VigilResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  const matches = (expected: string | RegExp) => (typeof expected === 'string' ? stdout.includes(expected) : expected.test(stdout));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForOutput: (expected, timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        if (matches(expected)) return resolve();
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(
              `vigil ${args.join(' ')} did not print ${String(expected)} within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`,
            ),
          );
        }, timeoutMs);
        const check = () => {
          if (!matches(expected)) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
        void exited.then(() => {
          if (listeners.has(check)) {
            clearTimeout(timer);
            listeners.delete(check);
            if (matches(expected)) resolve();
            else
              reject(
                new Error(`vigil ${args.join(' ')} exited before printing ${String(expected)}\nstdout:\n${stdout}\nstderr:\n${stderr}`),
              );
          }
        });
      }),
  };
}

/** Runs `vigil …` to completion. */
export function runVigil(
  args: readonly string[],
  options: { env?: Record<string, string | undefined>; input?: string; cwd?: string } = {},
): Promise<VigilResult> {
  return startVigil(args, options).exited;
}

/** A `vigil` bound to one local mode: VIGIL_ENDPOINT and VIGIL_TOKEN set as a CI job would set them. */
export function vigilFor(target: { readonly url: string; readonly adminToken: string }) {
  const env = () => ({ VIGIL_ENDPOINT: target.url, VIGIL_TOKEN: target.adminToken });
  return {
    run: (args: readonly string[], options: { input?: string; env?: Record<string, string | undefined> } = {}) =>
      runVigil(args, { ...options, env: { ...env(), ...options.env } }),
    start: (args: readonly string[]) => startVigil(args, { env: env() }),
  };
}
