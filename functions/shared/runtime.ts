import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { createDynamoClients } from './storage/client.js';
import { DynamoAuditStore } from './storage/DynamoAuditStore.js';
import { DynamoConfigStore } from './storage/DynamoConfigStore.js';
import { DynamoEnforcerStore } from './storage/DynamoEnforcerStore.js';
import { CachedPodDirectory, DynamoPodDirectory } from './storage/DynamoPodDirectory.js';
import type { AuditStore, ConfigStore, EnforcerStore, PodDirectory } from './storage/ports.js';
import { describeClusterUnavailable, eksDescribeCluster, type DescribeCluster } from './eks.js';
import { hashSecret, type AdminAuth } from './http/middleware.js';
import type { ScheduleTargetSettings } from './scheduling/EventBridgeModeChangeScheduler.js';
import { lazyEventPublisher, lazyModeChangeScheduler } from './scheduling/lazy.js';
import { LocalModeChangeScheduler, LogEventPublisher, UnconfiguredModeChangeScheduler } from './scheduling/LocalModeChangeScheduler.js';
import type { EventPublisher, ModeChangeScheduler } from './scheduling/ports.js';

/** Settings of one deployment of the control plane (AWS or local mode). */
export interface RuntimeConfig {
  /** Table names are `<prefix>config` and `<prefix>audit`. */
  readonly tablePrefix: string;
  readonly dynamodbEndpoint?: string | undefined;
  readonly region?: string | undefined;
  /** Local mode: the bearer token administrators use. Without it, admin routes expect the IAM authorizer. */
  readonly adminToken?: string | undefined;
  /** Base URL of the HTTP API, used in webhook URLs and manifests. */
  readonly publicBaseUrl?: string | undefined;
  /** Base64 PEM of the CA that signed the API's certificate, for manifests; omitted for public CAs. */
  readonly webhookCaBundle?: string | undefined;
  /**
   * How often the webhook re-checks the configuration revision.
   * @default 1000
   */
  readonly configRecheckMs?: number | undefined;
  /** AWS: where scheduled mode changes are created (local mode polls DynamoDB instead). */
  readonly scheduling?: ScheduleTargetSettings | undefined;
  /** AWS: the event bus Vigil publishes to; without it events are only logged. */
  readonly eventBusName?: string | undefined;
}

/** Everything handlers need, wired once per Lambda instance (or once for local mode). */
export interface Runtime {
  readonly config: RuntimeConfig;
  readonly configStore: ConfigStore;
  readonly auditStore: AuditStore;
  readonly podDirectory: PodDirectory;
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

/** The composition root: builds clients and adapters from explicit settings. */
export function createRuntime(config: RuntimeConfig, overrides: Partial<Omit<Runtime, 'config'>> = {}): Runtime {
  const clients = createDynamoClients({ endpoint: config.dynamodbEndpoint, region: config.region });
  const logger = overrides.logger ?? new Logger({ serviceName: 'vigil' });
  const awsOptions = config.region ? { region: config.region } : {};
  const { scheduling, eventBusName } = config;
  return {
    config,
    configStore: overrides.configStore ?? new DynamoConfigStore(clients.document, `${config.tablePrefix}config`),
    auditStore: overrides.auditStore ?? new DynamoAuditStore(clients.document, `${config.tablePrefix}audit`),
    enforcerStore: overrides.enforcerStore ?? new DynamoEnforcerStore(clients.document, `${config.tablePrefix}config`),
    podDirectory: overrides.podDirectory ?? new CachedPodDirectory(new DynamoPodDirectory(clients.document, `${config.tablePrefix}audit`)),
    // Local mode (an admin token) reaches no AWS API.
    describeCluster: overrides.describeCluster ?? (config.adminToken ? describeClusterUnavailable : eksDescribeCluster()),
    // Local mode (an admin token) reaches no AWS API: its scheduler polls the pending changes in DynamoDB.
    modeChangeScheduler:
      overrides.modeChangeScheduler ??
      (config.adminToken
        ? new LocalModeChangeScheduler()
        : scheduling
          ? lazyModeChangeScheduler(async () => {
              const [{ SchedulerClient }, { EventBridgeModeChangeScheduler }] = await Promise.all([import('@aws-sdk/client-scheduler'), import('./scheduling/EventBridgeModeChangeScheduler.js')]);
              return new EventBridgeModeChangeScheduler(new SchedulerClient(awsOptions), scheduling);
            })
          : new UnconfiguredModeChangeScheduler()),
    events:
      overrides.events ??
      (!config.adminToken && eventBusName
        ? lazyEventPublisher(async () => {
            const [{ EventBridgeClient }, { EventBridgePublisher }] = await Promise.all([import('@aws-sdk/client-eventbridge'), import('./scheduling/EventBridgePublisher.js')]);
            return new EventBridgePublisher(new EventBridgeClient(awsOptions), eventBusName);
          })
        : new LogEventPublisher(logger)),
    logger,
    adminAuth: overrides.adminAuth ?? (config.adminToken ? { mode: 'token', tokenHash: hashSecret(config.adminToken), actor: 'local-admin' } : { mode: 'iam' }),
    clock: overrides.clock ?? (() => new Date()),
    newId: overrides.newId ?? randomUUID,
  };
}

/** Settings from the Lambda environment (set by the CDK stack). */
export function runtimeConfigFromEnv(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const prefix = env.VIGIL_TABLE_PREFIX;
  if (!prefix) throw new Error('VIGIL_TABLE_PREFIX is not set');
  const recheck = env.VIGIL_CONFIG_RECHECK_MS ? Number(env.VIGIL_CONFIG_RECHECK_MS) : undefined;
  return {
    tablePrefix: prefix,
    region: env.AWS_REGION,
    dynamodbEndpoint: env.VIGIL_DYNAMODB_ENDPOINT || undefined,
    publicBaseUrl: env.VIGIL_PUBLIC_URL || undefined,
    configRecheckMs: recheck !== undefined && Number.isFinite(recheck) && recheck >= 0 ? recheck : undefined,
    scheduling:
      env.VIGIL_SCHEDULE_GROUP && env.VIGIL_MODE_CHANGE_FUNCTION_ARN && env.VIGIL_SCHEDULER_ROLE_ARN
        ? { groupName: env.VIGIL_SCHEDULE_GROUP, functionArn: env.VIGIL_MODE_CHANGE_FUNCTION_ARN, roleArn: env.VIGIL_SCHEDULER_ROLE_ARN, deadLetterArn: env.VIGIL_SCHEDULER_DLQ_ARN || undefined }
        : undefined,
    eventBusName: env.VIGIL_EVENT_BUS_NAME || undefined,
  };
}
