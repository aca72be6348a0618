// The route table of the whole HTTP API: one source for the CDK stack (API Gateway routes and
// authorizers), the local server (which builds the same payload v2 events) and the OpenAPI document.

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Which Lambda function serves a route. */
export type FunctionName = 'api' | 'admission' | 'enforcer';

/**
 * How a route authenticates: `admin` (IAM in AWS, bearer admin token locally), `enforcer`
 * (enforcer-group bearer token, checked by the handler), `webhook` (secret path segment), `public`.
 */
export type RouteAuth = 'admin' | 'enforcer' | 'webhook' | 'public';

export interface RouteDefinition {
  readonly method: HttpMethod;
  /** API Gateway path template, e.g. `/v1/policies/{name}`. */
  readonly path: string;
  readonly function: FunctionName;
  readonly auth: RouteAuth;
  readonly summary: string;
}

/** `METHOD /path` as API Gateway names it in `routeKey`. */
export function routeKey(route: Pick<RouteDefinition, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

/** An admin route of the `api` function; method and path keep their literal types for the handler tables. */
function admin<const M extends HttpMethod, const P extends string>(
  method: M,
  path: P,
  summary: string,
): RouteDefinition & { readonly method: M; readonly path: P; readonly function: 'api' } {
  return { method, path, function: 'api', auth: 'admin', summary };
}

// Kept as literal types (not widened to RouteDefinition) so that the handler tables can be typed from it.
const routeTable = [
  { method: 'GET', path: '/v1/health', function: 'api', auth: 'public', summary: 'Liveness of the control plane' },
  { method: 'GET', path: '/v1/openapi.json', function: 'api', auth: 'public', summary: 'This OpenAPI 3.1 document' },

  admin('GET', '/v1/policies', 'List runtime policies'),
  admin('POST', '/v1/policies', 'Create a runtime policy (or from a template)'),
  admin('GET', '/v1/policies/{name}', 'Read a runtime policy'),
  admin('PUT', '/v1/policies/{name}', 'Replace a runtime policy'),
  admin('PATCH', '/v1/policies/{name}', 'Change some fields of a runtime policy (JSON merge patch)'),
  admin('DELETE', '/v1/policies/{name}', 'Delete a runtime policy and its schedule'),
  admin(
    'GET',
    '/v1/policies/{name}/readiness',
    "What enforce mode would have blocked over the last N days, from the policy's stored Detect events",
  ),
  admin('GET', '/v1/policy-templates', 'List predefined policies'),
  admin('GET', '/v1/policy-templates/{id}', 'Read a predefined policy'),
  admin('GET', '/v1/controls', 'The control catalog'),

  admin('GET', '/v1/application-scopes', 'List application scopes'),
  admin('POST', '/v1/application-scopes', 'Create an application scope'),
  admin('GET', '/v1/application-scopes/{name}', 'Read an application scope'),
  admin('PUT', '/v1/application-scopes/{name}', 'Replace an application scope'),
  admin('PATCH', '/v1/application-scopes/{name}', 'Change some fields of an application scope (JSON merge patch)'),
  admin('DELETE', '/v1/application-scopes/{name}', 'Delete an application scope'),

  admin('GET', '/v1/enforcer-groups', 'List enforcer groups'),
  admin('POST', '/v1/enforcer-groups', 'Create an enforcer group (returns its token once)'),
  admin('GET', '/v1/enforcer-groups/{name}', 'Read an enforcer group'),
  admin('PUT', '/v1/enforcer-groups/{name}', 'Replace an enforcer group'),
  admin('PATCH', '/v1/enforcer-groups/{name}', 'Change some fields of an enforcer group (JSON merge patch)'),
  admin('DELETE', '/v1/enforcer-groups/{name}', 'Delete an enforcer group'),
  admin('POST', '/v1/enforcer-groups/{name}/token', 'Rotate the group token (returns it once)'),
  admin(
    'GET',
    '/v1/enforcer-groups/{name}/rules',
    'The rule table of a nano_enforcer group compiled for one function from its facts, as GET /v1/enforcers/rules serves it (what VIGIL_RULES embeds)',
  ),
  admin(
    'POST',
    '/v1/enforcer-groups/{name}/reissue',
    "Re-issue the webhook secret and manifest of every cluster of the group whose manifest no longer matches the group's failMode, timeoutSeconds or exemptKubeSystem (new URLs shown once)",
  ),
  admin('GET', '/v1/enforcers', 'Registered enforcers with their connection status'),

  admin('GET', '/v1/settings/enforcer', 'Global bypass and enforcer settings'),
  admin('PUT', '/v1/settings/enforcer', 'Replace the global bypass and enforcer settings'),
  admin('PATCH', '/v1/settings/enforcer', 'Change some of the global bypass and enforcer settings (JSON merge patch)'),

  admin('GET', '/v1/clusters', 'List registered EKS clusters'),
  admin('POST', '/v1/clusters', 'Register an EKS cluster (returns the webhook URL and manifest once)'),
  admin('GET', '/v1/clusters/{name}', 'Read a registered cluster'),
  admin('DELETE', '/v1/clusters/{name}', 'Deregister a cluster'),
  admin('POST', '/v1/clusters/{name}/secret', 'Rotate the webhook secret'),
  admin(
    'POST',
    '/v1/clusters/{name}/node-agent-token',
    "Rotate the cluster's node-agent token (returns it once, with the token Secret manifest); the previous token stops working",
  ),
  admin(
    'GET',
    '/v1/clusters/{name}/node-policies',
    'Preview the Tetragon policies compiled for the cluster and an agent group, with the fidelity report (YAML with Accept: application/yaml)',
  ),

  admin('GET', '/v1/audit-events', 'The audit log, newest first'),
  admin('GET', '/v1/audit-events/histogram', 'Detect and Block counts per hour or day over a window of at most 31 days'),
  admin('GET', '/v1/audit-events/{id}', 'One audit event'),
  admin('GET', '/v1/activity', 'The activity trail, newest first'),
  admin('GET', '/v1/export', 'Export policies, application scopes, settings and enforcer groups'),
  admin('POST', '/v1/import', 'Import a policy-as-code document (all or nothing)'),
  admin('POST', '/v1/imports', 'Open a multi-part import, for a document larger than one request'),
  admin('PUT', '/v1/imports/{id}/parts/{part}', 'Upload one part of a multi-part import (checked on arrival)'),
  admin('POST', '/v1/imports/{id}/commit', 'Import the parts of a multi-part import as one document (all or nothing)'),
  admin('DELETE', '/v1/imports/{id}', 'Abort a multi-part import: its parts are deleted'),

  {
    method: 'POST',
    path: '/v1/admission/{cluster}/{secret}',
    function: 'admission',
    auth: 'webhook',
    summary: 'Admission webhook called by the EKS API server',
  },

  { method: 'POST', path: '/v1/enforcers/register', function: 'enforcer', auth: 'enforcer', summary: 'Register an enforcer' },
  {
    method: 'GET',
    path: '/v1/enforcers/bundle',
    function: 'enforcer',
    auth: 'enforcer',
    summary: 'The policy bundle of the enforcer group',
  },
  {
    method: 'GET',
    path: '/v1/enforcers/rules',
    function: 'enforcer',
    auth: 'enforcer',
    summary: 'The rule table compiled for one function of the group from its facts (function, runtime, region, account, tags)',
  },
  {
    method: 'GET',
    path: '/v1/enforcers/node-policies',
    function: 'enforcer',
    auth: 'enforcer',
    summary: "A cluster's Tetragon objects compiled for the token's agent group (what the in-cluster bridge applies)",
  },
  {
    method: 'POST',
    path: '/v1/enforcers/events',
    function: 'enforcer',
    auth: 'enforcer',
    summary: 'Report audit events (idempotent by id)',
  },
  { method: 'POST', path: '/v1/enforcers/heartbeat', function: 'enforcer', auth: 'enforcer', summary: 'Mark the enforcer connected' },
] as const satisfies readonly RouteDefinition[];

export const routes: readonly RouteDefinition[] = routeTable;

type Route = (typeof routeTable)[number];
type KeyOf<R> = R extends { readonly method: infer M extends string; readonly path: infer P extends string } ? `${M} ${P}` : never;

/** The route keys (`METHOD /path`) a function serves, as a union of literal types. */
export type RouteKeyOf<F extends FunctionName> = KeyOf<Extract<Route, { readonly function: F }>>;

/** A function's handlers, one per route it serves: a missing route is a type error. */
export type HandlerTable<F extends FunctionName, H> = { readonly [K in RouteKeyOf<F>]: H };

/** Part of a function's handler table, as one resource module provides it: a key outside the table is a type error. */
export type PartialHandlerTable<F extends FunctionName, H> = Partial<HandlerTable<F, H>>;

/**
 * A handler table `T` with exactly the routes of function `F`. A plain annotation would miss extra keys that
 * arrive through spreads (excess-property checks only look at literal properties): here every key outside
 * the route table must have type `never`, which no handler has.
 */
export type ExactHandlerTable<F extends FunctionName, H, T extends HandlerTable<F, H>> = T & {
  readonly [K in Exclude<keyof T, RouteKeyOf<F>>]: never;
};

/** Splits a template into segments; `{x}` segments are parameters. */
function segments(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

/** A route matcher over a table: the route of a request path with its path parameters, or the methods the path allows. */
export type RouteMatcher = (
  method: string,
  path: string,
) => { route: RouteDefinition; pathParameters: Record<string, string> } | { route: undefined; methodsAllowed: HttpMethod[] };

function isParameter(segment: string): boolean {
  return segment.startsWith('{') && segment.endsWith('}');
}

/**
 * Orders templates of the same length so that, at the first segment where they differ in kind, the literal one
 * comes first: `/v1/audit-events/histogram` before `/v1/audit-events/{id}`. Ties keep the table's order.
 */
function moreSpecificFirst(a: readonly string[], b: readonly string[]): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) {
    const byKind = Number(isParameter(a[i]!)) - Number(isParameter(b[i]!));
    if (byKind !== 0) return byKind;
  }
  return 0;
}

