// The deployed stack, synthesized once exactly as `npm run synth` does it (cdk.json context, local esbuild
// bundling, the protection layer build, cdk-nag AwsSolutions), then read as a CloudFormation template.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../functions/api/openapi.js';
import { matchRoute, routeKey, routes } from '../../functions/shared/routes.js';
import { tableDefinitions } from '../../functions/shared/storage/tables.js';
import { repoRoot } from '../../infra/lambda-bundling.js';
import { createVigilApp } from '../../infra/vigil-app.js';
import type { VigilStack } from '../../infra/vigil-stack.js';

type Resources = Record<string, { Type: string; Properties: Record<string, any>; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, unknown>;
  Principal?: unknown;
}

let outdir: string;
let stack: VigilStack;
let assembly: CloudAssembly;
let template: Template;
let resources: Resources;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'vigil-cdk-'));
  const { context } = JSON.parse(readFileSync(join(repoRoot, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const created = createVigilApp({ outdir, context });
  stack = created.stack;
  // Throws with the cdk-nag report when a finding is not acknowledged.
  assembly = created.app.synth();
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources as Resources;
}, 600_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

function ofType(type: string): Array<[string, Resources[string]]> {
  return Object.entries(resources).filter(([, r]) => r.Type === type);
}

function logicalId(construct: { node: { defaultChild?: unknown } }): string {
  return stack.resolve((construct.node.defaultChild as { logicalId: string }).logicalId) as string;
}

/** The stack's own functions: all but CDK's deployment function, which uploads the console (its own runtime). */
function vigilFunctions(): Array<[string, Resources[string]]> {
  const deployment = stack.console!.hosting.deployment!.handlerRole.node.scope as { node: { defaultChild?: unknown } };
  return ofType('AWS::Lambda::Function').filter(([id]) => id !== logicalId(deployment));
}

function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** Every identity-based statement attached to a role (its policies and inline policies). */
function statementsOfRole(roleId: string): Statement[] {
  const fromPolicies = ofType('AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
  const inline = ((resources[roleId]?.Properties.Policies ?? []) as Array<{ PolicyDocument: { Statement: Statement[] } }>).flatMap(
    (p) => p.PolicyDocument.Statement,
  );
  return [...fromPolicies, ...inline];
}

function statementsOfFunction(name: keyof VigilStack['functions']): Statement[] {
  return statementsOfRole(logicalId(stack.functions[name].role));
}

function actionsOn(statements: Statement[], resourceRef: string): string[] {
  return statements.filter((s) => JSON.stringify(s.Resource).includes(`"${resourceRef}"`)).flatMap(actionsOf);
}

describe('the audit fallback queue (docs/adr/0011)', () => {
  const queueOf = () => logicalId(stack.auditReplay.queue);

  it('is encrypted, TLS only, kept 14 days, and moves a message to its dead-letter queue after 100 receives', () => {
    expect(resources[queueOf()]!.Properties).toEqual({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
      VisibilityTimeout: 180,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack.auditReplay.deadLetterQueue), 'Arn'] }, maxReceiveCount: 100 },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueOf() }],
      PolicyDocument: { Statement: [Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })] },
    });
  });

  it('is named to the webhook, which may only send to it; the replay function consumes it with partial batch failures', () => {
    const admission = resources[logicalId(stack.functions.admission.function)]!;
    expect(admission.Properties.Environment.Variables.VIGIL_AUDIT_FALLBACK_QUEUE_URL).toEqual({ Ref: queueOf() });
    const queueArn = { 'Fn::GetAtt': [queueOf(), 'Arn'] };
    const onQueue = (name: keyof VigilStack['functions']) =>
      statementsOfFunction(name).filter((s) => JSON.stringify(s.Resource).includes(`"${queueOf()}"`));
    expect(onQueue('admission')).toEqual([{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: queueArn }]);
    expect(onQueue('auditReplay').flatMap(actionsOf).sort()).toEqual([
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:ReceiveMessage',
    ]);
    for (const name of ['api', 'enforcer', 'modeChange', 'auditExport', 'bootstrap'] as const) expect(onQueue(name)).toEqual([]);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: queueArn,
      FunctionName: { Ref: logicalId(stack.functions.auditReplay.function) },
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged finding', () => {
    // The plugin is attached (test/infra/variants.test.ts shows it failing synthesis on a new finding) and
    // reports nothing here: every finding of this stack is acknowledged where it arises.
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: Array<{ violations: unknown[] }>;
    };
    expect(report.pluginReports.flatMap((r) => r.violations)).toEqual([]);
  });
});

