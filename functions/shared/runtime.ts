import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { createDynamoClients } from './storage/client.js';
import { DynamoAuditStore } from './storage/DynamoAuditStore.js';
import { DynamoConfigStore } from './storage/DynamoConfigStore.js';
import { CachedPodDirectory, DynamoPodDirectory } from './storage/DynamoPodDirectory.js';
import type { AuditStore, ConfigStore, PodDirectory } from './storage/ports.js';
import { describeClusterUnavailable, eksDescribeCluster, type DescribeCluster } from './eks.js';
import { hashSecret, type AdminAuth } from './http/middleware.js';

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
}

/** Everything handlers need, wired once per Lambda instance (or once for local mode). */
export interface Runtime {
  readonly config: RuntimeConfig;
  readonly configStore: ConfigStore;
  readonly auditStore: AuditStore;
  readonly podDirectory: PodDirectory;
  /** Validates an EKS cluster ARN at registration (unavailable in local mode). */
  readonly describeCluster: DescribeCluster;
  readonly logger: Logger;
  readonly adminAuth: AdminAuth;
  readonly clock: () => Date;
  readonly newId: () => string;
}

/** The composition root: builds clients and adapters from explicit settings. */
export function createRuntime(config: RuntimeConfig, overrides: Partial<Omit<Runtime, 'config'>> = {}): Runtime {
  const clients = createDynamoClients({ endpoint: config.dynamodbEndpoint, region: config.region });
  return {
    config,
    configStore: overrides.configStore ?? new DynamoConfigStore(clients.document, `${config.tablePrefix}config`),
    auditStore: overrides.auditStore ?? new DynamoAuditStore(clients.document, `${config.tablePrefix}audit`),
    podDirectory: overrides.podDirectory ?? new CachedPodDirectory(new DynamoPodDirectory(clients.document, `${config.tablePrefix}audit`)),
    // Local mode (an admin token) reaches no AWS API.
    describeCluster: overrides.describeCluster ?? (config.adminToken ? describeClusterUnavailable : eksDescribeCluster()),
    logger: overrides.logger ?? new Logger({ serviceName: 'vigil' }),
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
  };
}