/**
 * Matches request paths against a route table; used by the local server. As API Gateway does, a route whose
 * segment is literal wins over one with a parameter there, whatever order the table declares them in.
 */
export function createRouteMatcher(table: readonly RouteDefinition[]): RouteMatcher {
  const templates = table
    .map((route) => ({ route, template: segments(route.path) }))
    .sort((a, b) => moreSpecificFirst(a.template, b.template));
  return (method, path) => {
    const actual = segments(path);
    const allowed: HttpMethod[] = [];
    for (const { route, template } of templates) {
      if (template.length !== actual.length) continue;
      const params: Record<string, string> = {};
      let matches = true;
      for (let i = 0; i < template.length && matches; i++) {
        const part = template[i]!;
        const value = actual[i]!;
        if (isParameter(part)) {
          let decoded: string;
          try {
            decoded = decodeURIComponent(value);
          } catch {
            matches = false;
            break;
          }
          params[part.slice(1, -1)] = decoded;
        } else if (part !== value) matches = false;
      }
      if (!matches) continue;
      if (route.method === method) return { route, pathParameters: params };
      allowed.push(route.method);
    }
    return { route: undefined, methodsAllowed: allowed };
  };
}

/** Finds the route of a request path in the route table, with its path parameters; used by the local server. */
export const matchRoute: RouteMatcher = createRouteMatcher(routes);
