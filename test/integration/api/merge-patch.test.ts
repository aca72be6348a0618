import { describe, expect, it } from 'vitest';
import { useApi } from '../../support/api.js';

// PATCH with a JSON merge patch (RFC 7386) on groups, policies, application scopes and settings, over real HTTP on
// DynamoDB Local: only the named members change, the merged result is validated as a PUT, write-only values are
// kept, If-Match is honoured, and any other content type is refused before anything is read. A patch or a PUT that
// leaves the item as it is writes nothing.

const api = useApi();
const patch = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  api.call('PATCH', path, { body, headers: { 'content-type': 'application/merge-patch+json', ...headers } });

describe('PATCH with application/merge-patch+json', () => {
  it('turns a group to enforce with one member, keeping the rest and its token', async () => {
    const before = (await api.call('GET', '/v1/enforcer-groups/default-ke')).body;
    const storedBefore = await api.tables.configStore.get('enforcerGroup', 'default-ke');
    const answer = await patch('/v1/enforcer-groups/default-ke', { enforce: true });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('etag')).toBe(`"${before.version + 1}"`);
    expect(answer.body).toEqual({
      ...before,
      enforce: true,
      version: before.version + 1,
      updatedAt: expect.any(String),
      updatedBy: 'local-admin',
    });
    const stored = await api.tables.configStore.get('enforcerGroup', 'default-ke');
    expect(stored?.tokenHash).toBe(storedBefore?.tokenHash);
    expect(JSON.stringify(answer.body)).not.toContain('tokenHash');
  });

  // Found by the bad-input sweep: a null member naming no field merged to the same item, and the PUT wrote it.
  it.each([
    ['/v1/enforcer-groups/default-ke', 'enforcer group'],
    ['/v1/settings/enforcer', 'enforcer settings'],
  ])('%s: refuses a member that names no field of the %s, even as null, and writes nothing', async (path) => {
    const revision = (await api.call('GET', '/v1/health')).body.revision;
    const answer = await patch(path, { 'zz-unknown- ': null, enforce: null });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('validation_failed');
    expect(answer.body.error.details).toContainEqual({ path: 'zz-unknown- ', message: expect.stringContaining('is not a field') });
    expect((await api.call('GET', '/v1/health')).body.revision).toBe(revision);
  });

  it('switches a policy to enforce and keeps its write-only honeypot secret', async () => {
    const secret = 'patch-kept-secret-0123456789';
    const created = await api.call('POST', '/v1/policies', {
      body: {
        name: 'patched-honey',
        type: 'function',
        controls: { honeypot: { accessKeyId: 'AKIAABCDEFGHIJKLMNOP', secretAccessKey: secret } },
      },
    });
    expect(created.status).toBe(201);
    const answer = await patch('/v1/policies/patched-honey', { enforcementMode: 'enforce', description: 'patched' });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ enforcementMode: 'enforce', description: 'patched', version: 2, warnings: expect.any(Array) });
    expect(JSON.stringify(answer.body)).not.toContain(secret);
    const stored = await api.tables.configStore.get('policy', 'patched-honey');
    expect((stored?.controls as any).honeypot).toMatchObject({ accessKeyId: 'AKIAABCDEFGHIJKLMNOP', secretAccessKey: secret });
  });

  it('removes a member with null (its default applies) and replaces arrays whole', async () => {
    await api.call('POST', '/v1/application-scopes', {
      body: {
        name: 'patched-scope',
        description: 'to be removed',
        expression: 'v1 && v2',
        variables: [
          { attribute: 'kubernetes.namespace', value: 'a' },
          { attribute: 'kubernetes.cluster', value: 'b' },
        ],
      },
    });
    const answer = await patch('/v1/application-scopes/patched-scope', {
      description: null,
      expression: 'v1',
      variables: [{ attribute: 'kubernetes.namespace', value: 'payments' }],
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: 'payments' }] });
    expect(answer.body).not.toHaveProperty('description');
  });

  it('patches the settings and validates the merged result as a PUT, naming the field', async () => {
    const ok = await patch('/v1/settings/enforcer', { auditRetentionDays: 45 });
    expect(ok.status).toBe(200);
    expect(ok.body.auditRetentionDays).toBe(45);
    const bad = await patch('/v1/settings/enforcer', { auditRetentionDays: 'forever' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'validation_failed', details: [{ path: 'auditRetentionDays' }] });
    expect((await api.call('GET', '/v1/settings/enforcer')).body.auditRetentionDays).toBe(45);
  });

  it('honours If-Match: a stale version is 412 and nothing is written', async () => {
    const group = (await api.call('GET', '/v1/enforcer-groups/default')).body;
    const stale = await patch('/v1/enforcer-groups/default', { enforce: true }, { 'if-match': `"${group.version + 5}"` });
    expect(stale.status).toBe(412);
    expect((await api.call('GET', '/v1/enforcer-groups/default')).body).toEqual(group);
    const current = await patch('/v1/enforcer-groups/default', { enforce: true }, { 'if-match': `"${group.version}"` });
    expect(current.status).toBe(200);
    expect(current.body.version).toBe(group.version + 1);
  });

  /** A policy whose save answers warnings: an empty allow-list, and a control that acts only on new workloads. */
  const advisedPolicy = {
    name: 'unchanged-policy',
    type: 'container',
    description: 'stays',
    controls: { allowedRegistries: { enabled: true, registries: [] }, limitContainerPrivileges: { enabled: true } },
  };
  const advisedPolicyWarnings = [
    expect.stringContaining('(limitContainerPrivileges) acts only on new workloads'),
    expect.stringContaining('(allowedRegistries) has an empty registries list'),
  ];

  /**
   * Sends a write built from the item at `path` as GET shows it, and checks that it was answered with the item as
   * it is and the save-time advice a save of it answers (`advice`: `warnings`, ...; none for scopes and settings),
   * and wrote nothing: same ETag, no new
   * configuration revision, no activity entry.
   */
  async function expectAnsweredAsIs(
    path: string,
    send: (current: any) => Promise<{ status: number; body: any; headers: Headers }>,
    advice: Record<string, unknown> = {},
  ) {
    await api.call('POST', '/v1/policies', { body: advisedPolicy });
    await api.call('POST', '/v1/application-scopes', {
      body: { name: 'unchanged-scope', expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: 'a' }] },
    });
    const before = await api.call('GET', path);
    const revision = (await api.call('GET', '/v1/health')).body.revision;
    const activity = (await api.call('GET', '/v1/activity')).body.items.length;

    const answer = await send(before.body);

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ ...before.body, ...advice });
    expect(answer.headers.get('etag')).toBe(before.headers.get('etag'));
    expect((await api.call('GET', path)).body).toEqual(before.body);
    expect((await api.call('GET', '/v1/health')).body.revision).toBe(revision);
    expect((await api.call('GET', '/v1/activity')).body.items).toHaveLength(activity);
  }

  // A patch that changes nothing answers the item as it is: no new version, no new configuration revision (every
  // webhook would rebuild its snapshot for nothing), no activity entry.
  describe('a patch that changes nothing', () => {
    const unchangedPatches: ReadonlyArray<readonly [string, (current: any) => Record<string, unknown>, Record<string, unknown>]> = [
      ['/v1/enforcer-groups/default-ke', (group) => ({ enforce: group.enforce, failMode: group.failMode }), {}],
      ['/v1/enforcer-groups/default', () => ({}), {}],
      [
        '/v1/settings/enforcer',
        (settings) => ({ auditRetentionDays: settings.auditRetentionDays, bypassScopes: settings.bypassScopes }),
        {},
      ],
      [
        '/v1/policies/unchanged-policy',
        (policy) => ({ enforcementMode: policy.enforcementMode, description: policy.description }),
        { warnings: advisedPolicyWarnings },
      ],
      ['/v1/application-scopes/unchanged-scope', (scope) => ({ expression: scope.expression, variables: scope.variables }), {}],
      // What `vigil policies set --mode` sends: the mode, and no switch (there is none).
      [
        '/v1/policies/unchanged-policy',
        (policy) => ({ enforcementMode: policy.enforcementMode, enforcementModeChange: null }),
        { warnings: advisedPolicyWarnings },
      ],
      // A member that is already absent, removed: the merged item is the same.
      ['/v1/application-scopes/unchanged-scope', () => ({ description: null }), {}],
    ];

    it.each(unchangedPatches)('%s: answers 200 with the current item and writes nothing', (path, unchanged, advice) =>
      expectAnsweredAsIs(path, (current) => patch(path, unchanged(current)), advice),
    );

    it('still answers 412 to a stale If-Match', async () => {
      const group = (await api.call('GET', '/v1/enforcer-groups/default-ke')).body;
      const stale = await patch('/v1/enforcer-groups/default-ke', { enforce: group.enforce }, { 'if-match': `"${group.version + 3}"` });
      expect(stale.status).toBe(412);
      const current = await patch('/v1/enforcer-groups/default-ke', { enforce: group.enforce }, { 'if-match': `"${group.version}"` });
      expect(current.status).toBe(200);
      expect(current.body.version).toBe(group.version);
    });
  });

  // A PUT whose body is the item as stored is answered as such a patch, through the same comparison.
  describe('a PUT of the item as it is', () => {
    const unchangedPuts: ReadonlyArray<readonly [string, (current: any) => Record<string, unknown>, Record<string, unknown>]> = [
      // The item as GET shows it, server-managed fields and all.
      ['/v1/enforcer-groups/default-ke', (group) => group, {}],
      ['/v1/settings/enforcer', (settings) => settings, {}],
      ['/v1/policies/unchanged-policy', (policy) => policy, { warnings: advisedPolicyWarnings }],
      ['/v1/application-scopes/unchanged-scope', (scope) => scope, {}],
      // Without the server's fields, and a default spelled out.
      ['/v1/enforcer-groups/default', ({ version: _version, createdAt: _created, updatedAt: _updated, ...group }) => group, {}],
      [
        '/v1/policies/unchanged-policy',
        ({ version: _version, ...policy }) => ({ ...policy, enabled: true }),
        { warnings: advisedPolicyWarnings },
      ],
    ];

    it.each(unchangedPuts)('%s: answers 200 with the current item and writes nothing', (path, unchanged, advice) =>
      expectAnsweredAsIs(path, (current) => api.call('PUT', path, { body: unchanged(current) }), advice),
    );

    it('still answers 412 to a stale If-Match, and 409 for the built-in Global scope', async () => {
      const group = (await api.call('GET', '/v1/enforcer-groups/default-ke')).body;
      const stale = await api.call('PUT', '/v1/enforcer-groups/default-ke', {
        body: group,
        headers: { 'if-match': `"${group.version + 3}"` },
      });
      expect(stale.status).toBe(412);
      expect(stale.body.error.code).toBe('version_mismatch');
      const current = await api.call('PUT', '/v1/enforcer-groups/default-ke', {
        body: group,
        headers: { 'if-match': `"${group.version}"` },
      });
      expect(current.status).toBe(200);
      expect(current.body.version).toBe(group.version);
      const global = (await api.call('GET', '/v1/application-scopes/Global')).body;
      expect((await api.call('PUT', '/v1/application-scopes/Global', { body: global })).status).toBe(409);
    });

    it('writes a PUT that changes one field, as before', async () => {
      const group = (await api.call('GET', '/v1/enforcer-groups/default')).body;
      const changed = await api.call('PUT', '/v1/enforcer-groups/default', { body: { ...group, description: 'changed by PUT' } });
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({ description: 'changed by PUT', version: group.version + 1 });
    });
  });

  // Save-time advice is about the item, not about the write: what a save of the document answered is still true when
  // it is sent again unchanged (an apply of the same files), so the answer that writes nothing carries it too.
  describe('the save-time advice of a write that changes nothing', () => {
    it('a PUT and a PATCH of an unchanged policy answer the warnings its last save answered', async () => {
      const policy = { ...advisedPolicy, name: 'advised-policy' };
      await api.call('POST', '/v1/policies', { body: policy });
      const saved = await api.call('PUT', '/v1/policies/advised-policy', { body: { ...policy, description: 'saved again' } });
      expect(saved.status).toBe(200);
      expect(saved.body.warnings).toEqual(advisedPolicyWarnings);

      await expectAnsweredAsIs(
        '/v1/policies/advised-policy',
        (current) => api.call('PUT', '/v1/policies/advised-policy', { body: current }),
        {
          warnings: saved.body.warnings,
        },
      );
      await expectAnsweredAsIs('/v1/policies/advised-policy', () => patch('/v1/policies/advised-policy', { description: 'saved again' }), {
        warnings: saved.body.warnings,
      });
    });

    it("a PUT and a PATCH of an unchanged group name again the clusters whose manifests carry the group's previous settings", async () => {
      await api.call('POST', '/v1/enforcer-groups', { body: { name: 'advised-ke', type: 'kube_enforcer' } });
      await api.call('POST', '/v1/clusters', { body: { name: 'advised-1', enforcerGroup: 'advised-ke' } });
      const group = (await api.call('GET', '/v1/enforcer-groups/advised-ke')).body;
      const saved = await api.call('PUT', '/v1/enforcer-groups/advised-ke', { body: { ...group, failMode: 'closed' } });
      expect(saved.status).toBe(200);
      expect(saved.body.clustersToReissue).toEqual(['advised-1']);
      const advice = { clustersToReissue: saved.body.clustersToReissue, warnings: saved.body.warnings };
      expect(advice.warnings).toEqual([expect.stringContaining('vigil groups reissue advised-ke')]);

      await expectAnsweredAsIs(
        '/v1/enforcer-groups/advised-ke',
        (current) => api.call('PUT', '/v1/enforcer-groups/advised-ke', { body: current }),
        advice,
      );
      await expectAnsweredAsIs(
        '/v1/enforcer-groups/advised-ke',
        () => patch('/v1/enforcer-groups/advised-ke', { failMode: 'closed' }),
        advice,
      );

      // Once re-issued, there is nothing left to say.
      expect((await api.call('POST', '/v1/enforcer-groups/advised-ke/reissue')).status).toBe(200);
      await expectAnsweredAsIs('/v1/enforcer-groups/advised-ke', (current) =>
        api.call('PUT', '/v1/enforcer-groups/advised-ke', { body: current }),
      );
    });
  });

  it('refuses other content types with 415, a non-object patch with 400, and the built-in Global scope with 409', async () => {
    const asJson = await api.call('PATCH', '/v1/enforcer-groups/default-ke', { body: { enforce: false } });
    expect(asJson.status).toBe(415);
    expect(asJson.body.error.message).toContain('application/merge-patch+json');
    expect((await patch('/v1/enforcer-groups/default-ke', [{ op: 'replace', path: '/enforce', value: false }])).status).toBe(400);
    expect((await patch('/v1/application-scopes/Global', { expression: 'v1' })).status).toBe(409);
    expect((await patch('/v1/policies/no-such-policy', { enabled: false })).status).toBe(404);
    expect((await patch('/v1/policies/patched-honey', { name: 'renamed' })).status).toBe(400);
  });
});
