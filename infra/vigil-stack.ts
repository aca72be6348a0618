import { Aws, CfnOutput, CustomResource, Duration, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { AuditExport } from './audit-export.js';
import { AuditReplay } from './audit-replay.js';
import { ConsoleApi } from './console-api.js';
import { ConsoleHosting } from './console-hosting.js';
import { CONSOLE_ADMIN_GROUP, ConsoleSignIn, cognitoDomainUrl, type ConsoleIdentityProvider } from './console-sign-in.js';
import { ModeChangeScheduling } from './mode-change-scheduling.js';
import { acknowledgeWildcardResource, nagTableIndexes } from './nag.js';
import { grantItemActions, ITEM_READS, ITEM_WRITES } from './table-access.js';
import { ProtectionLayer } from './protection-layer.js';
import { VigilAlarms } from './vigil-alarms.js';
import { VigilFunction } from './vigil-function.js';
import { VigilHttpApi } from './vigil-http-api.js';
import { VigilTables } from './vigil-tables.js';
import { auditKeys, configKeys } from '../functions/shared/storage/tables.js';

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
   * Reserved concurrency of the unauthenticated entry points (context `vigil:reserveConcurrency=true` reserves
   * DEFAULT_RESERVED_CONCURRENCY). Lambda keeps 100 of the account's concurrency unreserved, so reserving 50 + 20
   * needs a quota of at least 170: new accounts start far below the usual 1,000, and the deployment would fail.
   * @default false - no reservation: the functions share the account's unreserved pool
   */
  readonly reservedConcurrency?: ReservedConcurrency | false;
  /**
   * Deletion protection of the tables (context `vigil:deletionProtection=true`). Off by default because a
   * protected table cannot be deleted by the rollback of a failed first deployment either, which would leave it
   * behind and make every retry fail with "already exists" (docs/adr/0010). Turn it on once the stack exists.
   * Ignored for a dev stack.
   * @default false
   */
  readonly tableDeletionProtection?: boolean;
  /**
   * Stage throttling of the HTTP API: every route but the admission webhook's.
   * @default { rateLimit: 500, burstLimit: 1000 }
   */
  readonly apiThrottle?: apigwv2.ThrottleSettings;
  /**
   * Throttling of the admission webhook's route, apart from the stage's: a flood on the enforcer or admin routes
   * cannot use up the API servers' requests.
   * @default { rateLimit: 1000, burstLimit: 2000 }
   */
  readonly admissionThrottle?: apigwv2.ThrottleSettings;
  /**
   * The base URL that webhook manifests (and so the API servers) call, when something fronts the API, such as a
   * CloudFront distribution with AWS WAF (context `vigil:publicUrl`).
   * @default - the HTTP API's own endpoint
   */
  readonly publicUrl?: string;
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
  /**
   * The web console: S3 and CloudFront, Cognito sign-in and the JWT-authorized console API; `false` for none
   * (administrators then use the CLI, whose IAM access does not depend on the console).
   * @default - a console with a derived domain prefix and no federated IdP
   */
  readonly console?: ConsoleOptions | false;
}

/** The web console in AWS (docs/adr/0019). */
export interface ConsoleOptions {
  /**
   * Prefix of the Cognito domain `https://<prefix>.auth.<region>.amazoncognito.com`, unique in the region
   * (context `vigil:consoleDomainPrefix`).
   * @default - `vigil-` and the first 8 characters of the stack's id
   */
  readonly domainPrefix?: string;
  /** A company IdP federated into the user pool (context `vigil:consoleIdp` and friends). */
  readonly identityProvider?: ConsoleIdentityProvider;
  /** An AWS WAF web ACL of scope CLOUDFRONT for the console's distribution (context `vigil:consoleWebAclArn`). */
  readonly webAclArn?: string;
}

export const DEFAULT_RESERVED_CONCURRENCY: ReservedConcurrency = { admission: 50, enforcer: 20 };

