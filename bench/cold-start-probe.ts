/**
 * The admission function's entry point (functions/admission/index.ts) with performance marks at each step of
 * a cold start, for the admission suite's breakdown. It is bundled like the function and run by the same
 * fresh-process runner, which reads the marks after the verdict; the function itself carries none.
 *
 * Marks (ms since process start): `imported` (every module of the bundle evaluated), `runtime` (clients,
 * stores and logger built), `invoked`, `<port>:start` / `<port>:end` around each storage port the webhook
 * calls, and `<SDK command>:end` after each DynamoDB call.
 */
import { createAdmissionHandler } from '../functions/admission/app.js';
import { createWebhookRuntime } from '../functions/admission/runtime.js';
import type { HttpHandler } from '../functions/shared/http/types.js';
import { runtimeConfigFromEnv } from '../functions/shared/runtime-config.js';
import { createDynamoClients } from '../functions/shared/storage/client.js';

// Imports are evaluated before the module body: this is the first line that runs after them.
performance.mark('imported');

const config = runtimeConfigFromEnv();
const clients = createDynamoClients({ endpoint: config.dynamodbEndpoint, region: config.region });
clients.client.middlewareStack.add(
  (next, context) => async (args) => {
    try {
      return await next(args);
    } finally {
      performance.mark(`${context.commandName ?? 'unknown'}:end`);
    }
  },
  { step: 'initialize', priority: 'high', name: 'coldStartMarks' },
);
const runtime = createWebhookRuntime(config, { clients });

/** Marks the start and end of every call of `object[method]`. */
function markCalls<T extends object>(object: T, method: keyof T & string, label: string): void {
  const original = (object[method] as (...args: unknown[]) => Promise<unknown>).bind(object);
  Object.assign(object, {
    [method]: async (...args: unknown[]) => {
      performance.mark(`${label}:start`);
      try {
        return await original(...args);
      } finally {
        performance.mark(`${label}:end`);
      }
    },
  });
}
markCalls(runtime.configStore, 'revision', 'revision');
markCalls(runtime.configStore, 'loadSnapshot', 'items');
markCalls(runtime.decisionSnapshots, 'load', 'snapshot');
markCalls(runtime.decisionSnapshots, 'loadCurrent', 'current');
markCalls(runtime.podDirectory, 'lookup', 'pod');
markCalls(runtime.auditStore, 'putGenerated', 'audit');
performance.mark('runtime');

const admission = createAdmissionHandler(runtime);

export const handler: HttpHandler = (event, context) => {
  performance.mark('invoked');
  return admission(event, context);
};
