import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { NotFoundError } from '../shared/errors.js';
import { adminActor } from '../shared/http/auth.js';
import { jsonBody } from '../shared/http/body-parsing.js';
import { errorMapper } from '../shared/http/error-mapping.js';
import type { ApiRequest, HttpHandler, RouteHandler } from '../shared/http/types.js';
import { routeKey, routes } from '../shared/routes.js';
import type { Runtime } from '../shared/runtime.js';
import { auditRoutes } from './resources/audit.js';
import { catalogRoutes } from './resources/catalog.js';
import { clusterRoutes } from './resources/clusters.js';
import { enforcerRoutes } from './resources/enforcers.js';
import { groupRoutes } from './resources/groups.js';
import { policyRoutes } from './resources/policies.js';
import { policyIoRoutes } from './resources/policy-io.js';
import { scopeRoutes } from './resources/scopes.js';
import { settingsRoutes } from './resources/settings.js';

const publicRoutes = new Set(routes.filter((r) => r.function === 'api' && r.auth === 'public').map(routeKey));

/** The admin API Lambda: the middleware chain around one dispatch by route key. */
export function createApiHandler(runtime: Runtime): HttpHandler {
  const table: Record<string, RouteHandler> = {
    ...catalogRoutes(runtime),
    ...policyRoutes(runtime),
    ...scopeRoutes(runtime),
    ...groupRoutes(runtime),
    ...settingsRoutes(runtime),
    ...auditRoutes(runtime),
    ...policyIoRoutes(runtime),
    ...clusterRoutes(runtime),
    ...enforcerRoutes(runtime),
  };

  type Authenticated = APIGatewayProxyEventV2 & { actor?: string; parsedBody?: unknown };

  // Authentication comes first in the chain: before the body is read, and before any route-specific
  // answer, so that an unknown resource and a missing credential look alike.
  const authenticate: middy.MiddlewareObj<Authenticated, APIGatewayProxyStructuredResultV2> = {
    before: (request) => {
      request.event.actor = publicRoutes.has(request.event.routeKey) ? 'anonymous' : adminActor(request.event, runtime.adminAuth);
    },
  };

  const dispatch = async (event: Authenticated): Promise<APIGatewayProxyStructuredResultV2> => {
    const handler = table[event.routeKey];
    if (!handler) throw new NotFoundError(`no route ${event.routeKey}`);
    const request: ApiRequest = {
      routeKey: event.routeKey,
      params: event.pathParameters ?? {},
      query: event.queryStringParameters ?? {},
      headers: event.headers,
      body: event.parsedBody,
      actor: event.actor ?? 'anonymous',
      requestId: event.requestContext.requestId,
    };
    const response = await handler(request);
    return {
      statusCode: response.status,
      headers: { ...(response.body === undefined ? {} : { 'content-type': 'application/json' }), ...response.headers },
      ...(response.body === undefined ? {} : { body: JSON.stringify(response.body) }),
    };
  };

  return middy<Authenticated, APIGatewayProxyStructuredResultV2>()
    .use(injectLambdaContext(runtime.logger, { resetKeys: true }))
    .use(errorMapper(runtime.logger))
    .use(httpHeaderNormalizer())
    .use(authenticate)
    .use(jsonBody())
    .handler(dispatch);
}
