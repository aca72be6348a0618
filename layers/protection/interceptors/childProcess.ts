import type { ChildProcess } from 'node:child_process';
import childProcess from 'node:child_process';
import { EventEmitter } from 'node:events';
import { syncBuiltinESMExports } from 'node:module';
import { promisify } from 'node:util';

/** A child-process call as the guard sees it. */
export interface ProcessRequest {
  readonly file: string;
  readonly args: readonly string[];
  /** Started through a shell (`shell` option, exec, execSync): the file is a command string. */
  readonly shell: boolean;
  readonly cwd: string | undefined;
  /** The PATH a bare name is looked up in; read only for a bare name (reading process.env costs a call into the runtime). */
  readonly path: string | undefined;
}

/** The verdict on a call; `message` names the policy and control when it is refused. */
export type GuardVerdict = { readonly allowed: true } | { readonly allowed: false; readonly message: string };

/** What the interceptors ask: a synchronous verdict, and a way to run the original without side reports. */
export interface ProcessGuard {
  /** False when no call can be refused or reported now: calls then go through without their arguments being read. */
  watching(): boolean;
  checkProcess(request: ProcessRequest): GuardVerdict;
  quietly<T>(run: () => T): T;
}

type Options =
  | { shell?: unknown; cwd?: unknown; env?: Record<string, string | undefined> | undefined; execPath?: unknown; execArgv?: unknown }
  | undefined;
type AnyFunction = (...args: unknown[]) => unknown;

const PATCHED = Symbol.for('vigil.protection.childProcess');

/**
 * A call as the guard sees it. A class, not an object literal with a getter: a literal with an accessor gets
 * a hidden class of its own each time it is made, which V8 keeps (old space grew by ~1.4 MiB over 2,000 spawns).
 */
class ChildProcessCall implements ProcessRequest {
  readonly cwd: string | undefined;

  constructor(
    readonly file: string,
    readonly args: readonly string[],
    readonly shell: boolean,
    private readonly options: Options,
  ) {
    this.cwd = cwdOf(options);
  }

  get path(): string | undefined {
    return this.options?.env?.PATH ?? process.env.PATH;
  }
}

/** The error a refused call fails with: EACCES, as the kernel reports an unexecutable file. */
export function refusedError(syscall: string, file: string, args: readonly string[], message: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException & { spawnargs?: string[] } = new Error(`${syscall} ${file} EACCES: ${message}`);
  error.code = 'EACCES';
  error.errno = -13;
  error.syscall = syscall;
  error.path = file;
  error.spawnargs = [...args];
  return error;
}

function cwdOf(options: Options): string | undefined {
  const cwd = options?.cwd;
  if (typeof cwd === 'string') return cwd;
  return cwd instanceof URL ? cwd.pathname : undefined;
}

/** No arguments: one array for every call without any (nothing writes to a request's arguments). */
const NO_ARGS: readonly string[] = Object.freeze([]);

/** The arguments and options of a call, read from `rawArgs[from]` on (the call's own arguments are not copied). */
function split(rawArgs: readonly unknown[], from: number): { args: readonly string[]; options: Options } {
  let index = from;
  let args = NO_ARGS;
  if (Array.isArray(rawArgs[index])) args = (rawArgs[index++] as unknown[]).map(String);
  else if (rawArgs[index] === undefined || rawArgs[index] === null) index++;
  const maybeOptions = rawArgs[index];
  const options = typeof maybeOptions === 'object' && maybeOptions !== null ? (maybeOptions as Options) : undefined;
  return { args, options };
}

/** The callback of an asynchronous call (looked for only when the call is refused). */
function callbackOf(rawArgs: readonly unknown[]): AnyFunction | undefined {
  return rawArgs.find((value): value is AnyFunction => typeof value === 'function');
}

/** A ChildProcess that never started, as `spawn` returns for a program that cannot run. */
function refusedChild(error: NodeJS.ErrnoException, callback: AnyFunction | undefined): ChildProcess {
  const child = Object.create(childProcess.ChildProcess.prototype) as ChildProcess;
  EventEmitter.call(child);
  Object.assign(child, {
    pid: undefined,
    stdin: null,
    stdout: null,
    stderr: null,
    stdio: [null, null, null],
    exitCode: null,
    signalCode: null,
    killed: false,
    connected: false,
  });
  child.kill = () => false;
  process.nextTick(() => {
    if (callback) callback(error, '', '');
    else child.emit('error', error);
    child.emit('close', -13, null);
  });
  return child;
}

/**
 * Patches every entry point of the child_process module object. CommonJS `require`, the ESM default
 * import and (after syncBuiltinESMExports) named ESM imports all read from this object; a reference
 * copied to a variable before the patch is not seen.
 */
