import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startLocalMode, type LocalMode } from '../../infra/local/start.js';
import { dynamodbEndpoint } from './use-tables.js';

export interface RunningLocalMode {
  readonly url: string;
  readonly adminToken: string;
  /** Calls the API with the admin token; JSON in, JSON out. */
  api<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: T; headers: Headers }>;
  /** POSTs a body to a full URL (the webhook), as the Kubernetes API server would. */
  post<T = any>(url: string, body: unknown): Promise<{ status: number; body: T }>;
  /** One local-scheduler pass now, by the scheduler's clock: how many due mode changes it delivered. */
  runDueModeChanges(): Promise<number>;
}

export interface LocalModeTestOptions {
  readonly configRecheckMs?: number;
  readonly schedulerPollMs?: number;
  /** The scheduler's clock; with it, the scheduler does not poll on a timer and fires only via `runDueModeChanges()`. */
  readonly schedulerClock?: () => Date;
}

/**
 * Local mode as `npm start` runs it, in this process on a free port, with its own data dir and its own
 * tables on the run's DynamoDB Local. Everything goes over real HTTP.
 */
export function useLocalMode(options: LocalModeTestOptions = {}): RunningLocalMode {
  let running: LocalMode | undefined;
  let dataDir: string | undefined;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'vigil-e2e-'));
    running = await startLocalMode({
      host: '127.0.0.1',
      port: 0,
      dataDir,
      adminToken: `e2e-admin-${randomBytes(8).toString('hex')}`,
      dynamodbEndpoint: await dynamodbEndpoint(),
      tablePrefix: `e${randomBytes(4).toString('hex')}-`,
      configRecheckMs: options.configRecheckMs,
      schedulerPollMs: options.schedulerPollMs,
      ...(options.schedulerClock ? { schedulerClock: options.schedulerClock, schedulerPolling: false } : {}),
    });
  }, 60_000);
  afterAll(async () => {
    await running?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });
  const live = () => {
    if (!running) throw new Error('useLocalMode(): only inside tests and hooks');
    return running;
  };
  const request = async (url: string, init: RequestInit) => {
    const response = await fetch(url, init);
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
  };
  return {
    get url() {
      return live().url;
    },
    get adminToken() {
      return live().adminToken;
    },
    api: (method, path, body, headers = {}) =>
      request(`${live().url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${live().adminToken}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    runDueModeChanges: () => live().runDueModeChanges(),
    post: (url, body) => request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  };
}

/** Retries an assertion until it passes or the time is up (configuration changes apply within a bound). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