describe('Lambda functions', () => {
  it('are the seven functions, each on nodejs24.x, arm64, with active tracing and JSON logs', () => {
    const functions = vigilFunctions();
    expect(functions).toHaveLength(7);
    for (const [, fn] of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON' },
      });
    }
  });

  it('keep the webhook below the API server default timeout of 10 s and reserve no concurrency unless asked (new accounts have too little)', () => {
    const props = (name: keyof VigilStack['functions']) => resources[logicalId(stack.functions[name].function)]!.Properties;
    // The largest group timeoutSeconds the API allows (30 s), so that no webhook call outlives its invocation.
    expect(props('admission')).toMatchObject({ Timeout: 30, MemorySize: 1024 });
    expect(props('api').Timeout).toBeLessThan(30);
    for (const [, fn] of vigilFunctions()) expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('are ESM bundles with the SDK inside, a require banner and a source map', () => {
    for (const vigilFunction of Object.values(stack.functions)) {
      const code = resources[logicalId(vigilFunction.function)]!.Properties.Code as { S3Key: string };
      const dir = join(assembly.directory, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
      expect(readdirSync(dir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
      const bundle = readFileSync(join(dir, 'index.mjs'), 'utf8');
      expect(bundle.startsWith("import{createRequire as __vigilRequire}from'node:module';")).toBe(true);
      // Nothing is left for the runtime to resolve but Node's own modules.
      expect(bundle).not.toMatch(/from\s*["']@aws-sdk\//);
      expect(bundle).not.toMatch(/import\(\s*["']@aws-sdk\//);
    }
  });

  it('never log the incoming event, which holds the webhook secret in its path', () => {
    for (const [, fn] of vigilFunctions()) {
      const variables = (fn.Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
      expect(variables.POWERTOOLS_LOGGER_LOG_EVENT).toBeUndefined();
      expect(variables.NODE_OPTIONS).toBe('--enable-source-maps');
    }
  });
});

describe('IAM', () => {
  const allStatements = (): Statement[] => [
    ...ofType('AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]),
    ...ofType('AWS::IAM::ManagedPolicy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]),
    ...ofType('AWS::IAM::Role').flatMap(([, r]) =>
      ((r.Properties.Policies ?? []) as Array<{ PolicyDocument: { Statement: Statement[] } }>).flatMap((p) => p.PolicyDocument.Statement),
    ),
  ];

  it('grants no wildcard action anywhere', () => {
    const statements = allStatements();
    expect(statements.length).toBeGreaterThan(20);
    for (const statement of statements) {
      for (const action of actionsOf(statement)) expect(action, JSON.stringify(statement)).not.toMatch(/^\*$|:\*$/);
    }
  });

  it('uses Resource "*" only for the X-Ray actions, which have no resource-level permissions', () => {
    const unscoped = allStatements().filter((s) => JSON.stringify(s.Resource) === '"*"');
    expect(unscoped.length).toBe(7);
    for (const statement of unscoped) expect(actionsOf(statement).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });

  it('gives each function only the table access its handler needs', () => {
    const config = logicalId(stack.tables.config);
    const audit = logicalId(stack.tables.audit);
    const sorted = (actions: string[]) => [...new Set(actions)].sort();
    const itemReads = ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'];
    const itemReadsAndWrites = sorted([
      ...itemReads,
      'dynamodb:BatchWriteItem',
      'dynamodb:DeleteItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);

    const admission = statementsOfFunction('admission');
    // Decision snapshots: written (PutItem, TransactWriteItems) and pruned (BatchWriteItem) by the webhook.
    expect(sorted(actionsOn(admission, config))).toEqual(
      sorted([...itemReads, 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']),
    );
    // The internet-facing webhook may write only its own decision snapshots, never policies or groups.
    const configWrites = admission.filter(
      (s) => JSON.stringify(s.Resource).includes(`"${config}"`) && actionsOf(s).some((a) => /Put|Delete|Update|BatchWrite/.test(a)),
    );
    expect(configWrites.length).toBeGreaterThan(0);
    for (const statement of configWrites) {
      expect(actionsOf(statement)).not.toContain('dynamodb:UpdateItem');
      expect(statement.Condition).toEqual({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['DECISION'] } });
    }
    // Audit events in batches, learned pods by key (a lookup's keys in one BatchGetItem); it can neither list nor scan the events.
    expect(sorted(actionsOn(admission, audit))).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
    ]);

    const enforcer = statementsOfFunction('enforcer');
    // Enforcers register and heartbeat: the enforcer API writes nothing but its ENFORCER partition (it is reachable
    // with any group token, so it must not be able to rewrite policies, groups or settings).
    expect(sorted(actionsOn(enforcer, config))).toEqual(sorted([...itemReads, 'dynamodb:UpdateItem']));
    const enforcerConfigWrites = enforcer.filter(
      (s) => JSON.stringify(s.Resource).includes(`"${config}"`) && actionsOf(s).includes('dynamodb:UpdateItem'),
    );
    expect(enforcerConfigWrites.map((s) => [actionsOf(s), s.Condition])).toEqual([
      [['dynamodb:UpdateItem'], { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['ENFORCER'] } }],
    ]);
    expect(sorted(actionsOn(enforcer, audit))).toEqual(['dynamodb:PutItem']);

    const api = statementsOfFunction('api');
    expect(sorted(actionsOn(api, config))).toEqual(itemReadsAndWrites);
    expect(sorted(actionsOn(api, audit))).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);

    expect(sorted(actionsOn(statementsOfFunction('modeChange'), config))).toEqual(itemReadsAndWrites);
    expect(actionsOn(statementsOfFunction('modeChange'), audit)).toEqual([]);
    expect(sorted(actionsOn(statementsOfFunction('bootstrap'), config))).toEqual(itemReadsAndWrites);
    expect(actionsOn(statementsOfFunction('bootstrap'), audit)).toEqual([]);
    expect(actionsOn(statementsOfFunction('auditExport'), config)).toEqual([]);
    // The replay of queued audit events writes them in batches, and nothing else.
    expect(actionsOn(statementsOfFunction('auditReplay'), config)).toEqual([]);
    expect(actionsOn(statementsOfFunction('auditReplay'), audit)).toEqual(['dynamodb:BatchWriteItem']);
    // The export reads the stream only, never the table.
    const exportOnAudit = statementsOfFunction('auditExport').filter((s) => JSON.stringify(s.Resource).includes(`"${audit}"`));
    expect(exportOnAudit.map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': [audit, 'StreamArn'] }]);
    expect(exportOnAudit.flatMap(actionsOf).sort()).toEqual([
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
    ]);
  });

  it('bounds audit-table item access by key prefix: learned pods (POD#) and events (EVENT#) apart', () => {
    const audit = logicalId(stack.tables.audit);
    /** Each action on the audit table (not its indexes) with the condition of the statement that allows it. */
    const onAuditTable = (name: keyof VigilStack['functions']) =>
      Object.fromEntries(
        statementsOfFunction(name)
          .filter((s) => JSON.stringify(s.Resource).includes(`"${audit}"`) && !JSON.stringify(s.Resource).includes('/index/*'))
          .flatMap((s) => actionsOf(s).map((action) => [action, s.Condition])),
      );
    const leadingKeys = (prefix: string) => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${prefix}*`] } });
    // The webhook reads and writes learned pods by key, and batch-writes events: a webhook that is taken over can
    // read no event, and can write pods only as pods and events only as events.
    expect(onAuditTable('admission')).toEqual({
      'dynamodb:GetItem': leadingKeys('POD#'),
      'dynamodb:BatchGetItem': leadingKeys('POD#'),
      'dynamodb:PutItem': leadingKeys('POD#'),
      'dynamodb:BatchWriteItem': leadingKeys('EVENT#'),
    });
    expect(onAuditTable('enforcer')).toEqual({ 'dynamodb:PutItem': leadingKeys('EVENT#') });
    expect(onAuditTable('auditReplay')).toEqual({ 'dynamodb:BatchWriteItem': leadingKeys('EVENT#') });
    // The admin API reads one event by key, and queries the indexes only.
    expect(onAuditTable('api')).toEqual({ 'dynamodb:GetItem': leadingKeys('EVENT#') });
  });

  it('lets no role scan a table, and only the admin API read the audit indexes', () => {
    const statements = allStatements();
    for (const statement of statements) {
      expect(actionsOf(statement), JSON.stringify(statement)).not.toContain('dynamodb:Scan');
      expect(actionsOf(statement), JSON.stringify(statement)).not.toContain('dynamodb:DescribeTable');
    }
    const onIndexes = (name: keyof VigilStack['functions']) =>
      statementsOfFunction(name).filter((s) => JSON.stringify(s.Resource).includes('/index/*'));
    expect(onIndexes('api').flatMap(actionsOf).sort()).toEqual(['dynamodb:Query']);
    for (const name of ['admission', 'enforcer', 'modeChange', 'auditExport', 'auditReplay', 'bootstrap'] as const)
      expect(onIndexes(name)).toEqual([]);
  });

  it('lets only the API manage schedules, only in the Vigil group, and pass only the Scheduler role, only to the Scheduler', () => {
    const schedulerRole = logicalId(stack.scheduling.schedulerRole);
    for (const name of ['admission', 'enforcer', 'modeChange', 'auditExport', 'auditReplay', 'bootstrap'] as const) {
      expect(
        statementsOfFunction(name)
          .flatMap(actionsOf)
          .filter((a) => a.startsWith('scheduler:') || a.startsWith('iam:')),
      ).toEqual([]);
    }
    const api = statementsOfFunction('api');
    const schedules = api.filter((s) => actionsOf(s).some((a) => a.startsWith('scheduler:')));
    expect(schedules).toHaveLength(1);
    expect(actionsOf(schedules[0]!).sort()).toEqual([
      'scheduler:CreateSchedule',
      'scheduler:DeleteSchedule',
      'scheduler:GetSchedule',
      'scheduler:UpdateSchedule',
    ]);
    expect(schedules[0]!.Resource).toEqual({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':scheduler:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':schedule/vigil-mode-changes/*',
        ],
      ],
    });
    const passRole = api.filter((s) => actionsOf(s).includes('iam:PassRole'));
    expect(passRole).toEqual([
      {
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: { 'Fn::GetAtt': [schedulerRole, 'Arn'] },
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      },
    ]);
  });

  it('lets the Scheduler role invoke the mode-change function and send to its dead-letter queue, nothing else', () => {
    const schedulerRole = logicalId(stack.scheduling.schedulerRole);
    const statements = statementsOfRole(schedulerRole);
    const invoke = statements.filter((s) => actionsOf(s).includes('lambda:InvokeFunction'));
    expect(invoke).toEqual([
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: { 'Fn::GetAtt': [logicalId(stack.functions.modeChange.function), 'Arn'] },
      },
    ]);
    const others = statements.filter((s) => !actionsOf(s).includes('lambda:InvokeFunction'));
    expect(others.flatMap(actionsOf).sort()).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
    expect(others.map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': [logicalId(stack.scheduling.deadLetterQueue), 'Arn'] }]);
    // Trust: EventBridge Scheduler, on behalf of this account's Vigil schedule group only.
    expect(resources[schedulerRole]!.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [logicalId(stack.scheduling.group), 'Arn'] } },
        },
      },
    ]);
  });

  it('scopes eks:DescribeCluster to this account and lets only the mode-change and export functions publish, to the Vigil bus', () => {
    const describe = statementsOfFunction('api').filter((s) => actionsOf(s).includes('eks:DescribeCluster'));
    expect(describe.map((s) => s.Resource)).toEqual([
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':eks:*:', { Ref: 'AWS::AccountId' }, ':cluster/*']] },
    ]);
    const bus = { 'Fn::GetAtt': [logicalId(stack.bus), 'Arn'] };
    for (const name of ['modeChange', 'auditExport'] as const) {
      expect(
        statementsOfFunction(name)
          .filter((s) => actionsOf(s).includes('events:PutEvents'))
          .map((s) => s.Resource),
      ).toEqual([bus]);
    }
    for (const name of ['api', 'admission', 'enforcer', 'bootstrap'] as const)
      expect(statementsOfFunction(name).flatMap(actionsOf)).not.toContain('events:PutEvents');
  });
});

describe('DynamoDB tables', () => {
  const definitions = tableDefinitions('vigil-');

  it('have exactly the keys and indexes of functions/shared/storage/tables.ts, on demand', () => {
    for (const [table, definition] of [
      [stack.tables.config, definitions.config],
      [stack.tables.audit, definitions.audit],
    ] as const) {
      const props = resources[logicalId(table)]!.Properties;
      expect(props.TableName).toBe(definition.TableName);
      expect(props.BillingMode).toBe('PAY_PER_REQUEST');
      expect(props.KeySchema).toEqual(definition.KeySchema);
      expect([...props.AttributeDefinitions].sort((a: any, b: any) => a.AttributeName.localeCompare(b.AttributeName))).toEqual(
        [...definition.AttributeDefinitions!].sort((a, b) => a.AttributeName!.localeCompare(b.AttributeName!)),
      );
      expect(props.GlobalSecondaryIndexes ?? []).toEqual(definition.GlobalSecondaryIndexes ?? []);
    }
  });

  it('are encrypted with the AWS-managed KMS key, with point-in-time recovery, kept on stack deletion but not by a failed create', () => {
    for (const table of [stack.tables.config, stack.tables.audit]) {
      const resource = resources[logicalId(table)]!;
      expect(resource.Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
      // Deletion protection would also refuse the rollback of a failed first deployment: opt-in once deployed.
      expect(resource.Properties.Replicas).toEqual([
        expect.objectContaining({
          DeletionProtectionEnabled: false,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        }),
      ]);
      expect(resource.DeletionPolicy).toBe('RetainExceptOnCreate');
      expect(resource.UpdateReplacePolicy).toBe('Retain');
    }
  });

  it('expire audit items by the TTL attribute the code writes and stream new images; the config table neither', () => {
    const audit = resources[logicalId(stack.tables.audit)]!.Properties;
    expect(audit.TimeToLiveSpecification).toEqual({ AttributeName: definitions.auditTtlAttribute, Enabled: true });
    expect(audit.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
    const config = resources[logicalId(stack.tables.config)]!.Properties;
    expect(config.TimeToLiveSpecification).toBeUndefined();
    expect(config.StreamSpecification).toBeUndefined();
  });
});

describe('HTTP API', () => {
  const ofMainApi = (type: string) =>
    ofType(type).filter(([, r]) => JSON.stringify(r.Properties.ApiId) === JSON.stringify({ Ref: logicalId(stack.httpApi.api) }));
  const apiRoutes = () => ofMainApi('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties);

  it('has every route of functions/shared/routes.ts and no other (no catch-all)', () => {
    expect(
      apiRoutes()
        .map((r) => r.RouteKey as string)
        .sort(),
    ).toEqual(routes.map(routeKey).sort());
  });

  it('puts exactly the admin routes behind the IAM authorizer; the webhook, enforcer and public routes authenticate in the handler', () => {
    for (const route of routes) {
      const deployed = apiRoutes().find((r) => r.RouteKey === routeKey(route))!;
      expect(deployed.AuthorizationType, routeKey(route)).toBe(route.auth === 'admin' ? 'AWS_IAM' : 'NONE');
    }
    expect(apiRoutes().find((r) => r.RouteKey === 'POST /v1/admission/{cluster}/{secret}')!.AuthorizationType).toBe('NONE');
  });

  it('sends each route to its function', () => {
    const integrations = Object.fromEntries(
      ofType('AWS::ApiGatewayV2::Integration').map(([id, i]) => [id, JSON.stringify(i.Properties.IntegrationUri)]),
    );
    for (const route of routes) {
      const deployed = apiRoutes().find((r) => r.RouteKey === routeKey(route))!;
      const integrationId = (deployed.Target as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1][1] as { Ref: string };
      expect(integrations[integrationId.Ref], routeKey(route)).toContain(logicalId(stack.functions[route.function].function));
      expect(ofType('AWS::ApiGatewayV2::Integration').find(([id]) => id === integrationId.Ref)![1].Properties.PayloadFormatVersion).toBe(
        '2.0',
      );
    }
  });

  it('routes every operation of the OpenAPI document to the same route and function as local mode', () => {
    const methods = new Set(['get', 'put', 'post', 'delete', 'patch']);
    const paths = (openApiDocument() as { paths: Record<string, Record<string, unknown>> }).paths;
    const documented = Object.entries(paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((method) => methods.has(method))
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
    const deployed = apiRoutes().map((r) => r.RouteKey as string);
    expect(documented.sort()).toEqual([...deployed].sort());

    const integrationUris = Object.fromEntries(
      ofType('AWS::ApiGatewayV2::Integration').map(([id, i]) => [id, JSON.stringify(i.Properties.IntegrationUri)]),
    );
    const functionOf = (key: string) => {
      const target = apiRoutes().find((r) => r.RouteKey === key)!.Target as { 'Fn::Join': [string, Array<{ Ref: string }>] };
      return integrationUris[target['Fn::Join'][1][1]!.Ref];
    };
    // API Gateway's choice, as its route selection documents it: the route whose path is the request's exactly,
    // else the one parameter route that matches. A second parameter route matching the same request would be
    // ambiguous, and fails here.
    const apiGatewayRoute = (method: string, path: string): string | undefined => {
      const candidates = deployed.filter((key) => key.startsWith(`${method} `));
      const exact = candidates.find((key) => key === `${method} ${path}`);
      if (exact) return exact;
      const pattern = (key: string) => new RegExp(`^${key.slice(method.length + 1).replace(/\{[^}]+\}/g, '[^/]+')}$`);
      const matching = candidates.filter((key) => pattern(key).test(path));
      expect(matching, `${method} ${path}`).toHaveLength(1);
      return matching[0];
    };
    for (const key of documented) {
      const [method, template] = key.split(' ') as [string, string];
      const request = template.replace(/\{[^}]+\}/g, 'sample-value');
      const local = matchRoute(method, request).route;
      expect(local && routeKey(local), key).toBe(key);
      expect(apiGatewayRoute(method, request), key).toBe(key);
      expect(functionOf(key), key).toContain(logicalId(stack.functions[local!.function].function));
    }
  });

  it('throttles the stage, the webhook route apart with its own metrics, and writes JSON access logs that name the route, never the path', () => {
    const [[stageId, stage]] = ofMainApi('AWS::ApiGatewayV2::Stage') as [[string, Resources[string] & { DependsOn?: string[] }]];
    expect(stage.Properties.StageName).toBe('$default');
    expect(stage.Properties.DefaultRouteSettings).toEqual({ ThrottlingBurstLimit: 1000, ThrottlingRateLimit: 500 });
    expect(stage.Properties.RouteSettings).toEqual({
      'POST /v1/admission/{cluster}/{secret}': { ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000, DetailedMetricsEnabled: true },
    });
    // Route settings refer to the route by key: it must exist before the stage is created or updated.
    const [[admissionRoute]] = ofType('AWS::ApiGatewayV2::Route').filter(
      ([, r]) => r.Properties.RouteKey === 'POST /v1/admission/{cluster}/{secret}',
    ) as [[string, unknown]];
    expect(stage.DependsOn, stageId).toContain(admissionRoute);
    const format = stage.Properties.AccessLogSettings.Format as string;
    expect(format).not.toContain('$context.path');
    expect(format).not.toContain('$context.resourcePath');
    expect(JSON.parse(format)).toMatchObject({
      requestId: '$context.requestId',
      routeKey: '$context.routeKey',
      status: '$context.status',
      caller: '$context.identity.userArn',
      // A throttled invoke never reaches the function: only Lambda's own status and error tell it apart.
      lambdaStatus: '$context.integration.integrationStatus',
      integrationError: '$context.integrationErrorMessage',
    });
    expect(stage.Properties.AccessLogSettings.DestinationArn).toEqual({ 'Fn::GetAtt': [logicalId(stack.httpApi.accessLogs), 'Arn'] });
  });

  it('logs access under /aws/vendedlogs/ (outside the account-wide resource policy), named uniquely per stack instance', () => {
    const group = resources[logicalId(stack.httpApi.accessLogs)]!;
    expect(group.Properties.LogGroupName).toEqual({
      'Fn::Join': [
        '',
        [
          '/aws/vendedlogs/apigateway/',
          { Ref: 'AWS::StackName' },
          '-access-',
          { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] },
        ],
      ],
    });
  });

  it('gives each function one invoke permission for the whole API', () => {
    const permissions = ofType('AWS::Lambda::Permission').filter(
      ([, p]) =>
        p.Properties.Principal === 'apigateway.amazonaws.com' &&
        JSON.stringify(p.Properties.SourceArn).includes(`"${logicalId(stack.httpApi.api)}"`),
    );
    expect(permissions.map(([, p]) => JSON.stringify(p.Properties.FunctionName)).sort()).toEqual(
      (['admission', 'api', 'enforcer'] as const)
        .map((name) => JSON.stringify({ 'Fn::GetAtt': [logicalId(stack.functions[name].function), 'Arn'] }))
        .sort(),
    );
  });

  it('hands the API URL to the admin function for webhook URLs', () => {
    expect(resources[logicalId(stack.functions.api.function)]!.Properties.Environment.Variables.VIGIL_PUBLIC_URL).toEqual({
      'Fn::GetAtt': [logicalId(stack.httpApi.api), 'ApiEndpoint'],
    });
  });
});

describe('bootstrap', () => {
  it('runs during the deployment, after the config table exists, and again when its code changes', () => {
    const [[, run]] = ofType('Custom::VigilBootstrap') as [[string, Resources[string] & { DependsOn?: string[] }]];
    const bootstrap = resources[logicalId(stack.functions.bootstrap.function)]!;
    expect(run.Properties.ServiceToken).toEqual({ 'Fn::GetAtt': [logicalId(stack.functions.bootstrap.function), 'Arn'] });
    expect(run.Properties.CodeKey).toBe(bootstrap.Properties.Code.S3Key);
    expect(run.Properties.CodeKey).toMatch(/^[0-9a-f]{64}\.zip$/);
    expect(run.DependsOn).toContain(logicalId(stack.tables.config));
    expect(bootstrap.Properties.Environment.Variables.VIGIL_TABLE_PREFIX).toBe('vigil-');
  });
});

describe('scheduled mode changes', () => {
  it('have a schedule group, an encrypted TLS-only dead-letter queue and the settings the API function reads', () => {
    template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'vigil-mode-changes' });
    // A fixed name: kept when the stack is deleted (README, teardown), deleted by a failed first deployment.
    expect(resources[logicalId(stack.scheduling.group)]).toMatchObject({
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
    });
    const queue = logicalId(stack.scheduling.deadLetterQueue);
    expect(resources[queue]!.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queue }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    expect(resources[logicalId(stack.functions.api.function)]!.Properties.Environment.Variables).toMatchObject({
      VIGIL_TABLE_PREFIX: 'vigil-',
      VIGIL_SCHEDULE_GROUP: 'vigil-mode-changes',
      VIGIL_MODE_CHANGE_FUNCTION_ARN: { 'Fn::GetAtt': [logicalId(stack.functions.modeChange.function), 'Arn'] },
      VIGIL_SCHEDULER_ROLE_ARN: { 'Fn::GetAtt': [logicalId(stack.scheduling.schedulerRole), 'Arn'] },
      VIGIL_SCHEDULER_DLQ_ARN: { 'Fn::GetAtt': [queue, 'Arn'] },
    });
  });

  it('sweep overdue changes every 5 minutes through the mode-change function', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalId(stack.functions.modeChange.function), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 240 },
        }),
      ],
    });
  });
});

describe('audit export', () => {
  it('consumes new audit events from the stream with bisecting retries, partial batch failures and a failure queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack.tables.audit), 'StreamArn'] },
      FunctionName: { Ref: logicalId(stack.functions.auditExport.function) },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 5,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AuditExportFailureQueue'), 'Arn'] } } },
      FilterCriteria: {
        Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'], dynamodb: { Keys: { pk: { S: [{ prefix: 'EVENT#' }] } } } }) }],
      },
    });
    expect(resources[logicalId(stack.functions.auditExport.function)]!.Properties.Environment.Variables.VIGIL_EVENT_BUS_NAME).toEqual({
      Ref: logicalId(stack.bus),
    });
  });
});

describe('protection layer', () => {
  it('is published for Node.js 22 and 24 and Python 3.11 to 3.13 on arm64 and x86_64, with the wrapper, the preload, both ESM entries, the exec guard of both and the Python package with its bytecode', () => {
    const layer = resources[logicalId(stack.protectionLayer.layer)]!;
    expect(layer.Properties.CompatibleRuntimes).toEqual(['nodejs22.x', 'nodejs24.x', 'python3.11', 'python3.12', 'python3.13']);
    expect(layer.Properties.CompatibleArchitectures).toEqual(['arm64', 'x86_64']);
    const dir = join(assembly.directory, `asset.${(layer.Properties.Content.S3Key as string).replace(/\.zip$/, '')}`, 'vigil');
    expect(readdirSync(dir).sort()).toEqual(['guard', 'middy.mjs', 'preload.cjs', 'protect.mjs', 'vigil-wrapper']);
    // The wrapper picks the library by the machine's dynamic loader: each is an ELF object for its architecture.
    const machineOf = (file: string) => readFileSync(join(dir, 'guard', file)).readUInt16LE(18);
    expect(machineOf('x86_64/vigil-guard.so')).toBe(62); // EM_X86_64
    expect(machineOf('aarch64/vigil-guard.so')).toBe(183); // EM_AARCH64
    expect(statSync(join(dir, 'vigil-wrapper')).mode & 0o111).not.toBe(0);
    expect(existsSync(join(dir, 'node_modules'))).toBe(false);
    // Lambda puts a layer's python/ on a Python runtime's sys.path: /opt/python/vigil is importable as `vigil`.
    const modules = ['__init__', 'bootstrap', 'client', 'guard', 'hooks', 'protection', 'rules'];
    expect(readdirSync(join(dir, '..', 'python', 'vigil')).sort()).toEqual(['__pycache__', ...modules.map((m) => `${m}.py`)].sort());
    // With the bytecode the build compiled, at least for the machine's python3.11 (docs/protection-layer.md, "Bytecode").
    expect(readdirSync(join(dir, '..', 'python', 'vigil', '__pycache__'))).toEqual(
      expect.arrayContaining(modules.map((m) => `${m}.cpython-311.pyc`)),
    );
  });
});

describe('alarms', () => {
  const alarms = () => ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
  const dimensionOf = (alarm: Record<string, any>) => JSON.stringify(alarm.Dimensions);

  it('watch the 4xx answers (wrong secrets, throttling) of the webhook route', () => {
    const clientErrors = alarms().filter((a) => a.MetricName === '4xx');
    expect(clientErrors).toEqual([
      expect.objectContaining({
        Namespace: 'AWS/ApiGateway',
        Statistic: 'Sum',
        Period: 300,
        Threshold: 10,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      }),
    ]);
    expect(clientErrors[0]!.Dimensions).toEqual(
      expect.arrayContaining([
        { Name: 'ApiId', Value: { Ref: logicalId(stack.httpApi.api) } },
        { Name: 'Stage', Value: '$default' },
        { Name: 'Route', Value: 'POST /v1/admission/{cluster}/{secret}' },
      ]),
    );
    expect(clientErrors[0]!.Dimensions).toHaveLength(3);
  });

  it('watch webhook errors and p99 latency', () => {
    const admission = JSON.stringify([{ Name: 'FunctionName', Value: { Ref: logicalId(stack.functions.admission.function) } }]);
    const errors = alarms().filter((a) => a.MetricName === 'Errors' && dimensionOf(a) === admission);
    expect(errors).toEqual([
      expect.objectContaining({ Statistic: 'Sum', Threshold: 1, EvaluationPeriods: 1, TreatMissingData: 'notBreaching' }),
    ]);
    const latency = alarms().filter((a) => a.MetricName === 'Duration' && dimensionOf(a) === admission);
    expect(latency).toEqual([
      expect.objectContaining({ ExtendedStatistic: 'p99', Threshold: 2000, EvaluationPeriods: 3, DatapointsToAlarm: 3 }),
    ]);
  });

  it('watch throttles of every function and the depth of both dead-letter queues', () => {
    const throttled = alarms()
      .filter((a) => a.MetricName === 'Throttles')
      .map(dimensionOf)
      .sort();
    const { bootstrap: _deployTimeOnly, ...runtimeFunctions } = stack.functions;
    expect(throttled).toEqual(
      Object.values(runtimeFunctions)
        .map((f) => JSON.stringify([{ Name: 'FunctionName', Value: { Ref: logicalId(f.function) } }]))
        .sort(),
    );
    const depth = alarms()
      .filter((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible')
      .map((a) => JSON.stringify(a.Dimensions[0].Value))
      .sort();
    expect(depth).toEqual(
      [stack.scheduling.deadLetterQueue, stack.auditExport.failureQueue, stack.auditReplay.deadLetterQueue]
        .map((q) => JSON.stringify({ 'Fn::GetAtt': [logicalId(q), 'QueueName'] }))
        .sort(),
    );
  });

  it('notify an SNS topic encrypted with a rotating customer-managed key that CloudWatch may use', () => {
    expect(alarms()).toHaveLength(12);
    const topic = ofType('AWS::SNS::Topic')[0]![0];
    for (const alarm of alarms()) {
      expect(alarm.AlarmActions).toEqual([{ Ref: topic }]);
      expect(alarm.OKActions).toEqual([{ Ref: topic }]);
    }
    const [[keyId, key]] = ofType('AWS::KMS::Key') as [[string, Resources[string]]];
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(resources[topic]!.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(key.Properties.KeyPolicy.Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey'] }),
      ]),
    );
  });
});

describe('outputs and logs', () => {
  it('output what users copy: API URL, admin policy, layer ARN, table names, bus, schedule group, alarm topic, console URL, user pool, sign-in domain', () => {
    expect(Object.keys(template.toJSON().Outputs as object).sort()).toEqual(
      [
        'AdminPolicyArn',
        'AlarmTopicArn',
        'ApiUrl',
        'AuditTableName',
        'ConfigTableName',
        'ConsoleSignInDomain',
        'ConsoleUrl',
        'ConsoleUserPoolId',
        'EventBusName',
        'ProtectionLayerArn',
        'ScheduleGroupName',
      ].sort(),
    );
  });

  it('keep every log group for 90 days and retain it with the stack', () => {
    const groups = ofType('AWS::Logs::LogGroup');
    // The seven functions', the two APIs' access logs and the console deployment's.
    expect(groups).toHaveLength(10);
    for (const [, group] of groups) {
      expect(group.Properties.RetentionInDays).toBe(90);
      expect(group.DeletionPolicy).toBe('RetainExceptOnCreate');
    }
  });

  it('retain nothing that a failed first deployment created (its rollback deletes it, so a retry finds no leftovers)', () => {
    for (const [id, resource] of Object.entries(resources)) expect(resource.DeletionPolicy, id).not.toBe('Retain');
    const kept = Object.entries(resources).filter(([, r]) => r.DeletionPolicy?.startsWith('Retain'));
    // Tables, log groups, queues, schedule group, the alarm key, the layer version.
    expect(kept.length).toBeGreaterThanOrEqual(14);
    for (const [id, resource] of kept) {
      expect(resource.DeletionPolicy, id).toBe('RetainExceptOnCreate');
      expect(resource.UpdateReplacePolicy, id).toBe('Retain');
    }
  });
});

describe('web console in AWS (docs/adr/0019)', () => {
  const id = (construct: { node: { defaultChild?: unknown } }) => logicalId(construct);
  const hosting = () => stack.console!.hosting;
  const signIn = () => stack.console!.signIn;
  const distributionId = () => id(hosting().distribution);
  const consoleUrl = () => ({ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId(), 'DomainName'] }, '/']] });
  // `vigil-` and the first group of the stack id's UUID.
  const stackIdPart = { 'Fn::Select': [0, { 'Fn::Split': ['-', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }] }] };
  const domainPrefix = { 'Fn::Join': ['', ['vigil-', stackIdPart]] };

  it('keeps the built console in a private, TLS-only, encrypted bucket, kept like the stack data', () => {
    const bucket = resources[id(hosting().bucket)]!;
    expect(bucket.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    expect(bucket.Properties.WebsiteConfiguration).toBeUndefined();
    expect(bucket.DeletionPolicy).toBe('RetainExceptOnCreate');
  });

  it('lets only this distribution read the bucket (origin access control, AWS:SourceArn), and nobody without TLS', () => {
    const [[, policy]] = ofType('AWS::S3::BucketPolicy').filter(
      ([, p]) => JSON.stringify(p.Properties.Bucket) === JSON.stringify({ Ref: id(hosting().bucket) }),
    ) as [[string, Resources[string]]];
    const bucketArn = { 'Fn::GetAtt': [id(hosting().bucket), 'Arn'] };
    const objects = { 'Fn::Join': ['', [bucketArn, '/*']] };
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:*',
        Resource: [bucketArn, objects],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Effect: 'Allow',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 's3:GetObject',
        Resource: objects,
        Condition: {
          StringEquals: {
            'AWS:SourceArn': {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':cloudfront::',
                  { Ref: 'AWS::AccountId' },
                  ':distribution/',
                  { Ref: distributionId() },
                ],
              ],
            },
          },
        },
      },
    ]);
    const [[oacId, oac]] = ofType('AWS::CloudFront::OriginAccessControl') as [[string, Resources[string]]];
    expect(oac.Properties.OriginAccessControlConfig).toMatchObject({
      OriginAccessControlOriginType: 's3',
      SigningBehavior: 'always',
      SigningProtocol: 'sigv4',
    });
    const s3Origin = resources[distributionId()]!.Properties.DistributionConfig.Origins.find((o: any) => o.S3OriginConfig);
    expect(s3Origin).toMatchObject({
      OriginAccessControlId: { 'Fn::GetAtt': [oacId, 'Id'] },
      S3OriginConfig: { OriginAccessIdentity: '' },
    });
    expect(ofType('AWS::CloudFront::CloudFrontOriginAccessIdentity')).toEqual([]);
  });

  it('serves the console at / and the console API at /v1/* on one origin, uncached, without rewriting API errors into the page', () => {
    const config = resources[distributionId()]!.Properties.DistributionConfig;
    expect(config.DefaultRootObject).toBe('index.html');
    // An error page answered with 200 would turn the API's 401, 403 and 404 into the console's HTML.
    expect(config.CustomErrorResponses).toBeUndefined();
    const headers = { Ref: id(hosting().headers) };
    expect(config.DefaultCacheBehavior).toMatchObject({
      AllowedMethods: ['GET', 'HEAD'],
      ViewerProtocolPolicy: 'redirect-to-https',
      CachePolicyId: '658327ea-f89d-4fab-a63d-7e88639e58f6', // CachingOptimized
      ResponseHeadersPolicyId: headers,
    });
    expect(config.CacheBehaviors).toHaveLength(1);
    const [api] = config.CacheBehaviors;
    expect(api).toMatchObject({
      PathPattern: '/v1/*',
      AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
      ViewerProtocolPolicy: 'https-only',
      CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad', // CachingDisabled: nothing of the API is cached
      OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac', // AllViewerExceptHostHeader: Authorization reaches the API
      ResponseHeadersPolicyId: headers,
    });
    const apiOrigin = config.Origins.find((o: any) => o.Id === api.TargetOriginId);
    expect(apiOrigin).toEqual({
      Id: api.TargetOriginId,
      DomainName: { 'Fn::Select': [2, { 'Fn::Split': ['/', { 'Fn::GetAtt': [id(stack.console!.api.api), 'ApiEndpoint'] }] }] },
      CustomOriginConfig: { OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] },
    });
  });

  it('sends a strict CSP (own scripts, no inline; connect only to itself and the Cognito domain), HSTS, nosniff, DENY and no referrer', () => {
    const policy = resources[id(hosting().headers)]!.Properties.ResponseHeadersPolicyConfig;
    expect(policy.SecurityHeadersConfig).toEqual({
      ContentSecurityPolicy: {
        Override: true,
        ContentSecurityPolicy: {
          'Fn::Join': [
            '',
            [
              "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' https://vigil-",
              stackIdPart,
              '.auth.',
              { Ref: 'AWS::Region' },
              ".amazoncognito.com; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            ],
          ],
        },
      },
      StrictTransportSecurity: { AccessControlMaxAgeSec: 31_536_000, IncludeSubdomains: true, Override: true },
      ContentTypeOptions: { Override: true },
      FrameOptions: { FrameOption: 'DENY', Override: true },
      ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
    });
    // The CSP names the same domain the user pool gets.
    expect(resources[id(signIn().domain)]!.Properties.Domain).toEqual(domainPrefix);
  });

  it('uploads the console built by esbuild and a config.json naming the Cognito domain, the client and the console URL', () => {
    const [[, upload]] = ofType('Custom::CDKBucketDeployment') as [[string, Resources[string]]];
    expect(upload.Properties).toMatchObject({
      DestinationBucketName: { Ref: id(hosting().bucket) },
      Prune: true,
      RetainOnDelete: false,
      SystemMetadata: { 'cache-control': 'no-cache' },
    });
    const files = (upload.Properties.SourceObjectKeys as string[]).map((key) => {
      const dir = join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`);
      const [name] = readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1));
      return { name: name!, text: readFileSync(join(dir, name!), 'utf8') };
    });
    expect(files.map((f) => f.name).sort()).toEqual(['assets/app.css', 'assets/app.js', 'config.json', 'index.html']);
    expect(files.find((f) => f.name === 'index.html')!.text).toContain('<script type="module" src="/assets/app.js"></script>');
    const config = JSON.parse(files.find((f) => f.name === 'config.json')!.text) as Record<string, string>;
    const markers = (upload.Properties.SourceMarkers as Array<Record<string, unknown>>)[files.findIndex((f) => f.name === 'config.json')]!;
    // Each deploy-time value as a marker replaced by the reference CloudFormation resolves.
    const resolved = Object.fromEntries(
      Object.entries(config).map(([key, value]) => [
        key,
        Object.entries(markers).reduce((text, [marker, ref]) => text.replace(marker, JSON.stringify(ref)), value),
      ]),
    );
    expect(resolved).toEqual({
      apiBaseUrl: '',
      cognitoDomain: `https://${JSON.stringify({ Ref: id(signIn().domain) })}.auth.${JSON.stringify({ Ref: 'AWS::Region' })}.amazoncognito.com`,
      clientId: JSON.stringify({ Ref: id(signIn().client) }),
      redirectUri: `https://${JSON.stringify({ 'Fn::GetAtt': [distributionId(), 'DomainName'] })}/`,
    });
  });

  it('signs users in through a user pool without self sign-up, with a strong password, required TOTP and enforced threat protection', () => {
    const pool = resources[id(signIn().userPool)]!;
    expect(pool.Properties).toMatchObject({
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      Policies: {
        PasswordPolicy: {
          MinimumLength: 14,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
          TemporaryPasswordValidityDays: 3,
          PasswordHistorySize: 5,
        },
      },
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
    });
    expect(pool.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(ofType('AWS::Cognito::UserPoolIdentityProvider')).toEqual([]);
    template.hasResourceProperties('AWS::Cognito::UserPoolGroup', {
      GroupName: 'vigil-admins',
      UserPoolId: { Ref: id(signIn().userPool) },
    });
  });

  it('gives the console a public client: code with PKCE only, no secret, no API sign-in flows, short tokens, its own URL only', () => {
    expect(resources[id(signIn().client)]!.Properties).toEqual({
      UserPoolId: { Ref: id(signIn().userPool) },
      GenerateSecret: false,
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid'],
      CallbackURLs: [consoleUrl()],
      LogoutURLs: [consoleUrl()],
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
      SupportedIdentityProviders: ['COGNITO'],
      AccessTokenValidity: 30,
      IdTokenValidity: 30,
      RefreshTokenValidity: 60,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'minutes' },
      EnableTokenRevocation: true,
      PreventUserExistenceErrors: 'ENABLED',
    });
  });

  it('puts exactly the admin routes of the admin function on the console API, each behind the JWT authorizer of the pool and client', () => {
    const apiRef = JSON.stringify({ Ref: id(stack.console!.api.api) });
    const [[authorizerId, authorizer]] = ofType('AWS::ApiGatewayV2::Authorizer') as [[string, Resources[string]]];
    expect(authorizer.Properties).toEqual({
      ApiId: { Ref: id(stack.console!.api.api) },
      Name: 'ConsoleJwt',
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Issuer: { 'Fn::GetAtt': [id(signIn().userPool), 'ProviderURL'] },
        Audience: [{ Ref: id(signIn().client) }],
      },
    });
    const consoleRoutes = ofType('AWS::ApiGatewayV2::Route').filter(([, r]) => JSON.stringify(r.Properties.ApiId) === apiRef);
    expect(consoleRoutes.map(([, r]) => r.Properties.RouteKey as string).sort()).toEqual(
      routes
        .filter((r) => r.auth === 'admin' && r.function === 'api')
        .map(routeKey)
        .sort(),
    );
    for (const [, route] of consoleRoutes)
      expect(route.Properties).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: authorizerId } });
    const integrations = ofType('AWS::ApiGatewayV2::Integration').filter(([, i]) => JSON.stringify(i.Properties.ApiId) === apiRef);
    expect(integrations).toHaveLength(1);
    expect(integrations[0]![1].Properties).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [logicalId(stack.functions.api.function), 'Arn'] },
    });
    const [[, stage]] = ofType('AWS::ApiGatewayV2::Stage').filter(([, r]) => JSON.stringify(r.Properties.ApiId) === apiRef) as [
      [string, Resources[string]],
    ];
    expect(stage.Properties.DefaultRouteSettings).toEqual({ ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50 });
    expect(JSON.parse(stage.Properties.AccessLogSettings.Format as string)).toMatchObject({
      routeKey: '$context.routeKey',
      caller: '$context.authorizer.claims.username',
      subject: '$context.authorizer.claims.sub',
    });
  });

  it('tells the admin function which console tokens to accept: this API, issuer and client, members of vigil-admins', () => {
    expect(resources[logicalId(stack.functions.api.function)]!.Properties.Environment.Variables).toMatchObject({
      VIGIL_CONSOLE_API_ID: { Ref: id(stack.console!.api.api) },
      VIGIL_CONSOLE_ISSUER: { 'Fn::GetAtt': [id(signIn().userPool), 'ProviderURL'] },
      VIGIL_CONSOLE_CLIENT_ID: { Ref: id(signIn().client) },
      VIGIL_CONSOLE_ADMIN_GROUP: 'vigil-admins',
    });
  });
});