export function interceptChildProcess(guard: ProcessGuard): void {
  const cp = childProcess as unknown as Record<string, AnyFunction> & { [PATCHED]?: boolean };
  if (cp[PATCHED]) return;
  cp[PATCHED] = true;

  const check = (file: string, args: readonly string[], shell: boolean, options: Options): GuardVerdict =>
    guard.checkProcess(new ChildProcessCall(file, args, shell, options));

  const wrap = (name: string, body: (original: AnyFunction, self: unknown, rawArgs: unknown[]) => unknown) => {
    const original = cp[name]!;
    const wrapped = function (this: unknown, ...rawArgs: unknown[]) {
      return body(original, this, rawArgs);
    };
    Object.defineProperty(wrapped, 'name', { value: original.name });
    cp[name] = wrapped;
    return { original, wrapped };
  };
  const run = (original: AnyFunction, self: unknown, rawArgs: unknown[]) => guard.quietly(() => original.apply(self, rawArgs));
  // Node's exec() starts the command through the module's execFile(command, {shell: true}): that inner call
  // is the one exec() already checked, and checking it again would report the command twice.
  let checkedByExec: string | undefined;

  for (const name of ['spawn', 'spawnSync', 'execFile', 'execFileSync']) {
    const { wrapped } = wrap(name, (original, self, rawArgs) => {
      if (!guard.watching()) return run(original, self, rawArgs);
      if (name === 'execFile' && checkedByExec !== undefined && rawArgs[0] === checkedByExec) {
        checkedByExec = undefined;
        return run(original, self, rawArgs);
      }
      const file = String(rawArgs[0]);
      const { args, options } = split(rawArgs, 1);
      const verdict = check(file, args, Boolean(options?.shell), options);
      if (verdict.allowed) return run(original, self, rawArgs);
      const sync = name.endsWith('Sync');
      const error = refusedError(sync ? `${name} ${file}` : 'spawn', file, args, verdict.message);
      if (name === 'spawnSync')
        return { pid: 0, output: [null, null, null], stdout: null, stderr: null, status: null, signal: null, error };
      if (sync) throw error;
      return refusedChild(error, callbackOf(rawArgs));
    });
    if (name === 'execFile') addPromisified(wrapped);
  }

  for (const name of ['exec', 'execSync']) {
    const { wrapped } = wrap(name, (original, self, rawArgs) => {
      if (!guard.watching()) return run(original, self, rawArgs);
      const command = String(rawArgs[0]);
      const options = typeof rawArgs[1] === 'object' && rawArgs[1] !== null ? (rawArgs[1] as Options) : undefined;
      const verdict = check(command, NO_ARGS, true, options);
      if (verdict.allowed && name === 'exec') {
        checkedByExec = command;
        try {
          return run(original, self, rawArgs);
        } finally {
          checkedByExec = undefined;
        }
      }
      if (verdict.allowed) return run(original, self, rawArgs);
      const error = refusedError(name === 'execSync' ? 'spawnSync /bin/sh' : 'spawn /bin/sh', command, [], verdict.message);
      if (name === 'execSync') throw error;
      return refusedChild(error, callbackOf(rawArgs));
    });
    if (name === 'exec') addPromisified(wrapped);
  }

  wrap('fork', (original, self, rawArgs) => {
    if (!guard.watching()) return run(original, self, rawArgs);
    const modulePath = String(rawArgs[0]);
    const { args, options } = split(rawArgs, 1);
    const execPath = typeof options?.execPath === 'string' ? options.execPath : process.execPath;
    const execArgv = Array.isArray(options?.execArgv) ? (options.execArgv as unknown[]).map(String) : process.execArgv;
    const fullArgs = [...execArgv, modulePath, ...args];
    const verdict = check(execPath, fullArgs, false, options);
    if (verdict.allowed) return run(original, self, rawArgs);
    return refusedChild(refusedError('spawn', execPath, fullArgs, verdict.message), undefined);
  });

  // Named ESM imports of node:child_process are bindings of a facade; this updates them to the patched functions.
  syncBuiltinESMExports();
}

/** exec/execFile promisify to `{stdout, stderr}` through a custom symbol that a plain wrapper loses. */
function addPromisified(wrapped: AnyFunction): void {
  Object.defineProperty(wrapped, promisify.custom, {
    configurable: true,
    value: (...args: unknown[]) =>
      new Promise((resolve, reject) => {
        wrapped(...args, (error: (Error & { stdout?: unknown; stderr?: unknown }) | null, stdout: unknown, stderr: unknown) => {
          if (error) {
            error.stdout = stdout;
            error.stderr = stderr;
            reject(error);
          } else resolve({ stdout, stderr });
        });
      }),
  });
}