/** EventBridge Scheduler's rules for a schedule group name. */
const SCHEDULE_GROUP_NAME = /^[0-9A-Za-z_.-]{1,64}$/;
/** What every named resource (tables, bus, schedule group) accepts in its prefix. */
const NAME_PREFIX = /^[a-z0-9_.-]+$/;

/**
 * The names derived from the prefix, checked at synthesis: a stack name too long for the schedule group's 64
 * characters would otherwise fail in the middle of the first deployment.
 */
export function resourceNames(prefix: string): { readonly scheduleGroup: string; readonly bus: string } {
  if (!NAME_PREFIX.test(prefix))
    throw new Error(`the name prefix "${prefix}" may contain only lower-case letters, digits, ".", "_" and "-" (it names tables and more)`);
  const scheduleGroup = `${prefix}mode-changes`;
  if (!SCHEDULE_GROUP_NAME.test(scheduleGroup)) {
    const room = 64 - 'mode-changes'.length;
    throw new Error(
      `the schedule group name "${scheduleGroup}" has ${scheduleGroup.length} characters; EventBridge Scheduler allows 64. ` +
        `Use a stack name (context vigil:stackName) of at most ${room - 1} characters, or a name prefix of at most ${room}.`,
    );
  }
  return { scheduleGroup, bus: `${prefix}events` };
}

/** The whole Vigil control plane in one stack (docs/adr/0006). */
export class VigilStack extends Stack {
  readonly tables: VigilTables;
  readonly httpApi: VigilHttpApi;
  readonly bus: events.EventBus;
  readonly scheduling: ModeChangeScheduling;
  readonly protectionLayer: ProtectionLayer;
  readonly alarms: VigilAlarms;
  readonly auditExport: AuditExport;
  readonly auditReplay: AuditReplay;
  /** The web console's parts; undefined in a stack deployed without the console. */
  readonly console: { readonly hosting: ConsoleHosting; readonly signIn: ConsoleSignIn; readonly api: ConsoleApi } | undefined;
  readonly functions: {
    readonly api: VigilFunction;
    readonly admission: VigilFunction;
    readonly enforcer: VigilFunction;
    readonly modeChange: VigilFunction;
    readonly auditExport: VigilFunction;
    readonly auditReplay: VigilFunction;
    readonly bootstrap: VigilFunction;
  };

