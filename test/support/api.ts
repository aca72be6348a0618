import { afterAll, beforeAll } from 'vitest';
import { createApiHandler } from '../../functions/api/app.js';
import { bootstrap } from '../../functions/shared/bootstrap.js';
import { createRuntime, type Runtime } from '../../functions/shared/runtime.js';
import { createLocalServer, type LocalServer } from '../../infra/local/http-adapter.js';
import { useTables, type TestTables } from './use-tables.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface ApiCallOptions {
  readonly body?: unknown;
  /** Sent as is, instead of JSON-encoding `body`. */
  readonly rawBody?: string;
  /** `null` sends no Authorization header; default is the admin token. */
  readonly token?: string | null;
  readonly headers?: Record<string, string>;
}

export interface ApiResponse<T = any> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

export interface TestApi {
  readonly tables: TestTables;
  readonly runtime: Runtime;
  readonly url: string;
  call<T = any>(method: string, path: string, options?: ApiCallOptions): Promise<ApiResponse<T>>;
}

/**
 * The admin API served by the local HTTP adapter on a free port, on fresh DynamoDB Local tables,
 * bootstrapped as on a first start. Requests go over real HTTP, as a user's would.
 */
export function useApi(
  overrides: Partial<Omit<Runtime, 'config' | 'configStore' | 'auditStore'>> = {},
  serverOptions: { readonly timeoutMs?: number } = {},
): TestApi {
  const tables = useTables();
  let server: LocalServer | undefined;
  let runtime: Runtime | undefined;
  beforeAll(async () => {
    server = await createLocalServer({ host: '127.0.0.1', port: 0, ...serverOptions });
    runtime = createRuntime(
      { mode: 'local', tablePrefix: tables.prefix, dynamodbEndpoint: tables.endpoint, adminToken: ADMIN_TOKEN, publicBaseUrl: server.url },
      { configStore: tables.configStore, auditStore: tables.auditStore, ...overrides },
    );
    await bootstrap(runtime);
    server.setHandlers({ api: createApiHandler(runtime) });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });
  return {
    tables,
    get runtime() {
      if (!runtime) throw new Error('useApi(): only inside tests and hooks');
      return runtime;
    },
    get url() {
      if (!server) throw new Error('useApi(): only inside tests and hooks');
      return server.url;
    },
    async call(method, path, options = {}) {
      if (!server) throw new Error('useApi(): only inside tests and hooks');
      const headers: Record<string, string> = { ...options.headers };
      if (options.token !== null) headers.authorization ??= `Bearer ${options.token ?? ADMIN_TOKEN}`;
      let body: string | undefined = options.rawBody;
      if (body === undefined && options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${server.url}${path}`, { method, headers, body });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        // Left as text: the test decides whether that is acceptable.
      }
      return { status: response.status, headers: response.headers, body: parsed as any };
    },
  };
}
