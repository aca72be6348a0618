import type { ConsoleTokenAuth } from './http/auth.js';
import type { ScheduleTargetSettings } from './scheduling/EventBridgeModeChangeScheduler.js';

/** What every deployment of the control plane is given, in AWS and in local mode alike. */
interface SharedRuntimeConfig {
  /** Table names are `<prefix>config` and `<prefix>audit`. */
  readonly tablePrefix: string;
  readonly dynamodbEndpoint?: string | undefined;
  readonly region?: string | undefined;
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
  /**
   * AWS: the SQS queue that holds the webhook's audit events when the audit table does not take them in time
   * (docs/adr/0011); without it such events are only logged.
   */
  readonly auditFallbackQueueUrl?: string | undefined;
}

/**
 * The control plane as the CDK stack deploys it: admin routes sit behind the IAM authorizer, and the same
 * routes of the console API behind a JWT authorizer.
 */
export interface AwsRuntimeConfig extends SharedRuntimeConfig {
  readonly mode: 'aws';
  /** Which console tokens the admin function accepts; without it, none. */
  readonly console?: ConsoleTokenAuth | undefined;
}

/**
 * The control plane on one machine (infra/local): administrators use a bearer token, and no AWS API other
 * than DynamoDB (Local) is reached: each other AWS adapter has a local stand-in.
 */
export interface LocalRuntimeConfig extends SharedRuntimeConfig {
  readonly mode: 'local';
  /** The bearer token administrators use (held here only to be hashed at start). */
  readonly adminToken: string;
}

/** Settings of one deployment of the control plane; `mode` says which adapters and which admin auth it gets. */
export type RuntimeConfig = AwsRuntimeConfig | LocalRuntimeConfig;

/** Settings from the Lambda environment (set by the CDK stack): always AWS mode. */
export function runtimeConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AwsRuntimeConfig {
  const prefix = env.VIGIL_TABLE_PREFIX;
  if (!prefix) throw new Error('VIGIL_TABLE_PREFIX is not set');
  const recheck = env.VIGIL_CONFIG_RECHECK_MS ? Number(env.VIGIL_CONFIG_RECHECK_MS) : undefined;
  return {
    mode: 'aws',
    tablePrefix: prefix,
    region: env.AWS_REGION,
    dynamodbEndpoint: env.VIGIL_DYNAMODB_ENDPOINT || undefined,
    publicBaseUrl: env.VIGIL_PUBLIC_URL || undefined,
    configRecheckMs: recheck !== undefined && Number.isFinite(recheck) && recheck >= 0 ? recheck : undefined,
    scheduling:
      env.VIGIL_SCHEDULE_GROUP && env.VIGIL_MODE_CHANGE_FUNCTION_ARN && env.VIGIL_SCHEDULER_ROLE_ARN
        ? {
            groupName: env.VIGIL_SCHEDULE_GROUP,
            functionArn: env.VIGIL_MODE_CHANGE_FUNCTION_ARN,
            roleArn: env.VIGIL_SCHEDULER_ROLE_ARN,
            deadLetterArn: env.VIGIL_SCHEDULER_DLQ_ARN || undefined,
          }
        : undefined,
    eventBusName: env.VIGIL_EVENT_BUS_NAME || undefined,
    auditFallbackQueueUrl: env.VIGIL_AUDIT_FALLBACK_QUEUE_URL || undefined,
    console:
      env.VIGIL_CONSOLE_API_ID && env.VIGIL_CONSOLE_ISSUER && env.VIGIL_CONSOLE_CLIENT_ID && env.VIGIL_CONSOLE_ADMIN_GROUP
        ? {
            apiId: env.VIGIL_CONSOLE_API_ID,
            issuer: env.VIGIL_CONSOLE_ISSUER,
            clientId: env.VIGIL_CONSOLE_CLIENT_ID,
            adminGroup: env.VIGIL_CONSOLE_ADMIN_GROUP,
          }
        : undefined,
  };
}
