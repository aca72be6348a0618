// The admin API as the web console calls it in AWS: a second HTTP API whose routes are the admin routes of
// functions/shared/routes.ts behind a JWT authorizer (Cognito access tokens of the console's app client),
// integrated with the same admin function as the IAM-authorized API. API Gateway allows one authorizer per
// route, so the CLI's SigV4 routes and the console's JWT routes live in two APIs; there is no second
// implementation and no route the CLI lacks. CloudFront serves it under the console's origin (`/v1/*`).
import { Aws, Fn, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { accessLogFields } from './vigil-http-api.js';
import { routes } from '../functions/shared/routes.js';

export interface ConsoleApiProps {
  /** @default { rateLimit: 50, burstLimit: 100 } - people clicking, not machines */
  readonly throttle?: apigwv2.ThrottleSettings;
  readonly accessLogRetention?: logs.RetentionDays;
  readonly accessLogRemovalPolicy?: RemovalPolicy;
}

/** Whose tokens the console API accepts, and where it sends the calls. */
export interface ConsoleApiRouting {
  /** The admin API function (the same one the IAM-authorized API integrates). */
  readonly handler: lambda.IFunction;
  /** The user pool's issuer URL, `https://cognito-idp.<region>.amazonaws.com/<pool id>`. */
  readonly issuerUrl: string;
  /** The console's app client id: Cognito access tokens carry it as `client_id` (they have no `aud`). */
  readonly clientId: string;
}

/** The routes the console API serves: every admin route of the admin function, and nothing else. */
export const consoleRoutes = routes.filter((route) => route.auth === 'admin' && route.function === 'api');

export class ConsoleApi extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly accessLogs: logs.LogGroup;
  authorizer?: HttpJwtAuthorizer;
  /** The API's host name, the CloudFront origin of `/v1/*`. */
  readonly domainName: string;

  constructor(scope: Construct, id: string, props: ConsoleApiProps) {
    super(scope, id);
    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'Vigil admin API for the web console (Cognito JWT authorizer); served through the console distribution',
      createDefaultStage: false,
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      // As the main API's group: outside the account-wide resource policy, unique per stack instance.
      logGroupName: Fn.join('', ['/aws/vendedlogs/apigateway/', Aws.STACK_NAME, '-console-', Fn.select(2, Fn.split('/', Aws.STACK_ID))]),
      retention: props.accessLogRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: props.accessLogRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        // The caller is the token's user, as the authorizer verified it.
        format: AccessLogFormat.custom(
          JSON.stringify({ ...accessLogFields, caller: '$context.authorizer.claims.username', subject: '$context.authorizer.claims.sub' }),
        ),
      },
    });
    this.domainName = Fn.select(2, Fn.split('/', this.api.apiEndpoint));
  }

  /**
   * Adds the routes once the app client exists (its redirect URI names the distribution, whose origin is this
   * API: the routes come last to keep the constructs free of a cycle).
   */
  route(props: ConsoleApiRouting): void {
    if (this.authorizer) throw new Error('the console API is routed once');
    // The authorizer checks the signature against the pool's keys, the issuer, the expiry and that `client_id`
    // names the console's client; the handler then reads only the claims it verified (functions/shared/http/auth.ts).
    this.authorizer = new HttpJwtAuthorizer('ConsoleJwt', props.issuerUrl, {
      jwtAudience: [props.clientId],
      identitySource: ['$request.header.Authorization'],
    });
    const integration = new HttpLambdaIntegration('api-integration', props.handler, { scopePermissionToRoute: false });
    for (const route of consoleRoutes)
      this.api.addRoutes({ path: route.path, methods: [apigwv2.HttpMethod[route.method]], integration, authorizer: this.authorizer });
  }
}
