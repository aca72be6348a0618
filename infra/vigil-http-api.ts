import { Aws, Fn, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource, nagRef } from './nag.js';
import { routeKey, routes, type FunctionName, type RouteAuth } from '../functions/shared/routes.js';

export interface VigilHttpApiProps {
  /** The function serving each route's `function` in functions/shared/routes.ts. */
  readonly handlers: Readonly<Record<FunctionName, lambda.IFunction>>;
  /**
   * Steady-state and burst request rates of the stage's routes but the webhook's; beyond them API Gateway answers 429.
   * @default { rateLimit: 500, burstLimit: 1000 }
   */
  readonly throttle?: apigwv2.ThrottleSettings;
  /**
   * Request rates of the admission webhook's route, set apart from the stage's so that the API servers' calls
   * do not compete with enforcers and administrators.
   * @default { rateLimit: 1000, burstLimit: 2000 }
   */
  readonly admissionThrottle?: apigwv2.ThrottleSettings;
  /**
   * How long access logs are kept.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly accessLogRetention?: logs.RetentionDays;
  /**
   * What happens to the access log group when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly accessLogRemovalPolicy?: RemovalPolicy;
}

/** The route the EKS API servers call. */
export const ADMISSION_ROUTE_KEY = routeKey(routes.find((route) => route.auth === 'webhook')!);

/** The per-route metrics of the admission webhook (detailed metrics of its route). */
export interface RouteMetrics {
  /** Responses with a 4xx status (401 for a wrong secret, 429 when throttled) per period. */
  clientErrors(options?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/**
 * One access log line. Only `$context` variables that never carry the request path: the webhook's path holds
 * the cluster's secret, so the route key (`POST /v1/admission/{cluster}/{secret}`) stands in for the path.
 */
export const accessLogFields: Readonly<Record<string, string>> = {
  requestId: '$context.requestId',
  time: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  caller: '$context.identity.userArn',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatencyMs: '$context.responseLatency',
  integrationLatencyMs: '$context.integration.latency',
  integrationStatus: '$context.integration.status',
  // What Lambda itself answered API Gateway, apart from what the function returned: a throttled invoke (the
  // function's reserved concurrency in use) reaches the caller as a bare 500 and is told apart only here.
  lambdaStatus: '$context.integration.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  lambdaRequestId: '$context.integration.requestId',
  error: '$context.error.message',
  authorizerError: '$context.authorizer.error',
};

/** Why a route goes without the IAM authorizer (cdk-nag AwsSolutions-APIG4). */
const unauthorizedReasons: Readonly<Record<Exclude<RouteAuth, 'admin'>, string>> = {
  public: 'Public by design (api.md): liveness and the OpenAPI document carry no configuration or audit data.',
  webhook:
    'The EKS API server cannot sign requests to a webhook: the handler authenticates the secret path segment (hashed, compared in constant time) and access logs record the route key, never the path.',
  enforcer:
    'Enforcers and the protection layer hold no AWS credentials: the handler authenticates the enforcer-group bearer token (hashed, compared in constant time).',
};

/**
 * The HTTP API: every route of functions/shared/routes.ts, admin routes behind the IAM (SigV4) authorizer,
 * stage throttling and JSON access logs without request paths.
 */
export class VigilHttpApi extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly accessLogs: logs.LogGroup;
  /** execute-api:Invoke on the API's routes: attach it to the roles of Vigil's administrators and CI. */
  readonly adminPolicy: iam.ManagedPolicy;
  /** Base URL without a trailing slash (the `$default` stage is served at the root). */
  readonly url: string;
  readonly admissionRouteMetrics: RouteMetrics;

  constructor(scope: Construct, id: string, props: VigilHttpApiProps) {
    super(scope, id);
    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'Vigil control plane: admin API, EKS admission webhook, enforcer API',
      // The stage is declared below, with throttling and access logs.
      createDefaultStage: false,
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      // Under /aws/vendedlogs/, API Gateway delivers without adding this group to the account's CloudWatch Logs
      // resource policy, whose 5,120 characters are often used up by other services' groups. The stack's id
      // makes the name unique per stack instance, so a group kept from a deleted stack never blocks a redeploy.
      logGroupName: Fn.join('', ['/aws/vendedlogs/apigateway/', Aws.STACK_NAME, '-access-', Fn.select(2, Fn.split('/', Aws.STACK_ID))]),
      retention: props.accessLogRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: props.accessLogRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? { rateLimit: 500, burstLimit: 1000 },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(accessLogFields)),
      },
    });
    this.url = this.api.apiEndpoint;
    const admissionThrottle = props.admissionThrottle ?? { rateLimit: 1000, burstLimit: 2000 };
    const stageResource = this.stage.node.defaultChild as apigwv2.CfnStage;
    stageResource.routeSettings = {
      [ADMISSION_ROUTE_KEY]: {
        ThrottlingRateLimit: admissionThrottle.rateLimit,
        ThrottlingBurstLimit: admissionThrottle.burstLimit,
        // Per-route metrics (the 4xx alarm); published only while the webhook is called.
        DetailedMetricsEnabled: true,
      },
    };
    this.admissionRouteMetrics = {
      clientErrors: (options) =>
        new cloudwatch.Metric({
          namespace: 'AWS/ApiGateway',
          metricName: '4xx',
          dimensionsMap: { ApiId: this.api.apiId, Stage: this.stage.stageName, Route: ADMISSION_ROUTE_KEY },
          statistic: cloudwatch.Stats.SUM,
          ...options,
        }),
    };

    // One integration per function; one Lambda permission per function for the whole API (a permission
    // per route would push the admin function's resource policy past its 20 KB limit).
    const integrations = new Map<FunctionName, HttpLambdaIntegration>();
    const integrationFor = (name: FunctionName): HttpLambdaIntegration => {
      let integration = integrations.get(name);
      if (!integration)
        integrations.set(
          name,
          (integration = new HttpLambdaIntegration(`${name}-integration`, props.handlers[name], { scopePermissionToRoute: false })),
        );
      return integration;
    };
    const iamAuthorizer = new HttpIamAuthorizer();
    for (const route of routes) {
      const [created] = this.api.addRoutes({
        path: route.path,
        methods: [apigwv2.HttpMethod[route.method]],
        integration: integrationFor(route.function),
        ...(route.auth === 'admin' ? { authorizer: iamAuthorizer } : {}),
      });
      if (route.auth !== 'admin' && created)
        Validations.of(created).acknowledge({ id: 'AwsSolutions-APIG4', reason: unauthorizedReasons[route.auth] });
      // Route settings name a route that must exist before the stage refers to it.
      if (created && routeKey(route) === ADMISSION_ROUTE_KEY) stageResource.node.addDependency(created);
    }

    this.adminPolicy = new iam.ManagedPolicy(this, 'AdminInvokePolicy', {
      description: 'Calls the Vigil admin API (SigV4); the API records the caller ARN as the actor',
      statements: [
        new iam.PolicyStatement({
          actions: ['execute-api:Invoke'],
          resources: [this.api.arnForExecuteApi('*', '/v1/*', this.stage.stageName)],
        }),
      ],
    });
    acknowledgeWildcardResource(
      this.adminPolicy,
      `arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:${nagRef(this.api)}/${this.stage.stageName}/*/v1/*`,
      'Every method and path of this one API and stage: administrators call all admin routes, and the others ignore IAM.',
    );
  }
}
