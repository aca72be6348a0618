import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  checkJava,
  DYNAMODB_LOCAL_CREDENTIALS,
  dynamoDbDataPath,
  startDynamoDbLocal,
  type DynamoDbLocal,
} from '../../../infra/local/dynamodb-local.js';
import { LocalModeError } from '../../../infra/local/errors.js';

// Starting a JVM takes seconds on a busy machine.
const START_TIMEOUT = 90_000;

function clientFor(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: DYNAMODB_LOCAL_CREDENTIALS, maxAttempts: 1 });
}

async function tableNames(endpoint: string): Promise<string[]> {
  const client = clientFor(endpoint);
  try {
    return (await client.send(new ListTablesCommand({}))).TableNames ?? [];
  } finally {
    client.destroy();
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `condition` until it holds or `timeoutMs` passed; says which. */
async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return condition();
}

/** Runs `body` with PATH replaced, so that `java` resolves (or not) to what the test chose. */
async function withPath<T>(path: string, body: () => Promise<T>): Promise<T> {
  const original = process.env.PATH;
  process.env.PATH = path;
  try {
    return await body();
  } finally {
    process.env.PATH = original;
  }
}

describe('startDynamoDbLocal', () => {
  let dataDir: string;
  const started: DynamoDbLocal[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'vigil-ddb-'));
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((d) => d.stop()));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it(
    'starts on a free port, answers ListTables and keeps tables across a stop and a start on the same data dir',
    async () => {
      const first = await startDynamoDbLocal({ dataDir });
      started.push(first);
      expect(first.endpoint).toBe(`http://127.0.0.1:${first.port}`);
      expect(await tableNames(first.endpoint)).toEqual([]);

      const client = clientFor(first.endpoint);
      try {
        await client.send(
          new CreateTableCommand({
            TableName: 'vigil-persistence-check',
            AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
            KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
            BillingMode: 'PAY_PER_REQUEST',
          }),
        );
      } finally {
        client.destroy();
      }
      await first.stop();
      // Stopped means gone: nothing answers on its port any more.
      await expect(tableNames(first.endpoint)).rejects.toThrow();

      const second = await startDynamoDbLocal({ dataDir });
      started.push(second);
      expect(await tableNames(second.endpoint)).toEqual(['vigil-persistence-check']);
    },
    START_TIMEOUT * 2,
  );

  it(
    'refuses an explicit port that something else listens on',
    async () => {
      const blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, resolve));
      const port = (blocker.address() as { port: number }).port;
      try {
        await expect(startDynamoDbLocal({ dataDir, port })).rejects.toThrow(`port ${port} is already in use`);
      } finally {
        await new Promise<void>((resolve) => blocker.close(() => resolve()));
      }
    },
    START_TIMEOUT,
  );

  it(
    'refuses a second start on a data directory whose DynamoDB Local still runs, and starts again once it stopped',
    async () => {
      const first = await startDynamoDbLocal({ dataDir });
      started.push(first);
      const second = startDynamoDbLocal({ dataDir });
      await expect(second).rejects.toThrow(LocalModeError);
      await expect(second).rejects.toThrow(`still runs on ${dynamoDbDataPath(dataDir)}`);
      // The refused start left the first one alone.
      expect(await tableNames(first.endpoint)).toBeInstanceOf(Array);
      await first.stop();
      const third = await startDynamoDbLocal({ dataDir });
      started.push(third);
      expect(await tableNames(third.endpoint)).toBeInstanceOf(Array);
    },
    START_TIMEOUT * 2,
  );

  it(
    'stops DynamoDB Local when the process that started it is killed with SIGKILL (no exit handler runs)',
    async () => {
      const ownDir = await mkdtemp(join(tmpdir(), 'vigil-ddb-orphan-'));
      const parent = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/local/start-dynamodb-local.ts', ownDir], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      try {
        const [line] = (await once(parent.stdout, 'data')) as [Buffer];
        const { endpoint } = JSON.parse(line.toString()) as { endpoint: string };
        const lock = JSON.parse(await readFile(join(dynamoDbDataPath(ownDir), 'dynamodb-local.lock'), 'utf8')) as { pid: number };
        expect(await tableNames(endpoint)).toEqual([]);
        parent.kill('SIGKILL');
        // The watchdog polls twice a second; give a busy machine plenty of time before calling it a leak.
        const gone = await waitUntil(() => !isRunning(lock.pid), 30_000);
        expect(gone, `DynamoDB Local (pid ${lock.pid}) outlived the process that started it`).toBe(true);
        await expect(tableNames(endpoint)).rejects.toThrow();
        // Its lock went with it: the next start on the same data directory is not refused.
        const next = await startDynamoDbLocal({ dataDir: ownDir });
        started.push(next);
        expect(await tableNames(next.endpoint)).toEqual([]);
      } finally {
        parent.kill('SIGKILL');
      }
    },
    START_TIMEOUT * 2,
  );

  describe('without a usable Java', () => {
    let binDir: string;
    beforeAll(async () => {
      binDir = await mkdtemp(join(tmpdir(), 'vigil-bin-'));
    });
    afterAll(async () => {
      await rm(binDir, { recursive: true, force: true });
    });

    /** Puts a fake `java` first on PATH: it reports `version` and, when run for real, prints and fails. */
    async function fakeJava(version: string, failure: string): Promise<string> {
      const dir = await mkdtemp(join(binDir, 'java-'));
      const script = join(dir, 'java');
      await writeFile(
        script,
        [
          '#!/bin/sh',
          'if [ "$1" = "-version" ]; then',
          `  echo 'openjdk version "${version}" 2024-01-16' >&2`,
          '  exit 0',
          'fi',
          `echo '${failure}' >&2`,
          'exit 3',
          '',
        ].join('\n'),
      );
      await chmod(script, 0o755);
      return `${dir}${delimiter}${process.env.PATH ?? ''}`;
    }

    it('throws a LocalModeError saying what to install when java is not on PATH', async () => {
      const attempt = withPath(binDir, () => startDynamoDbLocal({ dataDir }));
      await expect(attempt).rejects.toBeInstanceOf(LocalModeError);
      await expect(attempt).rejects.toThrow(/Java 17 or newer is needed for DynamoDB Local.*install a JRE.*VIGIL_DYNAMODB_ENDPOINT/);
    });

    it('throws a LocalModeError when java is older than 17', async () => {
      const path = await fakeJava('11.0.22', 'unused');
      await expect(withPath(path, () => checkJava())).rejects.toThrow(
        /Java 17 or newer is needed for DynamoDB Local, but `java` is Java 11/,
      );
    });

    it('names an unknown java command', async () => {
      await expect(checkJava('vigil-no-such-java')).rejects.toThrow(/`vigil-no-such-java` was not found/);
    });

    it(
      'surfaces an early exit of DynamoDB Local with the tail of its output',
      async () => {
        const path = await fakeJava('17.0.10', 'Error: Unable to access jarfile DynamoDBLocal.jar');
        const attempt = withPath(path, () => startDynamoDbLocal({ dataDir }));
        await expect(attempt).rejects.toBeInstanceOf(LocalModeError);
        await expect(attempt).rejects.toThrow(
          /DynamoDB Local exited with status 3 while starting; its last output:\nError: Unable to access jarfile DynamoDBLocal\.jar/,
        );
      },
      START_TIMEOUT,
    );
  });
});
