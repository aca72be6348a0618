import { describe, expect, it } from 'vitest';
import { consoleRoute, routeOfState } from '../../../console/src/sign-in-route.js';

// The route a sign-in carries through Cognito in its state comes back from another site: only a console route
// (a fragment of path segments and a query) is put back, never something a browser would treat as a place to go.

const stateWith = (route: string) => `AAAAAAAAAAAAAAAAAAAAAA.${Buffer.from(route, 'utf8').toString('base64url')}`;

describe('the console route of a sign-in state', () => {
  it('accepts the console routes: sections, editors of names with encoded characters, and the query in the fragment', () => {
    for (const route of ['#/audit', '#/policies/edit/payments%20prod', '#/scopes/new', '#/audit?status=Block&policy=a-b_c.d~e'])
      expect(consoleRoute(route), route).toBe(route);
  });

  it('refuses anything else: other origins, schemes, markup, protocol-relative paths and routes past the length bound', () => {
    for (const fragment of [
      'https://evil.example/',
      '//evil.example',
      '#//evil.example',
      'javascript:alert(1)',
      '#/x"><img src=x onerror=alert(1)>',
      '#/policies/edit/a b',
      '#/a\\b',
      '/policies',
      '',
      `#/${'a'.repeat(300)}`,
    ])
      expect(consoleRoute(fragment), fragment).toBeUndefined();
  });

  it('reads the route from the part of the state after the random part, and only a console route', () => {
    expect(routeOfState(stateWith('#/clusters'))).toBe('#/clusters');
    expect(routeOfState('AAAAAAAAAAAAAAAAAAAAAA')).toBeUndefined();
    expect(routeOfState(stateWith('https://evil.example/'))).toBeUndefined();
    expect(routeOfState('AAAAAAAAAAAAAAAAAAAAAA.%%%')).toBeUndefined();
  });
});
