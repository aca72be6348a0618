import { CfnOutput, CustomResource, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { AuditExport } from './audit-export.js';
import { ModeChangeScheduling } from './mode-change-scheduling.js';
import { acknowledgeWildcardResource, nagTableIndexes } from './nag.js';
import { grantItemActions, ITEM_READS, ITEM_WRITES } from './table-access.js';
import { ProtectionLayer } from './protection-layer.js';
import { VigilAlarms } from './vigil-alarms.js';
import { VigilFunction } from './vigil-function.js';
import { VigilHttpApi } from './vigil-http-api.js';
import { VigilTables } from './vigil-tables.js';
import { configKeys } from '../functions/shared/storage/tables.js';

/** Concurrency reserved for (and capping) the functions that anyone on the internet can reach. */
export interface ReservedConcurrency {
  /** The admission webhook: the EKS API servers of every registered cluster. */
  readonly admission: number;
  /** The enforcer API: every protected function polls it. */
  readonly enforcer: number;
}

export interface VigilStackProps extends StackProps {
  /**
   * A disposable installation: tables without deletion protection, and tables, log groups, queues, the
   * schedule group, keys and layer versions deleted with the stack (context `vigil:devStack=true`).
   * @default false
   */
  readonly devStack?: boolean;
  /**
   * Prefix of the table names (`<prefix>config`, `<prefix>audit`) and of the bus and schedule group names.
   * @default - the stack name in lower case, then "-"
   */
  readonly namePrefix?: string;
  /**
   * Reserved concurrency of the unauthenticated entry points, or `false` for none (accounts whose
   * concurrency quota is too small to reserve any: context `vigil:reserveConcurrency=false`).
   * @default { admission: 50, enforcer: 20 }
   */
  readonly reservedConcurrency?: ReservedConcurrency | false;
  /**
   * Stage throttling of the HTTP API.
   * @default { rateLimit: 500, burstLimit: 1000 }
   */
  readonly apiThrottle?: apigwv2.ThrottleSettings;
  /**
   * An existing topic for alarm notifications.
   * @default - a new encrypted topic (output `AlarmTopicArn`)
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * An address subscribed to the new alarm topic (context `vigil:alarmEmail`).
   * @default - none
   */
  readonly alarmEmail?: string;
  /**
   * Lambda active tracing (X-Ray) on every function (context `vigil:tracing=false` turns it off).
   * @default true
   */
  readonly tracing?: boolean;
  /**
   * Retention of function and access logs.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

export const DEFAULT_RESERVED_CONCURRENCY: ReservedConcurrency = { admission: 50, enforcer: 20 };

/** The whole Vigil control plane in one stack (docs/adr/0006). */
export class VigilStack extends Stack {
  readonly tables: VigilTables;
  readonly httpApi: VigilHttpApi;
  readonly bus: events.EventBus;
  readonly scheduling: ModeChangeScheduling;
  readonly protectionLayer: ProtectionLayer;
  readonly alarms: VigilAlarms;
  readonly auditExport: AuditExport;
  readonly functions: {
    readonly api: VigilFunction;
    readonly admission: VigilFunction;
    readonly enforcer: VigilFunction;
    readonly modeChange: VigilFunction;
    readonly auditExport: VigilFunction;
    readonly bootstrap: VigilFunction;
  };

  constructor(scope: Construct, id: string, props: VigilStackProps = {}) {
    super(scope, id, props);
    const dev = props.devStack ?? false;
    const removalPolicy = dev ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const prefix = props.namePrefix ?? `${this.stackName.toLowerCase()}-`;
    const reserved = props.reservedConcurrency === false ? undefined : (props.reservedConcurrency ?? DEFAULT_RESERVED_CONCURRENCY);
    const logRetention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;
    const common = { logRetention, logRemovalPolicy: removalPolicy, tracing: props.tracing };

    this.tables = new VigilTables(this, 'Tables', { tablePrefix: prefix, deletionProtection: !dev, removalPolicy });
    const { config, audit } = this.tables;
    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: `${prefix}events`,
      description: 'Vigil events: audit events, policy mode changes',
    });
    const tableEnv = { VIGIL_TABLE_PREFIX: prefix };

    // Memory buys CPU on Lambda: the functions that compile the policy snapshot on a cold start while a
    // caller waits (webhook, enforcer API, admin API) get 1 GB; the background ones 512 MB.
    const admission = new VigilFunction(this, 'Admission', {
      ...common,
      function: 'admission',
      description: 'Vigil: EKS admission webhook',
      memorySize: 1024,
      // The API server's webhook timeout is at most 30 s and 10 s by default (Vigil's groups send 5 s); the
      // handler answers within the timeout it is sent. This only bounds an invocation that hangs, below 10 s.
      timeout: Duration.seconds(8),
      reservedConcurrentExecutions: reserved?.admission,
      environment: tableEnv,
    });
    const enforcer = new VigilFunction(this, 'Enforcer', {
      ...common,
      function: 'enforcer',
      description: 'Vigil: enforcer API (registration, policy bundles, events)',
      memorySize: 1024,
      // A protected function waits for its first bundle; a batch of 500 events is the slowest call.
      timeout: Duration.seconds(10),
      reservedConcurrentExecutions: reserved?.enforcer,
      environment: tableEnv,
    });
    const modeChange = new VigilFunction(this, 'ModeChange', {
      ...common,
      function: 'modeChange',
      description: 'Vigil: scheduled enforcement-mode changes and the sweep of overdue ones',
      memorySize: 512,
      // A sweep applies every overdue change one transaction at a time.
      timeout: Duration.minutes(1),
      environment: { ...tableEnv, VIGIL_EVENT_BUS_NAME: this.bus.eventBusName },
    });
    this.scheduling = new ModeChangeScheduling(this, 'Scheduling', {
      modeChange: modeChange.function,
      scheduleGroupName: `${prefix}mode-changes`,
      removalPolicy,
    });
    const api = new VigilFunction(this, 'Api', {
      ...common,
      function: 'api',
      description: 'Vigil: admin API',
      memorySize: 1024,
      // Just under the HTTP API's 30 s integration limit: large imports write in chunked transactions.
      timeout: Duration.seconds(29),
      environment: { ...tableEnv, ...this.scheduling.environment(modeChange.function) },
    });
    const auditExport = (this.auditExport = new AuditExport(this, 'AuditExport', {
      auditTable: audit,
      bus: this.bus,
      logRetention,
      removalPolicy,
      tracing: props.tracing,
    }));
    // A fresh installation needs the default enforcer groups and settings before a cluster can be registered:
    // a custom resource runs the bootstrap of functions/shared/bootstrap.ts during the deployment.
    const bootstrap = new VigilFunction(this, 'Bootstrap', {
      ...common,
      function: 'bootstrap',
      description: 'Vigil: creates the default enforcer groups and settings during deployment',
      memorySize: 512,
      timeout: Duration.minutes(1),
      environment: tableEnv,
    });
    grantItemActions(config, bootstrap.function, [...ITEM_READS, ...ITEM_WRITES]);
    const bootstrapRun = new CustomResource(this, 'BootstrapRun', {
      serviceToken: bootstrap.function.functionArn,
      resourceType: 'Custom::VigilBootstrap',
      // Runs again whenever its code (and with it the defaults it creates) changes.
      properties: { CodeKey: ((bootstrap.function.node.defaultChild as lambda.CfnFunction).code as lambda.CfnFunction.CodeProperty).s3Key },
    });
    bootstrapRun.node.addDependency(config);
    this.functions = { api, admission, enforcer, modeChange, auditExport: auditExport.handler, bootstrap };

    // Least privilege, by what each handler touches (functions/shared/runtime.ts, functions/admission/runtime.ts):
    // item actions only (no Scan, no stream reads), and the audit indexes only for the admin API's queries.
    grantItemActions(config, api.function, [...ITEM_READS, ...ITEM_WRITES]);
    grantItemActions(audit, api.function, ['dynamodb:GetItem', 'dynamodb:Query'], { indexes: true });
    this.scheduling.grantManageSchedules(api.function);
    // Registration checks a cluster ARN with DescribeCluster in the ARN's region: any region, this account.
    const clusters = this.formatArn({ service: 'eks', region: '*', resource: 'cluster', resourceName: '*' });
    api.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['eks:DescribeCluster'], resources: [clusters] }));
    // The webhook reads the configuration and stores (and prunes) the decision snapshots of the config table
    // (docs/adr/0005); it writes audit events (batch writes) and reads and writes learned pods (by key). It is
    // the function anyone can reach, so its writes to the config table are confined to the DECISION partition
    // (a compromised webhook cannot rewrite policies, groups or settings; transactions are authorised per item
    // action), and it can neither query nor scan the audit events.
    grantItemActions(config, admission.function, ITEM_READS);
    admission.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'],
        resources: [config.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [configKeys.decision] } },
      }),
    );
    grantItemActions(audit, admission.function, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem']);
    // Enforcers register and heartbeat (config table) and report events (audit table, conditional puts).
    grantItemActions(config, enforcer.function, [...ITEM_READS, ...ITEM_WRITES]);
    grantItemActions(audit, enforcer.function, ['dynamodb:PutItem']);
    grantItemActions(config, modeChange.function, [...ITEM_READS, ...ITEM_WRITES]);
    this.bus.grantPutEventsTo(modeChange.function);

    // The index wildcard names only the audit table's own four indexes, which the admin API's queries use.
    acknowledgeWildcardResource(
      api.role,
      nagTableIndexes(audit),
      "Only the audit table's own global secondary indexes (byDay, byPolicy, byCluster, byNamespace), which the audit queries read.",
    );
    acknowledgeWildcardResource(
      api.role,
      'arn:<AWS::Partition>:eks:*:<AWS::AccountId>:cluster/*',
      'Registration may name a cluster in any region of this account; clusters are not known at deploy time and EKS has no narrower scope.',
    );

    this.httpApi = new VigilHttpApi(this, 'Http', {
      handlers: { api: api.function, admission: admission.function, enforcer: enforcer.function },
      throttle: props.apiThrottle,
      accessLogRetention: logRetention,
      accessLogRemovalPolicy: removalPolicy,
    });
    // Webhook URLs and manifests are built from it.
    api.function.addEnvironment('VIGIL_PUBLIC_URL', this.httpApi.url);

    this.protectionLayer = new ProtectionLayer(this, 'Protection', { removalPolicy });

    this.alarms = new VigilAlarms(this, 'Alarms', {
      webhook: admission.function,
      // The bootstrap runs only during deployments, where CloudFormation reports its failures.
      functions: Object.fromEntries(
        Object.entries(this.functions)
          .filter(([name]) => name !== 'bootstrap')
          .map(([name, fn]) => [name, fn.function]),
      ),
      deadLetterQueues: { scheduler: this.scheduling.deadLetterQueue, auditExport: auditExport.failureQueue },
      topic: props.alarmTopic,
      email: props.alarmEmail,
      removalPolicy,
    });

    new CfnOutput(this, 'ApiUrl', {
      value: this.httpApi.url,
      description: 'Base URL of the control plane (VIGIL_ENDPOINT for the CLI and the protection layer)',
    });
    new CfnOutput(this, 'AdminPolicyArn', {
      value: this.httpApi.adminPolicy.managedPolicyArn,
      description: 'Managed policy that may call the admin API: attach it to administrators and CI',
    });
    new CfnOutput(this, 'ProtectionLayerArn', {
      value: this.protectionLayer.layer.layerVersionArn,
      description: 'Vigil protection layer: add it to Node.js functions with AWS_LAMBDA_EXEC_WRAPPER=/opt/vigil/vigil-wrapper',
    });
    new CfnOutput(this, 'ConfigTableName', { value: config.tableName });
    new CfnOutput(this, 'AuditTableName', { value: audit.tableName });
    new CfnOutput(this, 'EventBusName', {
      value: this.bus.eventBusName,
      description: 'Vigil events (source "vigil"): add rules to route them',
    });
    new CfnOutput(this, 'ScheduleGroupName', { value: this.scheduling.group.scheduleGroupName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn, description: 'Alarm notifications: subscribe to it' });
  }
}
