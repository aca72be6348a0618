import { Logger } from '@aws-lambda-powertools/logger';
import type { HttpHandler } from '../../functions/shared/http/types.js';
import { createDynamoClients } from '../../functions/shared/storage/client.js';
import { ensureTables } from '../../functions/shared/storage/tables.js';
import { httpEvent, lambdaContext } from './events.js';

// What the tests of a webhook whose DynamoDB fails (stalls or stops) share: their own tables, a quiet logger,
// and the admin API called in-process to set up clusters, groups and policies before storage breaks.

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
