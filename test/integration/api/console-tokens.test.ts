// The admin function as deployed in AWS (runtimeConfigFromEnv with the console's settings), called with the
// payload v2 events API Gateway hands it: from the CLI's API after the IAM authorizer, and from the console API
// after its JWT authorizer. The same handlers serve both; the function reads only what an authorizer verified.
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApiHandler } from '../../../functions/api/app.js';
import { bootstrap } from '../../../functions/shared/bootstrap.js';
import { claimValues } from '../../../functions/shared/http/auth.js';
import type { HttpHandler } from '../../../functions/shared/http/types.js';
import { createRuntime } from '../../../functions/shared/runtime.js';
import { runtimeConfigFromEnv } from '../../../functions/shared/runtime-config.js';
import { httpEvent, lambdaContext } from '../../support/events.js';
import { useTables } from '../../support/use-tables.js';
import { watchEverythingPolicy } from '../../support/webhook-audit.js';

const CONSOLE_API_ID = 'c0nso1e1d';
const ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc123XyZ';
const CLIENT_ID = '4example0client0id0console';
const USER_ARN = 'arn:aws:iam::111122223333:user/ci';

/** The claims of a Cognito access token as API Gateway's JWT authorizer passes them on: every value a string. */
function accessClaims(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const claims: Record<string, string | undefined> = {
    sub: '7d1e2f3a-0000-4000-8000-000000000001',
    'cognito:groups': '[vigil-admins auditors]',
    iss: ISSUER,
    client_id: CLIENT_ID,
    origin_jti: 'a1b2c3',
    event_id: 'e1',
    token_use: 'access',
    scope: 'openid',
    auth_time: '1765100000',
    exp: '1765101800',
    iat: '1765100000',
    jti: 'j1',
    username: 'jane',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(claims).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

type Authorizer = { jwt: { claims: Record<string, string>; scopes: null } } | { iam: Record<string, unknown> };

function event(
  method: string,
  routeKey: string,
  path: string,
  apiId: string,
  authorizer?: Authorizer,
  body?: unknown,
  more: { pathParameters?: Record<string, string>; headers?: Record<string, string> } = {},
): APIGatewayProxyEventV2 {
  const base = httpEvent({ method, routeKey, path, ...more, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { ...base, requestContext: { ...base.requestContext, apiId, ...(authorizer ? { authorizer } : {}) } };
}

const fromConsole = (claims: Record<string, string>): Authorizer => ({ jwt: { claims, scopes: null } });
const fromCli: Authorizer = {
  iam: {
    accessKey: 'AKIAEXAMPLE',
    accountId: '111122223333',
    callerId: 'AIDAEXAMPLE',
    principalOrgId: null,
    userArn: USER_ARN,
    userId: 'AIDAEXAMPLE',
  },
};

const tables = useTables();
let api: HttpHandler;

beforeAll(async () => {
  const config = runtimeConfigFromEnv({
    VIGIL_TABLE_PREFIX: tables.prefix,
    VIGIL_DYNAMODB_ENDPOINT: tables.endpoint,
    VIGIL_CONSOLE_API_ID: CONSOLE_API_ID,
    VIGIL_CONSOLE_ISSUER: ISSUER,
    VIGIL_CONSOLE_CLIENT_ID: CLIENT_ID,
    VIGIL_CONSOLE_ADMIN_GROUP: 'vigil-admins',
  });
  const runtime = createRuntime(config, {
    configStore: tables.configStore,
    auditStore: tables.auditStore,
    logger: new Logger({ logLevel: 'SILENT' }),
  });
  await bootstrap(runtime);
  api = createApiHandler(runtime);
});

async function call(request: APIGatewayProxyEventV2): Promise<{ status: number; body: any }> {
  const response = await api(request, lambdaContext());
  return { status: response.statusCode!, body: response.body ? JSON.parse(response.body) : undefined };
}

const listPolicies = (apiId: string, authorizer?: Authorizer) => call(event('GET', 'GET /v1/policies', '/v1/policies', apiId, authorizer));

describe('console tokens on the admin function', () => {
  it('accept a verified access token of a member of vigil-admins, recorded as cognito:<username>', async () => {
    expect((await listPolicies(CONSOLE_API_ID, fromConsole(accessClaims()))).status).toBe(200);
    const created = await call(
      event(
        'POST',
        'POST /v1/policies',
        '/v1/policies',
        CONSOLE_API_ID,
        fromConsole(accessClaims()),
        watchEverythingPolicy('from-the-console'),
      ),
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.updatedBy).toBe('cognito:jane');
  });

  it('keep the CLI working: a SigV4 call through the IAM authorizer is recorded as its caller ARN', async () => {
    expect((await listPolicies('cliapi0001', fromCli)).status).toBe(200);
    const changed = await call(
      event(
        'PATCH',
        'PATCH /v1/policies/{name}',
        '/v1/policies/from-the-console',
        'cliapi0001',
        fromCli,
        { description: 'by the CLI' },
        { pathParameters: { name: 'from-the-console' }, headers: { 'content-type': 'application/merge-patch+json' } },
      ),
    );
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body.updatedBy).toBe(USER_ARN);
  });

  it('refuse a signed-in user outside vigil-admins with a 403 that names the user and the group', async () => {
    for (const groups of ['[auditors]', undefined]) {
      const response = await listPolicies(CONSOLE_API_ID, fromConsole(accessClaims({ 'cognito:groups': groups })));
      expect(response).toEqual({
        status: 403,
        body: { error: { code: 'forbidden', message: 'signed in as jane, who is not a member of the group vigil-admins', details: [] } },
      });
    }
  });

  it('refuse claims an authorizer did not verify for this console: another API, client or issuer, an ID token, no user', async () => {
    const refused = [
      // JWT claims arriving through any API but the console's (a stack mistake must fail closed).
      listPolicies('cliapi0001', fromConsole(accessClaims())),
      listPolicies(CONSOLE_API_ID, fromConsole(accessClaims({ client_id: 'another-client' }))),
      listPolicies(CONSOLE_API_ID, fromConsole(accessClaims({ iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other' }))),
      listPolicies(CONSOLE_API_ID, fromConsole(accessClaims({ token_use: 'id', client_id: undefined, aud: CLIENT_ID }))),
      listPolicies(CONSOLE_API_ID, fromConsole(accessClaims({ username: undefined }))),
      // No authorizer at all, and an empty one.
      listPolicies(CONSOLE_API_ID),
      listPolicies('cliapi0001', { iam: {} }),
    ];
    for (const response of await Promise.all(refused)) expect(response.status).toBe(401);
  });

  it('never read identity from what the caller sent: headers naming a user or a group change nothing', async () => {
    const request = event('GET', 'GET /v1/policies', '/v1/policies', CONSOLE_API_ID);
    request.headers = {
      ...request.headers,
      authorization: 'Bearer forged',
      'x-amzn-oidc-identity': 'jane',
      'cognito:groups': 'vigil-admins',
    };
    expect((await call(request)).status).toBe(401);
  });

  it('refuse every console token when the function has no console settings', async () => {
    const bare = createApiHandler(
      createRuntime(runtimeConfigFromEnv({ VIGIL_TABLE_PREFIX: tables.prefix, VIGIL_DYNAMODB_ENDPOINT: tables.endpoint }), {
        configStore: tables.configStore,
        auditStore: tables.auditStore,
        logger: new Logger({ logLevel: 'SILENT' }),
      }),
    );
    const response = await bare(
      event('GET', 'GET /v1/policies', '/v1/policies', CONSOLE_API_ID, fromConsole(accessClaims())),
      lambdaContext(),
    );
    expect(response.statusCode).toBe(401);
  });
});

describe('list claims as API Gateway passes them', () => {
  it('split the bracketed, space-separated string, and accept a real array', () => {
    expect(claimValues('[vigil-admins auditors]')).toEqual(['vigil-admins', 'auditors']);
    expect(claimValues('[vigil-admins]')).toEqual(['vigil-admins']);
    expect(claimValues('vigil-admins')).toEqual(['vigil-admins']);
    expect(claimValues(['vigil-admins', 3])).toEqual(['vigil-admins']);
    expect(claimValues('[]')).toEqual([]);
    expect(claimValues(undefined)).toEqual([]);
    // A group whose name merely contains the admin group's is another group.
    expect(claimValues('[not-vigil-admins]')).not.toContain('vigil-admins');
  });
});
