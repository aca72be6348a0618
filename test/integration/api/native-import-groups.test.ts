import { describe, expect, it } from 'vitest';
import { hashSecret } from '../../../functions/shared/http/auth.js';
import { useApi } from '../../support/api.js';

const api = useApi();

const scope = { name: 'grp-prod', expression: 'v1', variables: [{ attribute: 'kubernetes.cluster', value: 'prod-*' }] };
const policy = { name: 'grp-exec', type: 'container', scope: { applicationScopes: ['grp-prod'] }, controls: { blockContainerExec: {} } };
const group = { name: 'grp-nodes', type: 'agent', description: 'nodes of prod', enforce: true };

describe('the native import of enforcer groups', () => {
  it('creates a group with a new token shown once, in the same change set as policies and scopes, unchanged the second time', async () => {
    const document = { formatVersion: 1, applicationScopes: [scope], policies: [policy], enforcerGroups: [group] };
    const dry = await api.call('POST', '/v1/import?dryRun=true', { body: document });
    expect(dry.status).toBe(200);
    expect(dry.body.items).toContainEqual({ kind: 'enforcerGroup', name: 'grp-nodes', result: 'created' });
    expect((await api.call('GET', '/v1/enforcer-groups/grp-nodes')).status).toBe(404);

    const revision = (await api.call('GET', '/v1/health')).body.revision;
    const first = await api.call('POST', '/v1/import', { body: document });
    expect(first.status).toBe(200);
    const item = first.body.items.find((i: { kind: string }) => i.kind === 'enforcerGroup');
    expect(item).toMatchObject({ kind: 'enforcerGroup', name: 'grp-nodes', result: 'created' });
    expect(item.token).toMatch(/^vigil_grp_/);
    // One commit: policies, scopes and the group together.
    expect((await api.call('GET', '/v1/health')).body.revision).toBe(revision + 1);
    const stored = await api.call('GET', '/v1/enforcer-groups/grp-nodes');
    expect(stored.body).toMatchObject({ ...group, containerProtection: true, failMode: 'open' });
    expect((await api.runtime.configStore.get('enforcerGroup', 'grp-nodes'))?.tokenHash).toBe(hashSecret(item.token));

    const again = await api.call('POST', '/v1/import', { body: document });
    expect(again.body.items).toContainEqual({ kind: 'enforcerGroup', name: 'grp-nodes', result: 'unchanged' });
    expect((await api.call('GET', '/v1/enforcer-groups/grp-nodes')).body.version).toBe(stored.body.version);
  });

  it('updates a built-in group and replaces the whole group as PUT does, keeping its token', async () => {
    const before = await api.runtime.configStore.get('enforcerGroup', 'default-ke');
    const response = await api.call('POST', '/v1/import', {
      body: { formatVersion: 1, enforcerGroups: [{ name: 'default-ke', type: 'kube_enforcer', failMode: 'closed' }] },
    });
    expect(response.status).toBe(200);
    expect(response.body.items).toEqual([{ kind: 'enforcerGroup', name: 'default-ke', result: 'updated' }]);
    const after = await api.runtime.configStore.get('enforcerGroup', 'default-ke');
    expect(after).toMatchObject({ failMode: 'closed', tokenHash: before?.tokenHash, version: (before?.version ?? 0) + 1 });
    // Fields the document leaves out take their defaults, as a PUT of the group would.
    expect(after?.description).toBeUndefined();
  });

  it('refuses a bad field, a token and a type change, each named at its path, and writes nothing', async () => {
    const revision = (await api.call('GET', '/v1/health')).body.revision;
    const response = await api.call('POST', '/v1/import', {
      body: {
        formatVersion: 1,
        policies: [{ ...policy, name: 'grp-never', scope: {} }],
        enforcerGroups: [
          { name: 'grp-fine', type: 'agent' },
          { name: 'grp-bad', type: 'agent', timeoutSeconds: 99 },
          { name: 'grp-token', type: 'agent', token: 'vigil_grp_secret' },
          { name: 'default', type: 'kube_enforcer' },
        ],
      },
    });
    expect(response.status).toBe(400);
    const paths = response.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(['enforcerGroups.1.timeoutSeconds', 'enforcerGroups.2.token', 'enforcerGroups.3.type']);
    expect(response.body.error.details[1].message).toContain('tokens are never imported');
    expect(JSON.stringify(response.body)).not.toContain('vigil_grp_secret');
    expect((await api.call('GET', '/v1/health')).body.revision).toBe(revision);
    expect((await api.call('GET', '/v1/enforcer-groups/grp-fine')).status).toBe(404);
    expect((await api.call('GET', '/v1/policies/grp-never')).status).toBe(404);
  });

  it('refuses in mode=create a stored group that differs', async () => {
    const response = await api.call('POST', '/v1/import?mode=create', {
      body: { formatVersion: 1, enforcerGroups: [{ name: 'default', type: 'agent', enforce: true }] },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.details).toEqual([expect.objectContaining({ path: 'enforcerGroups.0' })]);
  });
});

describe('the multi-part import of enforcer groups', () => {
  it('checks a part’s groups on arrival and commits the groups of every part with the policies, naming problems in their part', async () => {
    const id = (await api.call('POST', '/v1/imports')).body.id as string;
    const refused = await api.call('PUT', `/v1/imports/${id}/parts/2`, {
      body: { formatVersion: 1, enforcerGroups: [{ name: 'mp-bad', type: 'agent', token: 'vigil_grp_x' }] },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toEqual([expect.objectContaining({ path: 'parts.2.enforcerGroups.0.token' })]);

    const first = await api.call('PUT', `/v1/imports/${id}/parts/1`, {
      body: {
        formatVersion: 1,
        policies: [{ ...policy, name: 'mp-exec', scope: {} }],
        enforcerGroups: [{ name: 'mp-one', type: 'agent' }],
      },
    });
    expect(first.body).toMatchObject({ part: 1, items: 2 });
    await api.call('PUT', `/v1/imports/${id}/parts/2`, {
      body: {
        formatVersion: 1,
        enforcerGroups: [
          { name: 'mp-two', type: 'kube_enforcer' },
          { name: 'default', type: 'kube_enforcer' },
        ],
      },
    });
    const typeChange = await api.call('POST', `/v1/imports/${id}/commit`);
    expect(typeChange.status).toBe(400);
    expect(typeChange.body.error.details).toEqual([expect.objectContaining({ path: 'parts.2.enforcerGroups.1.type' })]);
    expect((await api.call('GET', '/v1/enforcer-groups/mp-one')).status).toBe(404);

    await api.call('PUT', `/v1/imports/${id}/parts/2`, {
      body: { formatVersion: 1, enforcerGroups: [{ name: 'mp-two', type: 'kube_enforcer' }] },
    });
    const committed = await api.call('POST', `/v1/imports/${id}/commit`);
    expect(committed.status).toBe(200);
    const groups = committed.body.items.filter((item: { kind: string }) => item.kind === 'enforcerGroup');
    expect(groups.map((g: { name: string; result: string }) => [g.name, g.result])).toEqual([
      ['mp-one', 'created'],
      ['mp-two', 'created'],
    ]);
    expect(groups.every((g: { token?: string }) => g.token?.startsWith('vigil_grp_'))).toBe(true);
    expect((await api.call('GET', '/v1/enforcer-groups/mp-two')).body.type).toBe('kube_enforcer');
    expect((await api.call('GET', '/v1/policies/mp-exec')).status).toBe(200);
  });
});
