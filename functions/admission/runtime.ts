import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { lazyAuditFallback } from '../shared/lazy-adapters.js';
import type { RuntimeConfig } from '../shared/runtime-config.js';
import type { RuntimeOptions } from '../shared/runtime.js';
import { writeGeneratedAuditEvents } from '../shared/storage/audit-items.js';
import { createDynamoClients, type DynamoClients } from '../shared/storage/client.js';
import { DynamoConfigStore } from '../shared/storage/DynamoConfigStore.js';
import { sqsAuditFallback } from '../shared/storage/SqsAuditFallback.js';
import { DynamoDecisionSnapshots } from '../shared/storage/DynamoDecisionSnapshots.js';
import { CachedPodDirectory, DynamoPodDirectory } from '../shared/storage/DynamoPodDirectory.js';
import type { AuditFallback } from '../shared/storage/audit-fallback.js';
import type { AuditStore, ConfigStore, DecisionSnapshotStore, PodDirectory } from '../shared/storage/ports.js';

/** What the webhook uses of a runtime. The full Runtime (local mode, tests) provides it as well. */
export interface WebhookRuntime {
  readonly config: Pick<RuntimeConfig, 'configRecheckMs'>;
  readonly configStore: ConfigStore;
  readonly decisionSnapshots: DecisionSnapshotStore;
  readonly auditStore: Pick<AuditStore, 'putGenerated'>;
  /** Where audit events go that the table did not take in time (docs/adr/0011); without one they are only logged. */
  readonly auditFallback?: AuditFallback | undefined;
  readonly podDirectory: PodDirectory;
  readonly logger: Logger;
  readonly newId: () => string;
}

/**
 * The SQS fallback queue, its client built on first use (only when storage first fails). Its module is imported
 * statically, by name: the deployed bundle is one file, which evaluates every module it holds when it loads, a
 * dynamically imported one too, and keeps every export of a dynamically imported module. A dynamic import
 * saved nothing there and made the bundle carry (and evaluate) every command of the SQS client.
 */
function queueFallback(queueUrl: string, region: string | undefined): AuditFallback {
  return lazyAuditFallback(() => Promise.resolve(sqsAuditFallback(queueUrl, region)));
}

/** How the webhook's composition root builds its clients (RuntimeOptions of the full runtime, and the clients). */
export interface WebhookRuntimeOptions extends RuntimeOptions {
  /** The DynamoDB clients, built with the storage budget when absent (the benchmark's cold-start probe passes instrumented ones). */
  readonly clients?: DynamoClients | undefined;
}

/**
 * The webhook Lambda's composition root. It wires only what the webhook uses, so that its bundle and cold
 * start carry neither the schemas that validate what the API and enforcers send nor the API's other clients
 * (createRuntime wires everything, for the API and local mode).
 */
export function createWebhookRuntime(config: RuntimeConfig, options: WebhookRuntimeOptions = {}): WebhookRuntime {
  const clients =
    options.clients ??
    createDynamoClients({ endpoint: config.dynamodbEndpoint, region: config.region, callBudgetMs: options.storageCallBudgetMs });
  const configTable = `${config.tablePrefix}config`;
  const auditTable = `${config.tablePrefix}audit`;
  return {
    config,
    configStore: new DynamoConfigStore(clients.document, configTable),
    decisionSnapshots: new DynamoDecisionSnapshots(clients.document, configTable),
    auditStore: { putGenerated: (events) => writeGeneratedAuditEvents(clients.document, auditTable, events) },
    podDirectory: new CachedPodDirectory(new DynamoPodDirectory(clients.document, auditTable)),
    auditFallback: config.auditFallbackQueueUrl ? queueFallback(config.auditFallbackQueueUrl, config.region) : undefined,
    logger: new Logger({ serviceName: 'vigil' }),
    newId: randomUUID,
  };
}
