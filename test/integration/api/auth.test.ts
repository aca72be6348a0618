import { describe, expect, it } from 'vitest';
import { routes } from '../../../functions/shared/routes.js';
import { useApi } from '../../support/api.js';

const api = useApi();

/** A concrete path for a route template. */
function pathOf(template: string): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => `some-${name}`);
}

const adminRoutes = routes.filter((r) => r.function === 'api' && r.auth === 'admin');

describe('admin API authentication', () => {
  it.each(adminRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s refuses a missing token', async (_, route) => {
    const response = await api.call(route.method, pathOf(route.path), {
      token: null,
      body: route.method === 'GET' || route.method === 'DELETE' ? undefined : {},
    });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ error: { code: 'unauthorized', message: 'missing or invalid credentials', details: [] } });
  });

  it.each(adminRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s refuses a wrong token', async (_, route) => {
    const response = await api.call(route.method, pathOf(route.path), {
      token: 'wrong-token-wrong-token',
      body: route.method === 'GET' || route.method === 'DELETE' ? undefined : {},
    });
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('unauthorized');
  });

  it('refuses other authorization schemes and malformed headers', async () => {
    for (const authorization of ['Basic dGVzdDp0ZXN0', 'Bearer', 'Bearer a b', 'bearer']) {
      const response = await api.call('GET', '/v1/policies', { token: null, headers: { authorization } });
      expect(response.status, authorization).toBe(401);
    }
  });

  it('answers unknown resources and missing credentials alike', async () => {
    const missing = await api.call('GET', '/v1/policies/does-not-exist', { token: null });
    const existing = await api.call('GET', '/v1/enforcer-groups/default', { token: null });
    expect(missing).toMatchObject({ status: 401, body: existing.body });
  });

  it('serves health and the OpenAPI document without credentials', async () => {
    expect((await api.call('GET', '/v1/health', { token: null })).status).toBe(200);
    expect((await api.call('GET', '/v1/openapi.json', { token: null })).status).toBe(200);
  });

  it('accepts the admin token', async () => {
    expect((await api.call('GET', '/v1/policies')).status).toBe(200);
  });
});
