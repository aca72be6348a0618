import type { ScheduleTargetSettings } from './scheduling/EventBridgeModeChangeScheduler.js';

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
        ? {
            groupName: env.VIGIL_SCHEDULE_GROUP,
            functionArn: env.VIGIL_MODE_CHANGE_FUNCTION_ARN,
            roleArn: env.VIGIL_SCHEDULER_ROLE_ARN,
            deadLetterArn: env.VIGIL_SCHEDULER_DLQ_ARN || undefined,
          }
        : undefined,
    eventBusName: env.VIGIL_EVENT_BUS_NAME || undefined,
  };
}
