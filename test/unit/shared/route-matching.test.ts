import { describe, expect, it } from 'vitest';
import { createRouteMatcher, matchRoute, routes, type RouteDefinition } from '../../../functions/shared/routes.js';

// Local mode finds a request's route as API Gateway does: a literal segment is preferred over a path parameter,
// whatever order the route table declares them in.

const route = (method: RouteDefinition['method'], path: string): RouteDefinition => ({
  method,
  path,
  function: 'api',
  auth: 'admin',
  summary: path,
});

describe('route matching', () => {
  it('prefers a literal segment over a parameter when the parameter route is declared first', () => {
    const match = createRouteMatcher([route('GET', '/v1/audit-events/{id}'), route('GET', '/v1/audit-events/histogram')]);
    expect(match('GET', '/v1/audit-events/histogram')).toMatchObject({ route: { path: '/v1/audit-events/histogram' }, pathParameters: {} });
    expect(match('GET', '/v1/audit-events/ev-1')).toMatchObject({
      route: { path: '/v1/audit-events/{id}' },
      pathParameters: { id: 'ev-1' },
    });
  });

  it('decides at the first segment where the templates differ, and keeps the method apart', () => {
    const match = createRouteMatcher([
      route('GET', '/v1/{kind}/{name}/rules'),
      route('GET', '/v1/{kind}/default/{view}'),
      route('GET', '/v1/groups/{name}/{view}'),
      route('POST', '/v1/groups/default/rules'),
    ]);
    expect(match('GET', '/v1/groups/default/rules')).toMatchObject({ route: { path: '/v1/groups/{name}/{view}' } });
    expect(match('GET', '/v1/other/default/rules')).toMatchObject({ route: { path: '/v1/{kind}/default/{view}' } });
    expect(match('POST', '/v1/groups/default/rules')).toMatchObject({ route: { path: '/v1/groups/default/rules' } });
    const refused = match('DELETE', '/v1/groups/default/rules');
    expect(refused.route).toBeUndefined();
    expect(new Set('methodsAllowed' in refused ? refused.methodsAllowed : [])).toEqual(new Set(['GET', 'POST']));
  });

  it("routes every route of the table to itself in the table's own order", () => {
    for (const declared of routes) {
      const path = declared.path.replace(/\{[^}]+\}/g, 'sample-value');
      expect(matchRoute(declared.method, path).route, `${declared.method} ${declared.path}`).toBe(declared);
    }
  });
});
