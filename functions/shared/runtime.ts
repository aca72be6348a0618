import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { createDynamoClients } from './storage/client.js';
import { DynamoAuditStore } from './storage/DynamoAuditStore.js';
import { DynamoConfigStore } from './storage/DynamoConfigStore.js';
import type { AuditStore, ConfigStore } from './storage/ports.js';
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
}

/** Everything handlers need, wired once per Lambda instance (or once for local mode). */
export interface Runtime {
  readonly config: RuntimeConfig;
  readonly configStore: ConfigStore;
  readonly auditStore: AuditStore;
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
  return { tablePrefix: prefix, region: env.AWS_REGION, dynamodbEndpoint: env.VIGIL_DYNAMODB_ENDPOINT || undefined, publicBaseUrl: env.VIGIL_PUBLIC_URL || undefined };
}
