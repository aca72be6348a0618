import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createApiHandler } from '../../functions/api/app.js';
import { bootstrap } from '../../functions/shared/bootstrap.js';
import type { HttpHandler } from '../../functions/shared/http/types.js';
import { createRuntime, type Runtime } from '../../functions/shared/runtime.js';
import type { RuntimeConfig } from '../../functions/shared/runtime-config.js';
import { createDynamoClients } from '../../functions/shared/storage/client.js';
import { ensureTables } from '../../functions/shared/storage/tables.js';
import { httpEvent, lambdaContext } from './events.js';
import { readAdmissionReview } from './fixtures.js';

// What the tests of a webhook whose DynamoDB fails, stalls or starts cold share: their own tables, a quiet
// logger, the admin API called in-process to set up clusters, groups and policies before storage breaks, and
// the reviews they send.

export const silentLogger = (): Logger => new Logger({ serviceName: 'vigil-test', logLevel: 'SILENT' });

/** Creates the tables with this prefix on the DynamoDB at `endpoint`, then lets its client go. */
export async function createTablesAt(endpoint: string, prefix: string): Promise<void> {
  const clients = createDynamoClients({ endpoint });
  try {
    await ensureTables(clients.client, prefix);
  } finally {
    clients.client.destroy();
  }
}

export type AdminCall = (
  method: string,
  path: string,
  route: string,
  body?: unknown,
  pathParameters?: Record<string, string>,
) => Promise<Record<string, any>>;

/** Calls the API handler with the admin token; answers the parsed body, and throws on any status of 300 or more. */
export function adminCaller(api: HttpHandler, adminToken: string): AdminCall {
  return async (method, path, route, body, pathParameters) => {
    const result = await api(
      httpEvent({
        method,
        routeKey: `${method} ${route}`,
        path,
        body: body === undefined ? undefined : JSON.stringify(body),
        pathParameters,
        headers: { authorization: `Bearer ${adminToken}` },
      }),
      lambdaContext('vigil-api'),
    );
    if ((result.statusCode ?? 500) >= 300) throw new Error(`${method} ${path} answered ${result.statusCode}: ${result.body}`);
    return result.body ? (JSON.parse(result.body) as Record<string, any>) : {};
  };
}

/** Sets the built-in enforcer group `default-ke` to enforce, keeping the rest of it. */
export async function enforceDefaultGroup(call: AdminCall): Promise<void> {
  const group = await call('GET', '/v1/enforcer-groups/default-ke', '/v1/enforcer-groups/{name}', undefined, { name: 'default-ke' });
  await call('PUT', '/v1/enforcer-groups/default-ke', '/v1/enforcer-groups/{name}', { ...group, enforce: true }, { name: 'default-ke' });
}

/** Saves policy `exec-guard`: enforcing, everywhere (the Global scope), blocking container exec. */
export async function saveExecGuard(call: AdminCall): Promise<void> {
  await call('POST', '/v1/policies', '/v1/policies', {
    name: 'exec-guard',
    type: 'container',
    enforcementMode: 'enforce',
    scope: { applicationScopes: ['Global'] },
    controls: { blockContainerExec: { enabled: true } },
  });
}

/** A fixture AdmissionReview with a new uid, its request changed by `patch`, as the JSON the API server sends. */
export function reviewBody(file: string, patch: (request: any) => void = () => undefined): string {
  const body = readAdmissionReview(file);
  body.request.uid = crypto.randomUUID();
  patch(body.request);
  return JSON.stringify(body);
}

/** `kubectl exec … -- sh` into the fixture's pod: the exec-guard policy blocks it. */
export const execShReview = (): string => reviewBody('bodies/exec-v1-echo-hello-custodian.json', (r) => (r.object.command = ['sh']));

/** The CREATE of pod `name`: allowed, and learned by the webhook. */
export const createPodReview = (name: string): string =>
  reviewBody('bodies/pod-create-v1-static-web-custodian.json', (r) => {
    r.name = name;
    r.object.metadata.name = name;
  });

/** The event API Gateway sends the webhook for one review of cluster `cluster`. */
export function webhookEvent(body: string, cluster: string, secret: string, query?: Record<string, string>): APIGatewayProxyEventV2 {
  return httpEvent({
    method: 'POST',
    routeKey: 'POST /v1/admission/{cluster}/{secret}',
    path: `/v1/admission/${cluster}/${secret}`,
    pathParameters: { cluster, secret },
    ...(query ? { query } : {}),
    body,
  });
}

/** What an exec-guard installation is: the runtime's settings, a runtime on them, and cluster "prod"'s webhook secret. */
export interface ExecGuardInstallation {
  readonly config: RuntimeConfig;
  readonly runtime: Runtime;
  readonly secret: string;
}

/**
 * Fresh tables (prefix `prefix`) on the DynamoDB Local at `tablesEndpoint`, bootstrapped, with cluster "prod"
 * registered, an enforcing policy that blocks container exec everywhere, and the group default-ke enforcing.
 * The runtime reaches DynamoDB at `runtimeEndpoint` (a relay that can stall, say), by default the same one.
 */
export async function installExecGuard(options: {
  readonly tablesEndpoint: string;
  readonly runtimeEndpoint?: string;
  readonly prefix: string;
  readonly adminToken: string;
  readonly configRecheckMs?: number;
}): Promise<ExecGuardInstallation> {
  await createTablesAt(options.tablesEndpoint, options.prefix);
  const config: RuntimeConfig = {
    mode: 'local',
    tablePrefix: options.prefix,
    dynamodbEndpoint: options.runtimeEndpoint ?? options.tablesEndpoint,
    adminToken: options.adminToken,
    publicBaseUrl: 'https://vigil.example',
    ...(options.configRecheckMs !== undefined ? { configRecheckMs: options.configRecheckMs } : {}),
  };
  const runtime = createRuntime(config, { logger: silentLogger() });
  await bootstrap(runtime);
  const call = adminCaller(createApiHandler(runtime), options.adminToken);
  const registered = await call('POST', '/v1/clusters', '/v1/clusters', { name: 'prod' });
  const secret = (registered.webhookUrl as string).split('/').pop()!;
  await saveExecGuard(call);
  await enforceDefaultGroup(call);
  return { config, runtime, secret };
}
