import { describe, expect, it } from 'vitest';
import { useEnforcerApi } from './harness.js';

const HONEYPOT_SECRET = 'honeypot-secret-0123456789abcdef';

describe('enforcer API: authentication, registration and bundles', () => {
  const api = useEnforcerApi();

  describe('authentication', () => {
    it('answers 401 with the same body for a missing token, a wrong token and the admin token', async () => {
      const token = await api.createGroup('auth-ke', 'kube_enforcer');
      const enforcerId = await api.register(token, 'cluster-a', 'kube_enforcer');
      const missing = await api.call('GET', '/v1/enforcers/bundle', { token: null, enforcerId });
      const wrong = await api.call('GET', '/v1/enforcers/bundle', { token: `${token}x`, enforcerId });
      const admin = await api.call('POST', '/v1/enforcers/register', { body: { name: 'x', type: 'kube_enforcer' } });
      const basic = await api.call('POST', '/v1/enforcers/heartbeat', { headers: { authorization: `Basic ${token}` }, enforcerId });
      for (const response of [missing, wrong, admin, basic]) {
        expect(response.status).toBe(401);
        expect(response.body).toEqual(missing.body);
      }
      expect(missing.body.error.code).toBe('unauthorized');
    });

    it("does not let one group's token read another group's enforcer", async () => {
      const tokenA = await api.createGroup('auth-a', 'nano_enforcer');
      const tokenB = await api.createGroup('auth-b', 'nano_enforcer');
      const enforcerA = await api.register(tokenA, 'fn-a', 'nano_enforcer');
      expect((await api.call('GET', '/v1/enforcers/bundle', { token: tokenA, enforcerId: enforcerA })).status).toBe(200);
      const foreign = await api.call('GET', '/v1/enforcers/bundle', { token: tokenB, enforcerId: enforcerA });
      expect(foreign.status).toBe(404);
      expect(foreign.body.error.code).toBe('not_found');
      expect((await api.call('POST', '/v1/enforcers/heartbeat', { token: tokenB, enforcerId: enforcerA })).status).toBe(404);
      expect((await api.call('POST', '/v1/enforcers/events', { token: tokenB, enforcerId: enforcerA, body: { events: [] } })).status).toBe(
        404,
      );
    });

    it('refuses a rotated token and accepts the new one', async () => {
      const old = await api.createGroup('auth-rotate', 'host_enforcer');
      const enforcerId = await api.register(old, 'host-1', 'host_enforcer');
      const rotated = await api.call('POST', '/v1/enforcer-groups/auth-rotate/token');
      expect(rotated.status).toBe(200);
      expect((await api.call('GET', '/v1/enforcers/bundle', { token: old, enforcerId })).status).toBe(401);
      expect((await api.call('GET', '/v1/enforcers/bundle', { token: rotated.body.token, enforcerId })).status).toBe(200);
    });

    it('requires X-Enforcer-Id on the bundle', async () => {
      const token = await api.createGroup('auth-header', 'agent');
      const response = await api.call('GET', '/v1/enforcers/bundle', { token });
      expect(response.status).toBe(400);
      expect(response.body.error.message).toMatch(/X-Enforcer-Id/);
    });
  });

  describe('registration', () => {
    it('keeps the same id when an enforcer registers again, without bumping the revision', async () => {
      const token = await api.createGroup('reg-nano', 'nano_enforcer');
      const revision = await api.runtime.configStore.revision();
      const first = await api.call('POST', '/v1/enforcers/register', {
        token,
        body: { name: 'orders', type: 'nano_enforcer', version: '1.0.0', metadata: { runtime: 'nodejs22.x' } },
      });
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ enforcerId: expect.stringMatching(/^enf-[0-9a-f]{24}$/), group: 'reg-nano', pollIntervalSeconds: 60 });
      const listed = await api.call('GET', '/v1/enforcers?group=reg-nano');
      const second = await api.call('POST', '/v1/enforcers/register', {
        token,
        body: { name: 'orders', type: 'nano_enforcer', version: '1.1.0', hostname: 'sandbox-1' },
      });
      expect(second.body.enforcerId).toBe(first.body.enforcerId);
      const other = await api.register(token, 'payments', 'nano_enforcer');
      expect(other).not.toBe(first.body.enforcerId);
      expect(await api.runtime.configStore.revision()).toBe(revision);

      const after = await api.call('GET', '/v1/enforcers?group=reg-nano');
      expect(after.status).toBe(200);
      expect(after.body.items).toHaveLength(2);
      const orders = after.body.items.find((item: { name: string }) => item.name === 'orders');
      expect(orders).toMatchObject({
        enforcerId: first.body.enforcerId,
        group: 'reg-nano',
        type: 'nano_enforcer',
        version: '1.1.0',
        hostname: 'sandbox-1',
        status: 'connected',
      });
      expect(orders.metadata).toBeUndefined();
      expect(orders.registeredAt).toBe(listed.body.items[0].registeredAt);
    });

    it('refuses a type other than the group type, unknown fields and oversized values', async () => {
      const token = await api.createGroup('reg-ke', 'kube_enforcer');
      const wrongType = await api.call('POST', '/v1/enforcers/register', { token, body: { name: 'a', type: 'agent' } });
      expect(wrongType.status).toBe(400);
      expect(wrongType.body.error.details[0].path).toBe('type');
      const unknown = await api.call('POST', '/v1/enforcers/register', { token, body: { name: 'a', type: 'kube_enforcer', extra: 1 } });
      expect(unknown.status).toBe(400);
      const long = await api.call('POST', '/v1/enforcers/register', { token, body: { name: 'a'.repeat(300), type: 'kube_enforcer' } });
      expect(long.status).toBe(400);
      expect(long.body.error.details[0].path).toBe('name');
    });
  });

  describe('bundle', () => {
    it('carries the policies of the group type, with the honeypot secret, and the group and global settings', async () => {
      const created = await Promise.all([
        api.call('POST', '/v1/policies', {
          body: { name: 'b-container', type: 'container', controls: { blockContainerExec: { enabled: true } } },
        }),
        // Without an enabled control a policy cannot apply: no bundle carries it.
        api.call('POST', '/v1/policies', { body: { name: 'b-container-idle', type: 'container' } }),
        api.call('POST', '/v1/policies', { body: { name: 'b-host', type: 'host', enabled: false } }),
        api.call('POST', '/v1/application-scopes', {
          body: { name: 'b-scope', expression: 'v1', variables: [{ attribute: 'function.name', value: 'orders-*' }] },
        }),
      ]);
      for (const response of created) expect(response.status, JSON.stringify(response.body)).toBe(201);
      const fn = await api.call('POST', '/v1/policies', {
        body: {
          name: 'b-function',
          type: 'function',
          scope: { applicationScopes: ['b-scope'], expression: '', variables: [] },
          controls: { honeypot: { enabled: true, accessKeyId: 'AKIAABCDEFGHIJKLMNOP', secretAccessKey: HONEYPOT_SECRET } },
        },
      });
      expect(fn.status, JSON.stringify(fn.body)).toBe(201);

      const expected: Record<string, string[]> = {
        kube_enforcer: ['b-container'],
        nano_enforcer: ['b-function'],
        // b-host is disabled: it cannot apply anywhere, so no bundle carries it.
        host_enforcer: [],
        agent: ['b-container'],
      };
      for (const [type, names] of Object.entries(expected)) {
        const group = `bundle-${type.replace('_', '-')}`;
        const token = await api.createGroup(group, type, { enforce: true });
        const enforcerId = await api.register(token, `${type}-1`, type);
        const response = await api.call('GET', '/v1/enforcers/bundle', { token, enforcerId });
        expect(response.status).toBe(200);
        expect(response.headers.get('cache-control')).toBe('no-store');
        const bundle = response.body;
        expect(Object.keys(bundle).sort()).toEqual([
          'applicationScopes',
          'group',
          'policies',
          'pollIntervalSeconds',
          'revision',
          'settings',
        ]);
        expect(response.headers.get('etag')).toBe(`"${bundle.revision}-${group}"`);
        expect(bundle.group).toEqual({
          name: group,
          type,
          enforce: true,
          containerProtection: true,
          hostProtection: true,
          failMode: 'open',
        });
        expect(bundle.settings).toEqual({ bypassScopes: expect.any(Array), admissionWarnings: true, auditRetentionDays: 90 });
        expect(bundle.pollIntervalSeconds).toBe(60);
        expect(bundle.policies.map((p: { name: string }) => p.name).sort()).toEqual(names);
        if (type === 'nano_enforcer') {
          expect(bundle.policies[0].controls.honeypot.secretAccessKey).toBe(HONEYPOT_SECRET);
          expect(bundle.applicationScopes.map((s: { name: string }) => s.name)).toEqual(['b-scope']);
        }
      }
    });

    it("carries a group's honeypot secret only in that group's bundle, with the scope folded over the group", async () => {
      const secretOfB = 'honeypot-secret-of-group-b-0123456789';
      const secretOfTeams = 'honeypot-secret-of-the-teams-012345';
      const honeypot = (secretAccessKey: string) => ({ honeypot: { enabled: true, accessKeyId: 'AKIAABCDEFGHIJKLMNOP', secretAccessKey } });
      const scopeOfB = await api.call('POST', '/v1/application-scopes', {
        body: { name: 'fold-b-only', expression: 'v1', variables: [{ attribute: 'enforcer.group', value: 'fold-b' }] },
      });
      expect(scopeOfB.status, JSON.stringify(scopeOfB.body)).toBe(201);
      const created = await Promise.all([
        // Scoped to group B by its own criteria, and by an application scope.
        api.call('POST', '/v1/policies', {
          body: {
            name: 'fold-honeypot-b',
            type: 'function',
            scope: { applicationScopes: ['Global'], expression: 'v1', variables: [{ attribute: 'enforcer.group', value: 'fold-b' }] },
            controls: honeypot(secretOfB),
          },
        }),
        api.call('POST', '/v1/policies', {
          body: {
            name: 'fold-honeypot-b-scope',
            type: 'function',
            scope: { applicationScopes: ['fold-b-only'] },
            controls: honeypot(secretOfB),
          },
        }),
        // Open for both groups, on the function's name for one of them.
        api.call('POST', '/v1/policies', {
          body: {
            name: 'fold-honeypot-teams',
            type: 'function',
            scope: {
              applicationScopes: ['Global'],
              expression: '(v1 && v2) || v3',
              variables: [
                { attribute: 'enforcer.group', value: 'fold-a' },
                { attribute: 'function.name', value: 'orders-*' },
                { attribute: 'enforcer.group', value: 'fold-b' },
              ],
            },
            controls: honeypot(secretOfTeams),
          },
        }),
      ]);
      for (const response of created) expect(response.status, JSON.stringify(response.body)).toBe(201);

      const enforcerOf = async (group: string) => {
        const token = await api.createGroup(group, 'nano_enforcer');
        return { token, enforcerId: await api.register(token, `${group}-fn`, 'nano_enforcer') };
      };
      // Both groups first: creating a group is a configuration change, which moves the revision.
      const enforcerA = await enforcerOf('fold-a');
      const enforcerB = await enforcerOf('fold-b');
      const bundleOf = async (enforcer: { token: string; enforcerId: string }) => {
        const response = await api.call('GET', '/v1/enforcers/bundle', enforcer);
        expect(response.status).toBe(200);
        return { response, text: JSON.stringify(response.body) };
      };
      const a = await bundleOf(enforcerA);
      const b = await bundleOf(enforcerB);
      const named = (body: { policies: Array<{ name: string }> }) => body.policies.map((p) => p.name).filter((n) => n.startsWith('fold-'));

      expect(a.text).not.toContain(secretOfB);
      expect(named(a.response.body)).toEqual(['fold-honeypot-teams']);
      expect(a.response.body.applicationScopes.map((s: { name: string }) => s.name)).not.toContain('fold-b-only');
      // In group A only the function's name is still open, and group B's name is not shipped.
      expect(a.response.body.policies.find((p: { name: string }) => p.name === 'fold-honeypot-teams').scope).toEqual({
        applicationScopes: ['Global'],
        expression: 'v1',
        variables: [{ attribute: 'function.name', value: 'orders-*' }],
      });
      expect(a.text).not.toContain('"fold-b"');

      expect(b.text).toContain(secretOfB);
      expect(named(b.response.body).sort()).toEqual(['fold-honeypot-b', 'fold-honeypot-b-scope', 'fold-honeypot-teams']);
      for (const policy of b.response.body.policies.filter((p: { name: string }) => p.name.startsWith('fold-'))) {
        expect(policy.scope, policy.name).toEqual({ applicationScopes: ['Global'], expression: '', variables: [] });
      }

      // Unchanged inputs: the same ETag and the same bundle, byte for byte.
      const again = await bundleOf(enforcerA);
      expect(again.response.headers.get('etag')).toBe(a.response.headers.get('etag'));
      expect(again.text).toBe(a.text);
    });

    it('answers 304 while the revision is unchanged and a new bundle after a policy change', async () => {
      const token = await api.createGroup('etag-ke', 'kube_enforcer');
      const enforcerId = await api.register(token, 'etag-cluster', 'kube_enforcer');
      const first = await api.call('GET', '/v1/enforcers/bundle', { token, enforcerId });
      const etag = first.headers.get('etag') ?? '';
      expect(etag).toMatch(/^"\d+-etag-ke"$/);

      const unchanged = await api.call('GET', '/v1/enforcers/bundle', { token, enforcerId, headers: { 'if-none-match': etag } });
      expect(unchanged.status).toBe(304);
      expect(unchanged.body).toBeUndefined();
      expect(unchanged.headers.get('etag')).toBe(etag);

      // Registrations and heartbeats are not configuration: still 304.
      await api.register(token, 'etag-cluster-2', 'kube_enforcer');
      expect((await api.call('GET', '/v1/enforcers/bundle', { token, enforcerId, headers: { 'if-none-match': etag } })).status).toBe(304);

      const created = await api.call('POST', '/v1/policies', {
        body: { name: 'etag-new', type: 'container', controls: { blockContainerExec: { enabled: true } } },
      });
      expect(created.status).toBe(201);
      const changed = await api.call('GET', '/v1/enforcers/bundle', { token, enforcerId, headers: { 'if-none-match': etag } });
      expect(changed.status).toBe(200);
      expect(changed.body.revision).toBeGreaterThan(first.body.revision);
      expect(changed.headers.get('etag')).not.toBe(etag);
      expect(changed.body.policies.map((p: { name: string }) => p.name)).toContain('etag-new');
      expect(first.body.policies.map((p: { name: string }) => p.name)).not.toContain('etag-new');
    });
  });
});
