import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll } from 'vitest';
import { createApiHandler } from '../../../functions/api/app.js';
import { createEnforcerHandler } from '../../../functions/enforcer/app.js';
import { bootstrap } from '../../../functions/shared/bootstrap.js';
import { createRuntime, type Runtime } from '../../../functions/shared/runtime.js';
import { createLocalServer, type LocalServer } from '../../../infra/local/http-adapter.js';
import { ADMIN_TOKEN, type ApiResponse } from '../../support/api.js';
import { useTables, type TestTables } from '../../support/use-tables.js';

export interface CallOptions {
  readonly body?: unknown;
  /** `null` sends no Authorization header; default is the admin token. */
  readonly token?: string | null;
  readonly enforcerId?: string;
  readonly headers?: Record<string, string>;
}

export interface EnforcerTestApi {
  readonly tables: TestTables;
  readonly runtime: Runtime;
  /** The server's base URL, for requests the helpers cannot make. */
  readonly url: string;
  call<T = any>(method: string, path: string, options?: CallOptions): Promise<ApiResponse<T>>;
  /** Creates an enforcer group through the admin API and returns its token. */
  createGroup(name: string, type: string, extra?: Record<string, unknown>): Promise<string>;
  /** Registers an enforcer with a group token and returns its id. */
  register(token: string, name: string, type: string): Promise<string>;
}

/**
 * The admin API and the enforcer API behind the local HTTP adapter on fresh DynamoDB Local tables, with
 * the configuration re-checked on every request (so that changes show at once) and an injectable clock.
 */
export function useEnforcerApi(options: { clock?: () => Date } = {}): EnforcerTestApi {
  const tables = useTables();
  let server: LocalServer | undefined;
  let runtime: Runtime | undefined;
  beforeAll(async () => {
    server = await createLocalServer({ host: '127.0.0.1', port: 0, timeoutMs: 120_000 });
    runtime = createRuntime(
      {
        mode: 'local',
        tablePrefix: tables.prefix,
        dynamodbEndpoint: tables.endpoint,
        adminToken: ADMIN_TOKEN,
        publicBaseUrl: server.url,
        configRecheckMs: 0,
      },
      {
        configStore: tables.configStore,
        auditStore: tables.auditStore,
        logger: new Logger({ serviceName: 'vigil', logLevel: 'SILENT' }),
        ...(options.clock ? { clock: options.clock } : {}),
      },
    );
    await bootstrap(runtime);
    server.setHandlers({ api: createApiHandler(runtime), enforcer: createEnforcerHandler(runtime) });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  const call = async (method: string, path: string, callOptions: CallOptions = {}): Promise<ApiResponse> => {
    if (!server) throw new Error('useEnforcerApi(): only inside tests and hooks');
    const headers: Record<string, string> = { ...callOptions.headers };
    if (callOptions.token !== null) headers.authorization ??= `Bearer ${callOptions.token ?? ADMIN_TOKEN}`;
    if (callOptions.enforcerId !== undefined) headers['x-enforcer-id'] = callOptions.enforcerId;
    let body: string | undefined;
    if (callOptions.body !== undefined) {
      body = JSON.stringify(callOptions.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${server.url}${path}`, { method, headers, body });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };

  return {
    tables,
    get url() {
      if (!server) throw new Error('useEnforcerApi(): only inside tests and hooks');
      return server.url;
    },
    get runtime() {
      if (!runtime) throw new Error('useEnforcerApi(): only inside tests and hooks');
      return runtime;
    },
    call,
    async createGroup(name, type, extra = {}) {
      const created = await call('POST', '/v1/enforcer-groups', { body: { name, type, ...extra } });
      if (created.status !== 201) throw new Error(`creating group ${name}: ${created.status} ${JSON.stringify(created.body)}`);
      return (created.body as { token: string }).token;
    },
    async register(token, name, type) {
      const registered = await call('POST', '/v1/enforcers/register', { token, body: { name, type } });
      if (registered.status !== 200) throw new Error(`registering ${name}: ${registered.status} ${JSON.stringify(registered.body)}`);
      return (registered.body as { enforcerId: string }).enforcerId;
    },
  };
}

/** A valid event as an enforcer would send it, with a client-made id. */
export function clientEvent(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    time: new Date().toISOString(),
    status: 'Detect',
    policy: 'fn-guard',
    policyType: 'function',
    policyVersion: 1,
    control: 'blockAllProcesses',
    controlName: 'Block All Child Processes',
    enforcementMode: 'audit',
    action: 'process',
    message: 'child process "sh" is not allowed',
    workload: { cluster: null, namespace: null, pod: null, container: null, image: null, function: 'orders-handler', host: null },
    user: null,
    command: ['sh', '-c', 'id'],
    enforcer: { group: 'forged', type: 'kube_enforcer', id: 'forged-id' },
    ...overrides,
  };
}