  constructor(scope: Construct, id: string, props: VigilStackProps = {}) {
    super(scope, id, props);
    const dev = props.devStack ?? false;
    // Kept when the stack is deleted or a resource replaced, but deleted by the rollback of the deployment that
    // created it: a failed first deployment leaves nothing behind that would make the retry fail (docs/adr/0010).
    const removalPolicy = dev ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;
    const prefix = props.namePrefix ?? `${this.stackName.toLowerCase()}-`;
    const names = resourceNames(prefix);
    // The API servers call only https URLs, and the webhook path is appended to this one.
    // eslint-disable-next-line security/detect-unsafe-regex -- linear: one optional port and one optional path, each starting with its own literal (':' or '/'); the deployer's own setting
    if (props.publicUrl !== undefined && !/^https:\/\/[A-Za-z0-9.-]+(:\d+)?(\/[A-Za-z0-9._~/-]*)?$/.test(props.publicUrl))
      throw new Error(`the public URL must be an https URL without a query, like https://vigil.example.com, not "${props.publicUrl}"`);
    const reserved = props.reservedConcurrency === false ? undefined : props.reservedConcurrency;
    const logRetention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;
    const common = { logRetention, logRemovalPolicy: removalPolicy, tracing: props.tracing };

    this.tables = new VigilTables(this, 'Tables', {
      tablePrefix: prefix,
      deletionProtection: !dev && (props.tableDeletionProtection ?? false),
      removalPolicy,
    });
    const { config, audit } = this.tables;
    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: names.bus,
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
      // As long as the largest group `timeoutSeconds` (30 s): the handler ends its storage wait before both the
      // API server's timeout and the invocation's remaining time, so a timeout never resets the cached config.
      timeout: Duration.seconds(30),
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
      scheduleGroupName: names.scheduleGroup,
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
    // Audit events the table does not take before a verdict is due wait in a queue, and are written from there.
    const auditReplay = (this.auditReplay = new AuditReplay(this, 'AuditReplay', {
      auditTable: audit,
      environment: tableEnv,
      logRetention,
      removalPolicy,
      tracing: props.tracing,
    }));
    admission.function.addEnvironment('VIGIL_AUDIT_FALLBACK_QUEUE_URL', auditReplay.queue.queueUrl);
    auditReplay.grantHold(admission.function);
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
    this.functions = {
      api,
      admission,
      enforcer,
      modeChange,
      auditExport: auditExport.handler,
      auditReplay: auditReplay.handler,
      bootstrap,
    };

    // Least privilege, by what each handler touches (functions/shared/runtime.ts, functions/admission/runtime.ts):
    // item actions only (no Scan, no stream reads), and the audit indexes only for the admin API's queries.
    grantItemActions(config, api.function, [...ITEM_READS, ...ITEM_WRITES]);
    // The admin API reads one event by key and queries the indexes; it reads no learned pod and queries no table key.
    grantItemActions(audit, api.function, ['dynamodb:GetItem'], { keyPrefix: auditKeys.eventPrefix });
    grantItemActions(audit, api.function, ['dynamodb:Query'], { on: 'indexes' });
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
    grantItemActions(config, admission.function, ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'], {
      partition: configKeys.decision,
    });
    // Learned pods: a lookup reads a name and its generateName records in one BatchGetItem, a lesson reads and puts
    // one record (docs/adr/0008); those are all its reads of the audit table, so it can read no event. Its events
    // go in BatchWriteItem calls of events only. Each statement is bounded by the key prefix of what it touches.
    grantItemActions(audit, admission.function, ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem'], {
      keyPrefix: auditKeys.podPrefix,
    });
    grantItemActions(audit, admission.function, ['dynamodb:BatchWriteItem'], { keyPrefix: auditKeys.eventPrefix });
    // Enforcers register and heartbeat (config table: updates of their ENFORCER partition only, so that a caller with
    // any group token reaches no policy, group or setting) and report events (audit table, conditional puts in
    // TransactWriteItems calls: IAM authorizes a transaction's Put as dynamodb:PutItem, so nothing more is granted).
    grantItemActions(config, enforcer.function, ITEM_READS);
    grantItemActions(config, enforcer.function, ['dynamodb:UpdateItem'], { partition: configKeys.enforcer });
    grantItemActions(audit, enforcer.function, ['dynamodb:PutItem'], { keyPrefix: auditKeys.eventPrefix });
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
      admissionThrottle: props.admissionThrottle,
      accessLogRetention: logRetention,
      accessLogRemovalPolicy: removalPolicy,
    });
    // Webhook URLs and manifests are built from it.
    api.function.addEnvironment('VIGIL_PUBLIC_URL', props.publicUrl ?? this.httpApi.url);

    this.console = props.console === false ? undefined : this.addConsole(api, props.console ?? {}, { removalPolicy, logRetention });

    this.protectionLayer = new ProtectionLayer(this, 'Protection', { removalPolicy });

    this.alarms = new VigilAlarms(this, 'Alarms', {
      webhook: admission.function,
      webhookRoute: this.httpApi.admissionRouteMetrics,
      // The bootstrap runs only during deployments, where CloudFormation reports its failures.
      functions: Object.fromEntries(
        Object.entries(this.functions)
          .filter(([name]) => name !== 'bootstrap')
          .map(([name, fn]) => [name, fn.function]),
      ),
      deadLetterQueues: {
        scheduler: this.scheduling.deadLetterQueue,
        auditExport: auditExport.failureQueue,
        auditReplay: auditReplay.deadLetterQueue,
      },
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
      description: 'Vigil protection layer: add it to Node.js or Python functions with AWS_LAMBDA_EXEC_WRAPPER=/opt/vigil/vigil-wrapper',
    });
    new CfnOutput(this, 'ConfigTableName', { value: config.tableName });
    new CfnOutput(this, 'AuditTableName', { value: audit.tableName });
    new CfnOutput(this, 'EventBusName', {
      value: this.bus.eventBusName,
      description: 'Vigil events (source "vigil"): add rules to route them',
    });
    new CfnOutput(this, 'ScheduleGroupName', { value: this.scheduling.group.scheduleGroupName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn, description: 'Alarm notifications: subscribe to it' });
    if (this.console) this.addConsoleOutputs(this.console);
  }

  /** Where to open the console and where its users live. */
  private addConsoleOutputs(parts: NonNullable<VigilStack['console']>): void {
    new CfnOutput(this, 'ConsoleUrl', {
      value: parts.hosting.url,
      description: 'The web console: sign in with a user of ConsoleUserPoolId',
    });
    new CfnOutput(this, 'ConsoleUserPoolId', {
      value: parts.signIn.userPool.userPoolId,
      description: `Console users: create them with aws cognito-idp admin-create-user and add them to the group ${CONSOLE_ADMIN_GROUP}`,
    });
    new CfnOutput(this, 'ConsoleSignInDomain', {
      value: parts.signIn.domainUrl,
      description:
        'Cognito sign-in domain: a federated IdP redirects to <domain>/saml2/idpresponse (SAML) or <domain>/oauth2/idpresponse (OIDC)',
    });
  }

  /**
   * The console's three parts, wired in the order their references need: the distribution's CSP names the
   * Cognito domain, the app client's redirect URI names the distribution, and the console API's authorizer
   * and the admin function name the app client.
   */
  private addConsole(
    api: VigilFunction,
    options: ConsoleOptions,
    shared: { readonly removalPolicy: RemovalPolicy; readonly logRetention: logs.RetentionDays },
  ): NonNullable<VigilStack['console']> {
    const domainPrefix =
      options.domainPrefix ?? Fn.join('', ['vigil-', Fn.select(0, Fn.split('-', Fn.select(2, Fn.split('/', Aws.STACK_ID))))]);
    const consoleApi = new ConsoleApi(this, 'ConsoleApi', {
      accessLogRetention: shared.logRetention,
      accessLogRemovalPolicy: shared.removalPolicy,
    });
    const hosting = new ConsoleHosting(this, 'Console', {
      apiDomainName: consoleApi.domainName,
      cognitoDomainUrl: cognitoDomainUrl(this, domainPrefix),
      removalPolicy: shared.removalPolicy,
      webAclArn: options.webAclArn,
    });
    const signIn = new ConsoleSignIn(this, 'ConsoleSignIn', {
      domainPrefix,
      consoleUrl: hosting.url,
      identityProvider: options.identityProvider,
      removalPolicy: shared.removalPolicy,
    });
    consoleApi.route({ handler: api.function, issuerUrl: signIn.issuerUrl, clientId: signIn.client.userPoolClientId });
    // The handler accepts a console token only from this API, of this client, of a member of the group.
    api.function.addEnvironment('VIGIL_CONSOLE_API_ID', consoleApi.api.apiId);
    api.function.addEnvironment('VIGIL_CONSOLE_ISSUER', signIn.issuerUrl);
    api.function.addEnvironment('VIGIL_CONSOLE_CLIENT_ID', signIn.client.userPoolClientId);
    api.function.addEnvironment('VIGIL_CONSOLE_ADMIN_GROUP', CONSOLE_ADMIN_GROUP);
    const deploymentLogs = new logs.LogGroup(this, 'ConsoleDeploymentLogs', {
      retention: shared.logRetention,
      removalPolicy: shared.removalPolicy,
    });
    hosting.deploy(
      { apiBaseUrl: '', cognitoDomain: signIn.domainUrl, clientId: signIn.client.userPoolClientId, redirectUri: hosting.url },
      deploymentLogs,
    );
    return { api: consoleApi, hosting, signIn };
  }
}
