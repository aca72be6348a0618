import { describe, expect, it } from 'vitest';
import { bodyLimit } from '../../../functions/shared/http/body-parsing.js';
import { routeKey, routes } from '../../../functions/shared/routes.js';
import { useApi } from '../../support/api.js';

const api = useApi();

const writeRoutes = routes.filter((r) => r.function === 'api' && r.auth === 'admin' && (r.method === 'POST' || r.method === 'PUT'));
const pathOf = (template: string) => template.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'name' ? 'bad-input' : `some-${name}`));

/** Every answer to bad input is a 4xx with the error body, never a 5xx. */
function expectClientError(response: { status: number; body: any }, status?: number) {
  expect(response.status).toBeGreaterThanOrEqual(400);
  expect(response.status).toBeLessThan(500);
  if (status !== undefined) expect(response.status).toBe(status);
  expect(typeof response.body.error.code).toBe('string');
  expect(typeof response.body.error.message).toBe('string');
}

describe('bad input on every write route', () => {
  it.each(writeRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s answers malformed JSON with 400', async (_, route) => {
    const response = await api.call(route.method, pathOf(route.path), {
      rawBody: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });
    expectClientError(response, 400);
    expect(response.body.error.code).toBe('bad_request');
  });

  it.each(writeRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s answers a non-JSON content type with 415',
    async (_, route) => {
      const response = await api.call(route.method, pathOf(route.path), {
        rawBody: 'name=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expectClientError(response, 415);
    },
  );

  it.each(writeRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s answers a body over its limit with 413', async (_, route) => {
    // 1 MiB everywhere but the import routes (functions/shared/http/body-parsing.ts holds the per-route limits).
    const limit = bodyLimit(routeKey(route));
    expect(limit).toBe(['/v1/import', '/v1/imports/{id}/parts/{part}'].includes(route.path) ? 5 * 1024 * 1024 : 1024 * 1024);
    const response = await api.call(route.method, pathOf(route.path), {
      rawBody: JSON.stringify({ name: 'x'.repeat(limit) }),
      headers: { 'content-type': 'application/json' },
    });
    expectClientError(response, 413);
    expect(response.body.error.code).toBe('payload_too_large');
  });

  it.each(writeRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s answers wrong types and unknown fields with a 4xx',
    async (_, route) => {
      for (const body of [[], 'text', 42, null, { name: 7 }, { name: 'bad-input', type: 'container', unexpected: true }]) {
        expectClientError(await api.call(route.method, pathOf(route.path), { body }));
      }
    },
  );
});

describe('bad input, route by route', () => {
  it('names every bad field of a policy by its JSON path', async () => {
    const response = await api.call('POST', '/v1/policies', {
      body: {
        name: 'bad input!',
        type: 'container',
        enforcementMode: 'block',
        controls: { blockContainerExec: { enabled: 'yes' }, honeypot: {} },
      },
    });
    expectClientError(response, 400);
    expect(response.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      'controls',
      'controls.blockContainerExec.enabled',
      'enforcementMode',
      'name',
    ]);
  });

  it('rejects bad query parameters, cursors and If-Match headers', async () => {
    expectClientError(await api.call('GET', '/v1/policies?limit=0'), 400);
    expectClientError(await api.call('GET', '/v1/policies?limit=501'), 400);
    expectClientError(await api.call('GET', '/v1/policies?limit=ten'), 400);
    expectClientError(await api.call('GET', '/v1/policies?type=vm'), 400);
    expectClientError(await api.call('GET', '/v1/policies?enabled=maybe'), 400);
    expectClientError(await api.call('GET', '/v1/policies?cursor=not-a-cursor'), 400);
    expectClientError(await api.call('GET', '/v1/audit-events?cursor=eyJ4IjoxfQ'), 400);
    expectClientError(await api.call('GET', '/v1/audit-events?status=Maybe'), 400);
    expectClientError(await api.call('GET', '/v1/audit-events?since=yesterday'), 400);
    expectClientError(await api.call('GET', '/v1/audit-events?since=2026-11-02T00:00:00Z&until=2026-11-01T00:00:00Z'), 400);
    expectClientError(await api.call('GET', '/v1/activity?since=soon'), 400);
    expectClientError(await api.call('POST', '/v1/import?mode=merge', { body: { formatVersion: 1 } }), 400);
    await api.call('POST', '/v1/policies', { body: { name: 'etag', type: 'container' } });
    expectClientError(await api.call('DELETE', '/v1/policies/etag', { headers: { 'if-match': 'latest' } }), 400);
  });

  it('answers unknown references and unknown resources with 4xx', async () => {
    expectClientError(await api.call('GET', '/v1/policies/nope'), 404);
    expectClientError(await api.call('DELETE', '/v1/policies/nope'), 404);
    expectClientError(await api.call('GET', '/v1/policy-templates/nope'), 404);
    expectClientError(await api.call('GET', '/v1/audit-events/nope'), 404);
    expectClientError(await api.call('POST', '/v1/enforcer-groups/nope/token'), 404);
    expectClientError(
      await api.call('POST', '/v1/import', {
        body: { formatVersion: 1, policies: [{ name: 'p', type: 'container', scope: { applicationScopes: ['ghost'] } }] },
      }),
      400,
    );
    expectClientError(await api.call('POST', '/v1/import', { body: { formatVersion: 2 } }), 400);
  });

  it('answers unknown paths with 404 and wrong methods with 405', async () => {
    expectClientError(await api.call('GET', '/v1/nothing-here'), 404);
    const wrongMethod = await api.call('PATCH', '/v1/policies');
    expectClientError(wrongMethod, 405);
    expect(wrongMethod.headers.get('allow')).toContain('GET');
  });
});
