import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { adminActor } from '../shared/http/auth.js';
import { httpFunction } from '../shared/http/http-function.js';
import type { HttpHandler } from '../shared/http/types.js';
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
import { checkPathParameters } from './path-parameters.js';

const publicRoutes = new Set(routes.filter((r) => r.function === 'api' && r.auth === 'public').map(routeKey));

/** The admin API Lambda: the shared HTTP skeleton with administrator authentication and the resource modules' handlers. */
export function createApiHandler(runtime: Runtime): HttpHandler {
  return httpFunction({
    function: 'api',
    logger: runtime.logger,
    checkPathParameters,
    authenticate: (event: APIGatewayProxyEventV2) => ({
      actor: publicRoutes.has(event.routeKey) ? 'anonymous' : adminActor(event, runtime.adminAuth),
    }),
    handlers: {
      ...catalogRoutes(runtime),
      ...policyRoutes(runtime),
      ...scopeRoutes(runtime),
      ...groupRoutes(runtime),
      ...settingsRoutes(runtime),
      ...auditRoutes(runtime),
      ...policyIoRoutes(runtime),
      ...clusterRoutes(runtime),
      ...enforcerRoutes(runtime),
    },
  });
}
