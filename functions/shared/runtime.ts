import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { createDynamoClients } from './storage/client.js';
import { DynamoAuditStore } from './storage/DynamoAuditStore.js';
import { DynamoConfigStore } from './storage/DynamoConfigStore.js';
import { DynamoEnforcerStore } from './storage/DynamoEnforcerStore.js';
import { CachedPodDirectory, DynamoPodDirectory } from './storage/DynamoPodDirectory.js';
import { DynamoDecisionSnapshots } from './storage/DynamoDecisionSnapshots.js';
import type { AuditFallback } from './storage/audit-fallback.js';
import type { AuditStore, ConfigStore, DecisionSnapshotStore, EnforcerStore, PodDirectory } from './storage/ports.js';
import { describeClusterUnavailable, type DescribeCluster } from './eks.js';
import { hashSecret, type AdminAuth } from './http/auth.js';
import type { RuntimeConfig } from './runtime-config.js';
import { LogEventPublisher } from './events/LogEventPublisher.js';
import type { EventPublisher } from './events/ports.js';
import { LocalModeChangeScheduler, UnconfiguredModeChangeScheduler } from './scheduling/LocalModeChangeScheduler.js';
import type { ModeChangeScheduler } from './scheduling/ports.js';

// The settings live apart so that an entry point can read them without loading every adapter wired here.

/** Everything handlers need, wired once per Lambda instance (or once for local mode). */
export interface Runtime {
  readonly config: RuntimeConfig;
  readonly configStore: ConfigStore;
  readonly auditStore: AuditStore;
  /** Where the webhook's audit events go when the table does not take them in time (docs/adr/0011). */
  readonly auditFallback?: AuditFallback | undefined;
  readonly podDirectory: PodDirectory;
  /** The webhook's stored decision configuration per revision (derived from the config items). */
  readonly decisionSnapshots: DecisionSnapshotStore;
  /** Registered enforcers (runtime records in the config table, outside the revision). */
  readonly enforcerStore: EnforcerStore;
  /** Validates an EKS cluster ARN at registration (unavailable in local mode). */
  readonly describeCluster: DescribeCluster;
  /** Keeps each policy's one-time schedule in step with its pending enforcement-mode change. */
  readonly modeChangeScheduler: ModeChangeScheduler;
  readonly events: EventPublisher;
  readonly logger: Logger;
  readonly adminAuth: AdminAuth;
  readonly clock: () => Date;
  readonly newId: () => string;
}

/** How a composition root builds its clients, beyond the settings a deployment gives. */
export interface RuntimeOptions {
  /**
   * The most one storage call may take, the SDK's retries included (tests of a stalled DynamoDB shorten it, so
   * that they do not wait the deployed budget).
   * @default STORAGE_CALL_BUDGET_MS
   */
  readonly storageCallBudgetMs?: number | undefined;
}

/**
 * The composition root: builds clients and adapters from explicit settings. The adapters of other AWS
 * services are not wired here (their SDK clients would land in every function's bundle): the entry points
 * that use one pass it in from ./aws-adapters.ts or ./event-publishing.ts. Without one, a function has the local stand-in, or a
 * scheduler that refuses to schedule.
 */
export function createRuntime(
  config: RuntimeConfig,
  overrides: Partial<Omit<Runtime, 'config'>> = {},
  options: RuntimeOptions = {},
): Runtime {
  const clients = createDynamoClients({
    endpoint: config.dynamodbEndpoint,
    region: config.region,
    callBudgetMs: options.storageCallBudgetMs,
  });
  const logger = overrides.logger ?? new Logger({ serviceName: 'vigil' });
  return {
    config,
    configStore: overrides.configStore ?? new DynamoConfigStore(clients.document, `${config.tablePrefix}config`),
    auditStore: overrides.auditStore ?? new DynamoAuditStore(clients.document, `${config.tablePrefix}audit`),
    auditFallback: overrides.auditFallback,
    enforcerStore: overrides.enforcerStore ?? new DynamoEnforcerStore(clients.document, `${config.tablePrefix}config`),
    podDirectory: overrides.podDirectory ?? new CachedPodDirectory(new DynamoPodDirectory(clients.document, `${config.tablePrefix}audit`)),
    decisionSnapshots: overrides.decisionSnapshots ?? new DynamoDecisionSnapshots(clients.document, `${config.tablePrefix}config`),
    describeCluster: overrides.describeCluster ?? describeClusterUnavailable,
    // Local mode polls the pending changes in DynamoDB.
    modeChangeScheduler:
      overrides.modeChangeScheduler ?? (config.mode === 'local' ? new LocalModeChangeScheduler() : new UnconfiguredModeChangeScheduler()),
    events: overrides.events ?? new LogEventPublisher(logger),
    logger,
    adminAuth:
      overrides.adminAuth ??
      (config.mode === 'local'
        ? { mode: 'token', tokenHash: hashSecret(config.adminToken), actor: 'local-admin' }
        : { mode: 'iam', ...(config.console ? { console: config.console } : {}) }),
    clock: overrides.clock ?? (() => new Date()),
    newId: overrides.newId ?? randomUUID,
  };
}
