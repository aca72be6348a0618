// The stack's documented context overrides, cdk-nag failing synthesis on a new finding, and the construct
// users import to protect their own functions. Bundling is skipped here (stack.test.ts bundles for real).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../infra/lambda-bundling.js';
import { VIGIL_EXEC_WRAPPER, VigilProtection, VigilToken } from '../../infra/protected-function.js';
import { contextKeys, createVigilApp } from '../../infra/vigil-app.js';

type Resources = Record<string, { Type: string; Properties: Record<string, any>; DeletionPolicy?: string }>;

const cdkContext = (JSON.parse(readFileSync(join(repoRoot, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
const outdirs: string[] = [];
const WEB_ACL_ARN = 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/vigil-console/0a1b2c3d-4e5f-6789-abcd-ef0123456789';

/** An app as `cdk synth -c …` builds it, without bundling the functions (their code is not under test here). */
function vigilApp(context: Record<string, unknown>) {
  const outdir = mkdtempSync(join(tmpdir(), 'vigil-cdk-variant-'));
  outdirs.push(outdir);
  return { outdir, ...createVigilApp({ outdir, context: { ...cdkContext, [BUNDLING_STACKS]: [], ...context } }) };
}

afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

describe('a dev stack (-c vigil:devStack=true -c vigil:deletionProtection=true -c vigil:tracing=false -c vigil:alarmEmail=… -c vigil:stackName=…, a SAML IdP for the console)', () => {
  let resources: Resources;

  beforeAll(() => {
    const { app, stack } = vigilApp({
      [contextKeys.devStack]: 'true',
      // A dev stack is never protected: it is meant to be deleted.
      [contextKeys.deletionProtection]: 'true',
      [contextKeys.tracing]: 'false',
      [contextKeys.alarmEmail]: 'security@example.com',
      [contextKeys.stackName]: 'VigilDev',
      [contextKeys.consoleDomainPrefix]: 'example-vigil-dev',
      [contextKeys.consoleIdp]: 'saml',
      [contextKeys.consoleIdpName]: 'Okta',
      [contextKeys.consoleIdpMetadataUrl]: 'https://example.okta.com/app/abc123/sso/saml/metadata',
    });
    app.synth();
    resources = Template.fromStack(stack).toJSON().Resources as Resources;
  }, 120_000);

  const ofType = (type: string) => Object.values(resources).filter((r) => r.Type === type);
  const idOf = (type: string) => Object.entries(resources).find(([, r]) => r.Type === type)![0];

  it('names its tables, bus and schedule group after the stack', () => {
    expect(
      ofType('AWS::DynamoDB::GlobalTable')
        .map((t) => t.Properties.TableName)
        .sort(),
    ).toEqual(['vigildev-audit', 'vigildev-config']);
    expect(ofType('AWS::Events::EventBus').map((b) => b.Properties.Name)).toEqual(['vigildev-events']);
    expect(ofType('AWS::Scheduler::ScheduleGroup').map((g) => g.Properties.Name)).toEqual(['vigildev-mode-changes']);
  });

  it('has no deletion protection and deletes its data, logs, queues, key and layer versions with the stack', () => {
    for (const table of ofType('AWS::DynamoDB::GlobalTable')) {
      expect(table.Properties.Replicas[0].DeletionProtectionEnabled).toBe(false);
      // Backups stay on: a dev stack still holds real test data while it lives.
      expect(table.Properties.Replicas[0].PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    }
    for (const type of [
      'AWS::DynamoDB::GlobalTable',
      'AWS::Logs::LogGroup',
      'AWS::SQS::Queue',
      'AWS::KMS::Key',
      'AWS::Lambda::LayerVersion',
      'AWS::Scheduler::ScheduleGroup',
    ]) {
      const found = ofType(type);
      expect(found.length, type).toBeGreaterThan(0);
      // No DeletionPolicy is CloudFormation's default, Delete (CDK's own layer of the console deployment).
      for (const resource of found) expect(resource.DeletionPolicy ?? 'Delete', type).toBe('Delete');
    }
  });

  it('federates the SAML IdP into the console pool: offered by the console client, email mapped, on the prefix given', () => {
    const [idp] = ofType('AWS::Cognito::UserPoolIdentityProvider');
    expect(idp!.Properties).toMatchObject({
      ProviderName: 'Okta',
      ProviderType: 'SAML',
      ProviderDetails: { MetadataURL: 'https://example.okta.com/app/abc123/sso/saml/metadata' },
      AttributeMapping: { email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress' },
    });
    const [client] = ofType('AWS::Cognito::UserPoolClient');
    // By reference: the client is created after the provider it names.
    expect(client!.Properties.SupportedIdentityProviders).toEqual(['COGNITO', { Ref: idOf('AWS::Cognito::UserPoolIdentityProvider') }]);
    expect(ofType('AWS::Cognito::UserPoolDomain').map((d) => d.Properties.Domain)).toEqual(['example-vigil-dev']);
    // A dev stack deletes its users, and the console bucket (emptied by the deployment's delete) with it.
    for (const type of ['AWS::Cognito::UserPool', 'AWS::S3::Bucket'])
      expect(
        ofType(type).map((r) => r.DeletionPolicy),
        type,
      ).toEqual(['Delete']);
  });

  it('traces nothing, and so needs no IAM statement on Resource "*"', () => {
    for (const fn of ofType('AWS::Lambda::Function')) expect(fn.Properties.TracingConfig).toBeUndefined();
    const statements = ofType('AWS::IAM::Policy').flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>,
    );
    expect(statements.length).toBeGreaterThan(10);
    expect(statements.filter((s) => JSON.stringify(s.Resource) === '"*"')).toEqual([]);
    expect(statements.flatMap((s) => [s.Action].flat()).filter((a) => a.startsWith('xray:'))).toEqual([]);
  });

  it('reserves no concurrency (the default) and subscribes the alarm address', () => {
    for (const fn of ofType('AWS::Lambda::Function')) expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
    expect(ofType('AWS::SNS::Subscription').map((s) => s.Properties)).toEqual([
      expect.objectContaining({ Protocol: 'email', Endpoint: 'security@example.com' }),
    ]);
  });
});

describe('a production stack with opt-ins (-c vigil:reserveConcurrency=true -c vigil:enforcerConcurrency=60 -c vigil:deletionProtection=true -c vigil:publicUrl=…, an OIDC IdP and a web ACL for the console)', () => {
  let resources: Resources;

  beforeAll(() => {
    const { app, stack } = vigilApp({
      [contextKeys.reserveConcurrency]: 'true',
      [contextKeys.enforcerConcurrency]: '60',
      [contextKeys.deletionProtection]: 'true',
      [contextKeys.publicUrl]: 'https://vigil.example.com',
      [contextKeys.consoleIdp]: 'oidc',
      [contextKeys.consoleIdpIssuer]: 'https://login.example.com/tenant-1/v2.0',
      [contextKeys.consoleIdpClientId]: 'vigil-console',
      [contextKeys.consoleIdpClientSecretName]: 'vigil/console-oidc',
      [contextKeys.consoleWebAclArn]: WEB_ACL_ARN,
    });
    app.synth();
    resources = Template.fromStack(stack).toJSON().Resources as Resources;
  }, 120_000);

  const functionsBy = (description: string) =>
    Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Description === description);

  it('reserves the default 50 for the webhook and the 60 given for the enforcer API, and nothing for the others', () => {
    expect(functionsBy('Vigil: EKS admission webhook').map((f) => f.Properties.ReservedConcurrentExecutions)).toEqual([50]);
    expect(
      functionsBy('Vigil: enforcer API (registration, policy bundles, events)').map((f) => f.Properties.ReservedConcurrentExecutions),
    ).toEqual([60]);
    const reserving = Object.values(resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.ReservedConcurrentExecutions !== undefined,
    );
    expect(reserving).toHaveLength(2);
  });

  it('protects both tables from deletion, still without retaining them on a failed create', () => {
    const tables = Object.values(resources).filter((r) => r.Type === 'AWS::DynamoDB::GlobalTable');
    expect(tables).toHaveLength(2);
    for (const table of tables) {
      expect(table.Properties.Replicas[0].DeletionProtectionEnabled).toBe(true);
      expect(table.DeletionPolicy).toBe('RetainExceptOnCreate');
    }
  });

  it('federates the OIDC IdP with its client secret as a Secrets Manager reference, never the secret', () => {
    const [idp] = Object.values(resources).filter((r) => r.Type === 'AWS::Cognito::UserPoolIdentityProvider');
    expect(idp!.Properties).toMatchObject({
      ProviderName: 'CompanyIdP',
      ProviderType: 'OIDC',
      ProviderDetails: {
        client_id: 'vigil-console',
        client_secret: '{{resolve:secretsmanager:vigil/console-oidc:SecretString:::}}',
        oidc_issuer: 'https://login.example.com/tenant-1/v2.0',
        authorize_scopes: 'openid email',
        attributes_request_method: 'GET',
      },
    });
    const [client] = Object.values(resources).filter((r) => r.Type === 'AWS::Cognito::UserPoolClient');
    const [idpId] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::Cognito::UserPoolIdentityProvider')!;
    expect(client!.Properties.SupportedIdentityProviders).toEqual(['COGNITO', { Ref: idpId }]);
  });

  it('attaches the web ACL to the console distribution', () => {
    const [distribution] = Object.values(resources).filter((r) => r.Type === 'AWS::CloudFront::Distribution');
    expect(distribution!.Properties.DistributionConfig.WebACLId).toBe(WEB_ACL_ARN);
  });

  it('builds webhook URLs from the public URL', () => {
    expect(functionsBy('Vigil: admin API')[0]!.Properties.Environment.Variables.VIGIL_PUBLIC_URL).toBe('https://vigil.example.com');
  });
});

describe('a stack without the console (-c vigil:console=false)', () => {
  let template: { Resources: Resources; Outputs: Record<string, unknown> };

  beforeAll(() => {
    const { app, stack } = vigilApp({ [contextKeys.console]: 'false' });
    // Synthesis runs cdk-nag: the stack without the console must be as clean as the one with it.
    app.synth();
    template = Template.fromStack(stack).toJSON() as typeof template;
  }, 120_000);

  const ofType = (type: string) => Object.values(template.Resources).filter((r) => r.Type === type);

  it('has no distribution, bucket deployment, user pool or console API, and no console outputs', () => {
    for (const type of [
      'AWS::CloudFront::Distribution',
      'AWS::Cognito::UserPool',
      'AWS::Cognito::UserPoolClient',
      'Custom::CDKBucketDeployment',
    ])
      expect(ofType(type), type).toHaveLength(0);
    expect(ofType('AWS::ApiGatewayV2::Api')).toHaveLength(1);
    expect(ofType('AWS::ApiGatewayV2::Authorizer')).toHaveLength(0);
    expect(Object.keys(template.Outputs).filter((name) => name.startsWith('Console'))).toEqual([]);
    expect(Object.keys(template.Outputs)).toContain('ApiUrl');
  });

  it('gives the admin function no console settings, so it accepts no console token', () => {
    const [admin] = ofType('AWS::Lambda::Function').filter((r) => r.Properties.Description === 'Vigil: admin API');
    expect(Object.keys(admin!.Properties.Environment.Variables).filter((name) => name.startsWith('VIGIL_CONSOLE_'))).toEqual([]);
  });
});

describe('context values', { timeout: 120_000 }, () => {
  it('refuse a flag that is neither true nor false', () => {
    expect(() => vigilApp({ [contextKeys.devStack]: 'yes' })).toThrow('context vigil:devStack must be true or false, not "yes"');
  });

  it('refuse a stack name whose schedule group name would pass 64 characters, at synthesis', () => {
    const longest = `V${'x'.repeat(50)}`;
    expect(longest).toHaveLength(51);
    const { stack } = vigilApp({ [contextKeys.stackName]: longest });
    expect(stack.scheduling.group.scheduleGroupName).toHaveLength(64);
    expect(() => vigilApp({ [contextKeys.stackName]: `${longest}x` })).toThrow(
      `the schedule group name "${longest.toLowerCase()}x-mode-changes" has 65 characters; EventBridge Scheduler allows 64. Use a stack name (context vigil:stackName) of at most 51 characters, or a name prefix of at most 52.`,
    );
  });

  it('refuse console IdP settings that are incomplete or not https, naming the context value', () => {
    expect(() => vigilApp({ [contextKeys.console]: 'no' })).toThrow('context vigil:console must be true or false, not "no"');
    expect(() => vigilApp({ [contextKeys.console]: 'false', [contextKeys.consoleIdp]: 'saml' })).toThrow(
      'context vigil:consoleIdp configures the console, which vigil:console=false leaves out',
    );
    expect(() => vigilApp({ [contextKeys.consoleIdp]: 'ldap' })).toThrow('context vigil:consoleIdp must be saml or oidc, not "ldap"');
    expect(() => vigilApp({ [contextKeys.consoleIdp]: 'saml' })).toThrow(
      'context vigil:consoleIdpMetadataUrl is required with vigil:consoleIdp=saml',
    );
    expect(() =>
      vigilApp({ [contextKeys.consoleIdp]: 'saml', [contextKeys.consoleIdpMetadataUrl]: 'http://idp.example.com/metadata' }),
    ).toThrow('context vigil:consoleIdpMetadataUrl must be an https URL, not "http://idp.example.com/metadata"');
    expect(() =>
      vigilApp({
        [contextKeys.consoleIdp]: 'oidc',
        [contextKeys.consoleIdpIssuer]: 'https://login.example.com',
        [contextKeys.consoleIdpClientId]: 'vigil',
      }),
    ).toThrow('context vigil:consoleIdpClientSecretName is required with vigil:consoleIdp=oidc');
    expect(() => vigilApp({ [contextKeys.consoleDomainPrefix]: 'my-cognito-login' })).toThrow(
      'context vigil:consoleDomainPrefix must be 1 to 63',
    );
    expect(() => vigilApp({ [contextKeys.consoleDomainPrefix]: 'Vigil' })).toThrow('context vigil:consoleDomainPrefix must be 1 to 63');
  });

  it('refuse a reservation that is not a whole number from 1 to 10000, or that is given without reserving', () => {
    for (const value of ['0', '-5', '2.5', 'twenty', '10001'])
      expect(() => vigilApp({ [contextKeys.reserveConcurrency]: 'true', [contextKeys.enforcerConcurrency]: value }), value).toThrow(
        `context vigil:enforcerConcurrency must be a whole number from 1 to 10000, not ${JSON.stringify(value)}`,
      );
    expect(() => vigilApp({ [contextKeys.admissionConcurrency]: '80', [contextKeys.enforcerConcurrency]: '40' })).toThrow(
      'context vigil:admissionConcurrency, vigil:enforcerConcurrency needs vigil:reserveConcurrency=true',
    );
  });

  it('refuse a public URL the API servers could not call', () => {
    for (const url of ['http://vigil.example.com', 'https://vigil.example.com/?a=1', 'vigil.example.com'])
      expect(() => vigilApp({ [contextKeys.publicUrl]: url }), url).toThrow('the public URL must be an https URL');
  });
});

describe('cdk-nag', () => {
  it('fails synthesis on a finding nobody acknowledged, naming the rule and the construct', () => {
    const { app, stack, outdir } = vigilApp({});
    // A queue that accepts plain HTTP: AwsSolutions-SQS4.
    new sqs.Queue(stack, 'Unacknowledged', { encryption: sqs.QueueEncryption.SQS_MANAGED });
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: Array<{
        pluginName: string;
        violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }>;
      }>;
    };
    expect(report.pluginReports.map((r) => r.pluginName)).toEqual(['AwsSolutions']);
    const violations = report.pluginReports.flatMap((r) => r.violations);
    // A queue that is nobody's dead-letter queue and has none itself: SQS3 as well.
    expect(violations.map((v) => v.ruleName).sort()).toEqual(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']);
    for (const violation of violations)
      expect(violation.violatingConstructs.map((c) => c.constructPath)).toEqual(['Vigil/Unacknowledged/Resource']);
  }, 120_000);
});

// Synthesis loads much of aws-cdk-lib on first use, which takes a while on a busy machine.
describe('VigilProtection', { timeout: 120_000 }, () => {
  const layerArn = 'arn:aws:lambda:eu-west-1:123456789012:layer:VigilProtection:7';

  function userStack() {
    const stack = new Stack(new App(), 'UserApp', { env: { account: '123456789012', region: 'eu-west-1' } });
    const layer = lambda.LayerVersion.fromLayerVersionArn(stack, 'VigilLayer', layerArn);
    const fn = (id: string, runtime = lambda.Runtime.NODEJS_24_X) =>
      new lambda.Function(stack, id, {
        runtime,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async () => 1;'),
      });
    return { stack, layer, fn };
  }

  it('adds the layer, the exec wrapper and the layer settings to each protected function', () => {
    const { stack, layer, fn } = userStack();
    const orders = fn('Orders');
    const billing = fn('Billing');
    new VigilProtection(stack, 'Vigil', {
      layer,
      endpoint: 'https://abc.execute-api.eu-west-1.amazonaws.com',
      token: VigilToken.fromValue('token-from-deploy-time'),
      failMode: 'closed',
      functionTags: { team: 'payments', tier: 'gold' },
    }).protect(orders, billing);
    const functions = Object.values(Template.fromStack(stack).toJSON().Resources as Resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function',
    );
    expect(functions).toHaveLength(2);
    for (const protectedFn of functions) {
      expect(protectedFn.Properties.Layers).toEqual([layerArn]);
      expect(protectedFn.Properties.Environment.Variables).toEqual({
        AWS_LAMBDA_EXEC_WRAPPER: VIGIL_EXEC_WRAPPER,
        VIGIL_ENDPOINT: 'https://abc.execute-api.eu-west-1.amazonaws.com',
        VIGIL_TOKEN: 'token-from-deploy-time',
        VIGIL_FAIL_MODE: 'closed',
        VIGIL_AWS_ACCOUNT: '123456789012',
        VIGIL_FUNCTION_TAGS: 'team=payments,tier=gold',
      });
    }
    expect(VIGIL_EXEC_WRAPPER).toBe('/opt/vigil/vigil-wrapper');
  });

  it('fails open by default and sets no tags when none are given', () => {
    const { stack, layer, fn } = userStack();
    new VigilProtection(stack, 'Vigil', { layer, endpoint: 'https://vigil.example.com', token: VigilToken.fromValue('t') }).protect(
      fn('Orders'),
    );
    const [protectedFn] = Object.values(Template.fromStack(stack).toJSON().Resources as Resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function',
    );
    expect(protectedFn!.Properties.Environment.Variables.VIGIL_FAIL_MODE).toBe('open');
    expect(protectedFn!.Properties.Environment.Variables.VIGIL_FUNCTION_TAGS).toBeUndefined();
  });

  it('names a Secrets Manager secret or an SSM parameter instead of the token, and lets the function read just that', () => {
    const { stack, layer, fn } = userStack();
    const secret = secretsmanager.Secret.fromSecretCompleteArn(
      stack,
      'Token',
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:vigil/lambda-token-AbCdEf',
    );
    const parameter = ssm.StringParameter.fromSecureStringParameterAttributes(stack, 'TokenParameter', {
      parameterName: '/vigil/lambda-token',
    });
    new VigilProtection(stack, 'FromSecret', {
      layer,
      endpoint: 'https://vigil.example.com',
      token: VigilToken.fromSecret(secret),
    }).protect(fn('Orders'));
    new VigilProtection(stack, 'FromParameter', {
      layer,
      endpoint: 'https://vigil.example.com',
      token: VigilToken.fromSsmParameter(parameter),
    }).protect(fn('Billing'));
    const resources = Template.fromStack(stack).toJSON().Resources as Resources;
    const fnNamed = (prefix: string) =>
      Object.entries(resources).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith(prefix))!;
    const policyOf = (roleId: string) =>
      Object.values(resources)
        .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
        .flatMap((r) => r.Properties.PolicyDocument.Statement);

    const [, orders] = fnNamed('Orders');
    expect(orders.Properties.Environment.Variables).toMatchObject({
      VIGIL_TOKEN_SECRET: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:vigil/lambda-token-AbCdEf',
    });
    expect(orders.Properties.Environment.Variables.VIGIL_TOKEN).toBeUndefined();
    expect(policyOf(orders.Properties.Role['Fn::GetAtt'][0])).toEqual([
      {
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:vigil/lambda-token-AbCdEf',
      },
    ]);

    const [, billing] = fnNamed('Billing');
    expect(billing.Properties.Environment.Variables).toMatchObject({ VIGIL_TOKEN_PARAMETER: '/vigil/lambda-token' });
    expect(billing.Properties.Environment.Variables.VIGIL_TOKEN).toBeUndefined();
    const parameterGrant = policyOf(billing.Properties.Role['Fn::GetAtt'][0]);
    expect(parameterGrant).toHaveLength(1);
    expect(parameterGrant[0].Action).toContain('ssm:GetParameter');
    expect(JSON.stringify(parameterGrant[0].Resource)).toContain(':parameter/vigil/lambda-token');
  });

  it('protects Python 3.11 to 3.13 functions the same way (the wrapper points their handler at the layer)', () => {
    const { stack, layer, fn } = userStack();
    new VigilProtection(stack, 'Vigil', { layer, endpoint: 'https://vigil.example.com', token: VigilToken.fromValue('t') }).protect(
      fn('Py311', lambda.Runtime.PYTHON_3_11),
      fn('Py312', lambda.Runtime.PYTHON_3_12),
      fn('Py313', lambda.Runtime.PYTHON_3_13),
    );
    const functions = Object.values(Template.fromStack(stack).toJSON().Resources as Resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function',
    );
    expect(functions.map((f) => f.Properties.Runtime)).toEqual(['python3.11', 'python3.12', 'python3.13']);
    for (const protectedFn of functions) {
      expect(protectedFn.Properties.Layers).toEqual([layerArn]);
      // The handler setting stays the function's own: vigil-wrapper swaps it at start, not the template.
      expect(protectedFn.Properties.Handler).toBe('index.handler');
      expect(protectedFn.Properties.Environment.Variables).toMatchObject({ AWS_LAMBDA_EXEC_WRAPPER: VIGIL_EXEC_WRAPPER });
    }
  });

  it('refuses a function of a runtime the layer does not protect, and tags the layer could not parse', () => {
    const { stack, layer, fn } = userStack();
    const vigil = new VigilProtection(stack, 'Vigil', { layer, endpoint: 'https://vigil.example.com', token: VigilToken.fromValue('t') });
    expect(() => vigil.protect(fn('Report', lambda.Runtime.PYTHON_3_10))).toThrow(
      'UserApp/Report: the Vigil layer protects Node.js and python3.11, python3.12, python3.13 functions, not python3.10',
    );
    expect(
      () =>
        new VigilProtection(stack, 'BadTags', {
          layer,
          endpoint: 'https://vigil.example.com',
          token: VigilToken.fromValue('t'),
          functionTags: { team: 'a,b' },
        }),
    ).toThrow('must not contain ","');
  });
});
