import { describe, expect, it } from 'vitest';
import { routes } from '../../../functions/shared/routes.js';
import { useApi } from '../../support/api.js';

const api = useApi();

const execGuard = {
  name: 'exec-guard',
  type: 'container',
  controls: { blockContainerExec: { enabled: true, allowedProcesses: ['/usr/bin/date'] } },
};

describe('policies API', () => {
  it('creates, reads, replaces and deletes a policy with versions as ETags', async () => {
    const created = await api.call('POST', '/v1/policies', { body: execGuard });
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.body).toMatchObject({
      name: 'exec-guard',
      version: 1,
      enforcementMode: 'audit',
      enabled: true,
      updatedBy: 'local-admin',
      warnings: [],
    });

    const read = await api.call('GET', '/v1/policies/exec-guard');
    expect(read.status).toBe(200);
    expect(read.body.warnings).toBeUndefined();

    // PUT accepts exactly what GET returned, edited.
    const replaced = await api.call('PUT', '/v1/policies/exec-guard', {
      body: { ...read.body, enforcementMode: 'enforce' },
      headers: { 'if-match': '"1"' },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ version: 2, enforcementMode: 'enforce', createdAt: read.body.createdAt });

    const stale = await api.call('PUT', '/v1/policies/exec-guard', { body: read.body, headers: { 'if-match': '"1"' } });
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe('version_mismatch');

    expect((await api.call('DELETE', '/v1/policies/exec-guard', { headers: { 'if-match': '"1"' } })).status).toBe(412);
    expect((await api.call('DELETE', '/v1/policies/exec-guard', { headers: { 'if-match': '"2"' } })).status).toBe(204);
    expect((await api.call('GET', '/v1/policies/exec-guard')).status).toBe(404);
  });

  it('answers a save with what Tetragon cannot apply exactly on nodes (the default group is an agent group)', async () => {
    const created = await api.call('POST', '/v1/policies', {
      body: { name: 'node-gaps', type: 'container', controls: { forkGuard: {}, driftPrevention: {}, portBlock: { outbound: ['25'] } } },
    });
    expect(created.status).toBe(201);
    expect(created.body.warnings).toEqual([
      expect.stringMatching(/^Drift Prevention \(driftPrevention\) is approximate on nodes: /),
      expect.stringMatching(/^Fork Guard \(forkGuard\) is not enforced on nodes: /),
    ]);
  });

  it('refuses a second policy of the same name, whatever its type', async () => {
    await api.call('POST', '/v1/policies', { body: { ...execGuard, name: 'taken' } });
    const again = await api.call('POST', '/v1/policies', { body: { name: 'taken', type: 'function' } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
  });

  it('creates a policy from a template with overrides', async () => {
    const created = await api.call('POST', '/v1/policies', {
      body: { template: 'cis-kubernetes', name: 'cis', enforcementMode: 'enforce' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'cis', type: 'container', enforcementMode: 'enforce' });
    expect(created.body.warnings.some((w: string) => w.includes('new workloads'))).toBe(true);
    const unknown = await api.call('POST', '/v1/policies', { body: { template: 'nope', name: 'x' } });
    expect(unknown).toMatchObject({ status: 400, body: { error: { code: 'validation_failed', details: [{ path: 'template' }] } } });
  });

  it('lists with paging and filters', async () => {
    for (let i = 0; i < 5; i++)
      await api.call('POST', '/v1/policies', { body: { name: `page-${i}`, type: i % 2 === 0 ? 'host' : 'function' } });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.call('GET', `/v1/policies?type=host&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((p: { name: string; type: string }) => `${p.name}:${p.type}`));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['page-0:host', 'page-2:host', 'page-4:host']);
  });

  it('resolves afterDays from the save time and keeps it when the change is unchanged', async () => {
    const before = Date.now();
    const created = await api.call('POST', '/v1/policies', {
      body: { name: 'scheduled', type: 'container', enforcementModeChange: { to: 'enforce', afterDays: 3 } },
    });
    expect(created.status).toBe(201);
    const change = created.body.enforcementModeChange;
    expect(change).toMatchObject({ to: 'enforce', afterDays: 3, state: 'pending' });
    const due = Date.parse(change.scheduledFor);
    expect(due).toBeGreaterThanOrEqual(before + 3 * 86_400_000);
    expect(due).toBeLessThanOrEqual(Date.now() + 3 * 86_400_000);
    const resaved = await api.call('PUT', '/v1/policies/scheduled', { body: { ...created.body, description: 'edited' } });
    expect(resaved.body.enforcementModeChange).toEqual(change);
    const cleared = await api.call('PUT', '/v1/policies/scheduled', { body: { ...resaved.body, enforcementModeChange: null } });
    expect(cleared.body.enforcementModeChange).toBeNull();
  });

  it('refuses a switch time in the past', async () => {
    const response = await api.call('POST', '/v1/policies', {
      body: { name: 'late', type: 'container', enforcementModeChange: { to: 'enforce', at: '2020-01-01T00:00:00Z' } },
    });
    expect(response).toMatchObject({
      status: 400,
      body: { error: { code: 'validation_failed', details: [{ path: 'enforcementModeChange.at' }] } },
    });
  });

  it('never returns the honeypot secret and keeps it when a PUT omits it', async () => {
    const body = {
      name: 'honey',
      type: 'function',
      controls: { honeypot: { accessKeyId: 'AKIAABCDEFGHIJKLMNOP', secretAccessKey: 'fake-secret-value-123456' } },
    };
    const created = await api.call('POST', '/v1/policies', { body });
    expect(created.status).toBe(201);
    expect(JSON.stringify(created.body)).not.toContain('fake-secret-value');
    const replaced = await api.call('PUT', '/v1/policies/honey', { body: { ...created.body, description: 'x' } });
    expect(replaced.status).toBe(200);
    const stored = await api.tables.configStore.get('policy', 'honey');
    expect((stored?.controls as any).honeypot.secretAccessKey).toBe('fake-secret-value-123456');
  });

  it('never shows the honeypot secret in the activity trail, for a create, an update or a delete', async () => {
    const secret = 'activity-secret-value-123456';
    const body = {
      name: 'honey-trail',
      type: 'function',
      controls: { honeypot: { accessKeyId: 'AKIAABCDEFGHIJKLMNOP', secretAccessKey: secret } },
    };
    const created = await api.call('POST', '/v1/policies', { body });
    expect(created.status).toBe(201);
    expect((await api.call('PUT', '/v1/policies/honey-trail', { body: { ...created.body, description: 'edited' } })).status).toBe(200);
    expect((await api.call('DELETE', '/v1/policies/honey-trail')).status).toBe(204);
    const trail = await api.call('GET', '/v1/activity?limit=500');
    expect(trail.status).toBe(200);
    const entries = (trail.body.items as any[]).filter((entry) => entry.resource === 'policy/honey-trail');
    expect(entries.map((entry) => entry.action).sort()).toEqual(['create', 'delete', 'update']);
    // The rest of the honeypot settings stay visible, so that the trail still shows what changed.
    expect(entries.some((entry) => entry.after?.controls?.honeypot?.accessKeyId === 'AKIAABCDEFGHIJKLMNOP')).toBe(true);
    expect(JSON.stringify(trail.body)).not.toContain(secret);
  });

  it('answers no read route with the honeypot secret (every GET of the admin API, after a create and an edit)', async () => {
    const secret = 'every-route-secret-value-123456';
    const body = {
      name: 'honey-all',
      type: 'function',
      controls: { honeypot: { accessKeyId: 'AKIAABCDEFGHIJKLMNOP', secretAccessKey: secret } },
    };
    const created = await api.call('POST', '/v1/policies', { body });
    expect(created.status).toBe(201);
    const edited = await api.call('PUT', '/v1/policies/honey-all', { body: { ...created.body, description: 'edited' } });
    expect(edited.status).toBe(200);
    const reads = routes.filter((route) => route.method === 'GET' && route.auth !== 'enforcer' && route.auth !== 'webhook');
    expect(reads.length).toBeGreaterThan(10);
    for (const route of reads) {
      const path = route.path.replace('{name}', 'honey-all').replace('{id}', 'default');
      const answer = await api.call('GET', route.path === '/v1/activity' ? `${path}?limit=500` : path);
      expect(answer.status, path).toBeLessThan(500);
      expect(JSON.stringify(answer.body ?? ''), path).not.toContain(secret);
    }
    for (const answer of [created, edited]) expect(JSON.stringify(answer.body)).not.toContain(secret);
  });

  it('refuses names that differ from the path, type changes and missing application scopes', async () => {
    await api.call('POST', '/v1/policies', { body: { name: 'fixed', type: 'container' } });
    expect((await api.call('PUT', '/v1/policies/fixed', { body: { name: 'other', type: 'container' } })).status).toBe(400);
    const typeChange = await api.call('PUT', '/v1/policies/fixed', { body: { name: 'fixed', type: 'host' } });
    expect(typeChange).toMatchObject({ status: 400, body: { error: { details: [{ path: 'type' }] } } });
    const missingScope = await api.call('POST', '/v1/policies', {
      body: { name: 'scoped', type: 'container', scope: { applicationScopes: ['Global', 'nowhere'] } },
    });
    expect(missingScope).toMatchObject({ status: 400, body: { error: { details: [{ path: 'scope.applicationScopes.1' }] } } });
    expect((await api.call('PUT', '/v1/policies/absent', { body: { name: 'absent', type: 'container' } })).status).toBe(404);
  });

  it('lets exactly one of 20 concurrent writers on one version win', async () => {
    const created = await api.call('POST', '/v1/policies', { body: { name: 'contended', type: 'container' } });
    const attempts = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api.call('PUT', '/v1/policies/contended', {
          body: { ...created.body, description: `writer ${i}` },
          headers: { 'if-match': '"1"' },
        }),
      ),
    );
    const statuses = attempts.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(19);
    const winner = attempts.find((a) => a.status === 200)!;
    const final = await api.call('GET', '/v1/policies/contended');
    expect(final.body).toMatchObject({ version: 2, description: winner.body.description });
    const activity = await api.call('GET', '/v1/activity?limit=500');
    expect(activity.body.items.filter((e: { resource: string }) => e.resource === 'policy/contended')).toHaveLength(2);
  });

  it('applies every one of 20 concurrent writers without If-Match (the write is unconditional for them)', async () => {
    const created = await api.call('POST', '/v1/policies', { body: { name: 'unguarded', type: 'container' } });
    const attempts = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api.call('PUT', '/v1/policies/unguarded', { body: { ...created.body, description: `writer ${i}` } }),
      ),
    );
    expect(attempts.map((a) => a.status)).toEqual(Array.from({ length: 20 }, () => 200));
    expect(new Set(attempts.map((a) => a.body.version))).toEqual(new Set(Array.from({ length: 20 }, (_, i) => i + 2)));
    const final = await api.call('GET', '/v1/policies/unguarded');
    expect(final.body.version).toBe(21);
    const activity = await api.call('GET', '/v1/activity?limit=500');
    expect(activity.body.items.filter((e: { resource: string }) => e.resource === 'policy/unguarded')).toHaveLength(21);
  });
});

describe('application scopes API', () => {
  it('lists Global first and refuses to change or delete it', async () => {
    const list = await api.call('GET', '/v1/application-scopes');
    expect(list.body.items[0]).toMatchObject({ name: 'Global' });
    expect((await api.call('DELETE', '/v1/application-scopes/Global')).status).toBe(409);
    expect((await api.call('PUT', '/v1/application-scopes/Global', { body: { name: 'Global' } })).status).toBe(409);
    expect((await api.call('POST', '/v1/application-scopes', { body: { name: 'Global' } })).status).toBe(409);
  });

  it('refuses to delete a scope a policy uses', async () => {
    const scope = { name: 'payments', expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: 'payments' }] };
    expect((await api.call('POST', '/v1/application-scopes', { body: scope })).status).toBe(201);
    expect(
      (
        await api.call('POST', '/v1/policies', {
          body: { name: 'uses-payments', type: 'container', scope: { applicationScopes: ['payments'] } },
        })
      ).status,
    ).toBe(201);
    const refused = await api.call('DELETE', '/v1/application-scopes/payments');
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('uses-payments');
    await api.call('DELETE', '/v1/policies/uses-payments');
    expect((await api.call('DELETE', '/v1/application-scopes/payments')).status).toBe(204);
  });

  it('applies every one of 20 concurrent replaces without If-Match', async () => {
    const scope = { name: 'contended-scope', expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: 'a' }] };
    expect((await api.call('POST', '/v1/application-scopes', { body: scope })).status).toBe(201);
    const attempts = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api.call('PUT', '/v1/application-scopes/contended-scope', { body: { ...scope, description: `writer ${i}` } }),
      ),
    );
    expect(attempts.map((a) => a.status)).toEqual(Array.from({ length: 20 }, () => 200));
    expect((await api.call('GET', '/v1/application-scopes/contended-scope')).body.version).toBe(21);
  });
});

describe('enforcer groups API', () => {
  it('bootstraps default and default-ke, audit only', async () => {
    const list = await api.call('GET', '/v1/enforcer-groups');
    expect(list.body.items.map((g: { name: string; type: string; enforce: boolean }) => [g.name, g.type, g.enforce])).toEqual([
      ['default', 'agent', false],
      ['default-ke', 'kube_enforcer', false],
    ]);
    expect(JSON.stringify(list.body)).not.toContain('tokenHash');
  });

  it('returns a token once on create and on rotation, and stores only its hash', async () => {
    const created = await api.call('POST', '/v1/enforcer-groups', { body: { name: 'lambdas', type: 'nano_enforcer' } });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^vigil_grp_[A-Za-z0-9_-]{43}$/);
    const read = await api.call('GET', '/v1/enforcer-groups/lambdas');
    expect(read.body.token).toBeUndefined();
    const stored = await api.tables.configStore.get('enforcerGroup', 'lambdas');
    expect(stored?.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(created.body.token);
    const rotated = await api.call('POST', '/v1/enforcer-groups/lambdas/token');
    expect(rotated.status).toBe(200);
    expect(rotated.body.token).not.toBe(created.body.token);
    expect((await api.tables.configStore.get('enforcerGroup', 'lambdas'))?.tokenHash).not.toBe(stored?.tokenHash);
  });

  it('refuses to delete a built-in group or change a group type', async () => {
    expect((await api.call('DELETE', '/v1/enforcer-groups/default-ke')).status).toBe(409);
    const group = await api.call('GET', '/v1/enforcer-groups/default-ke');
    expect((await api.call('PUT', '/v1/enforcer-groups/default-ke', { body: { ...group.body, type: 'agent' } })).status).toBe(400);
    const enforce = await api.call('PUT', '/v1/enforcer-groups/default-ke', { body: { ...group.body, enforce: true } });
    expect(enforce).toMatchObject({ status: 200, body: { enforce: true, version: group.body.version + 1 } });
  });

  it('applies every one of 20 concurrent replaces without If-Match, and answers 412 to a stale If-Match', async () => {
    const created = await api.call('POST', '/v1/enforcer-groups', { body: { name: 'contended-group', type: 'agent' } });
    const { token: _token, ...group } = created.body;
    const attempts = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api.call('PUT', '/v1/enforcer-groups/contended-group', { body: { ...group, description: `writer ${i}` } }),
      ),
    );
    expect(attempts.map((a) => a.status)).toEqual(Array.from({ length: 20 }, () => 200));
    expect((await api.call('GET', '/v1/enforcer-groups/contended-group')).body.version).toBe(21);
    const stale = await api.call('PUT', '/v1/enforcer-groups/contended-group', {
      body: { ...group, enforce: true },
      headers: { 'if-match': `"${group.version}"` },
    });
    expect(stale.status).toBe(412);
    expect((await api.call('GET', '/v1/enforcer-groups/contended-group')).body.enforce).toBe(false);
  });
});

describe('enforcer settings API', () => {
  it('starts with the kube-system bypass and accepts the dotted form', async () => {
    const settings = await api.call('GET', '/v1/settings/enforcer');
    expect(settings.body.bypassScopes).toHaveLength(2);
    const saved = await api.call('PUT', '/v1/settings/enforcer', {
      body: { ...settings.body, bypassScopes: ['kubernetes.namespace.kube-system'] },
    });
    expect(saved).toMatchObject({
      status: 200,
      body: { bypassScopes: [{ attribute: 'kubernetes.namespace', value: 'kube-system' }], version: settings.body.version + 1 },
    });
  });

  it('applies every one of 20 concurrent replaces without If-Match', async () => {
    const settings = (await api.call('GET', '/v1/settings/enforcer')).body;
    const attempts = await Promise.all(
      Array.from({ length: 20 }, (_, i) => api.call('PUT', '/v1/settings/enforcer', { body: { ...settings, auditRetentionDays: 30 + i } })),
    );
    expect(attempts.map((a) => a.status)).toEqual(Array.from({ length: 20 }, () => 200));
    expect((await api.call('GET', '/v1/settings/enforcer')).body.version).toBe(settings.version + 20);
  });
});
