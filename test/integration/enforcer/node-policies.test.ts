import { describe, expect, it } from 'vitest';
import { useEnforcerApi } from './harness.js';
import { tetragonProblems } from '../../support/tetragon-schema.js';

// GET /v1/enforcers/node-policies: what the in-cluster bridge applies, compiled by the same code as the
// admin preview, polled with an ETag.

describe('GET /v1/enforcers/node-policies', () => {
  const api = useEnforcerApi();

  async function agentGroup(name: string): Promise<{ token: string; enforcerId: string }> {
    const token = await api.createGroup(name, 'agent', { enforce: true });
    return { token, enforcerId: await api.register(token, `bridge-${name}`, 'agent') };
  }

  async function createPolicy(body: Record<string, unknown>): Promise<void> {
    const created = await api.call('POST', '/v1/policies', { body });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
  }

  it('answers what the preview answers for the cluster and group, with an ETag that changes only with the objects', async () => {
    expect((await api.call('POST', '/v1/clusters', { body: { name: 'np-eks' } })).status).toBe(201);
    const { token, enforcerId } = await agentGroup('np-nodes');
    await createPolicy({
      name: 'np-no-curl',
      type: 'container',
      enforcementMode: 'enforce',
      scope: { applicationScopes: ['Global'], expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: 'shop' }] },
      controls: { blockedExecutables: { executables: ['/usr/bin/curl'] } },
    });

    const first = await api.call('GET', '/v1/enforcers/node-policies?cluster=np-eks', { token, enforcerId });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const preview = await api.call('GET', '/v1/clusters/np-eks/node-policies?group=np-nodes');
    expect(preview.status).toBe(200);
    expect(first.body).toEqual({ ...preview.body, pollIntervalSeconds: 10, heartbeatIntervalSeconds: 60 });
    const names = (first.body.objects as Array<{ kind: string; metadata: { name: string; namespace?: string } }>).map((o) => o.metadata);
    expect(names).toEqual([
      { name: expect.stringMatching(/^vigil-np-no-curl-/), namespace: 'shop', labels: expect.any(Object), annotations: expect.any(Object) },
    ]);
    for (const object of first.body.objects) expect(tetragonProblems(object)).toEqual([]);
    const etag = first.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"np-[0-9a-f]{32}"$/);
    expect(first.headers.get('cache-control')).toBe('no-store');

    const unchanged = await api.call('GET', '/v1/enforcers/node-policies?cluster=np-eks', {
      token,
      enforcerId,
      headers: { 'if-none-match': etag },
    });
    expect(unchanged.status).toBe(304);
    expect(unchanged.headers.get('etag')).toBe(etag);

    // A function policy bumps the revision but compiles to nothing on nodes: still 304.
    await createPolicy({ name: 'np-fn', type: 'function', controls: { blockAllProcesses: {} } });
    const unrelated = await api.call('GET', '/v1/enforcers/node-policies?cluster=np-eks', {
      token,
      enforcerId,
      headers: { 'if-none-match': etag },
    });
    expect(unrelated.status).toBe(304);

    await createPolicy({ name: 'np-host-fim', type: 'host', controls: { fileIntegrityMonitoring: { paths: ['/etc/passwd'] } } });
    const changed = await api.call('GET', '/v1/enforcers/node-policies?cluster=np-eks', {
      token,
      enforcerId,
      headers: { 'if-none-match': etag },
    });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(changed.body.revision).toBeGreaterThan(first.body.revision);
    expect(changed.body.report.index.map((entry: { policy: string }) => entry.policy).sort()).toEqual(['np-host-fim', 'np-no-curl']);
  });

  it('names the cluster parameter when it is missing or no name, and answers 404 for an unregistered cluster', async () => {
    const { token, enforcerId } = await agentGroup('np-bad');
    for (const query of ['', '?cluster=', '?cluster=%20lead', '?cluster=a%2Fb']) {
      const response = await api.call('GET', `/v1/enforcers/node-policies${query}`, { token, enforcerId });
      expect(response.status).toBe(400);
      expect(response.body.error.details).toEqual([
        { path: 'cluster', message: 'required: the name of the cluster as registered in Vigil' },
      ]);
    }
    const unknown = await api.call('GET', '/v1/enforcers/node-policies?cluster=nowhere', { token, enforcerId });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toMatch(/cluster "nowhere" is not registered/);
  });

  it('refuses a group of another type, a missing enforcer id and a missing token', async () => {
    expect((await api.call('POST', '/v1/clusters', { body: { name: 'np-types' } })).status).toBe(201);
    const token = await api.createGroup('np-ke', 'kube_enforcer');
    const enforcerId = await api.register(token, 'np-webhook', 'kube_enforcer');
    const wrongType = await api.call('GET', '/v1/enforcers/node-policies?cluster=np-types', { token, enforcerId });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.message).toBe(
      'node policies are compiled for agent groups: the token belongs to a group of type kube_enforcer',
    );
    expect(wrongType.body.error.details).toEqual([{ path: 'Authorization', message: 'use the token of an agent group' }]);
    const agent = await agentGroup('np-auth');
    const noId = await api.call('GET', '/v1/enforcers/node-policies?cluster=np-types', { token: agent.token });
    expect(noId.status).toBe(400);
    expect(noId.body.error.message).toMatch(/X-Enforcer-Id/);
    expect(
      (await api.call('GET', '/v1/enforcers/node-policies?cluster=np-types', { token: null, enforcerId: agent.enforcerId })).status,
    ).toBe(401);
  });

  it("answers a cluster's node-agent token only for that cluster", async () => {
    await api.createGroup('np-own-nodes', 'agent');
    const own = await api.call('POST', '/v1/clusters', { body: { name: 'np-own', nodeAgent: { enforcerGroup: 'np-own-nodes' } } });
    expect(own.status, JSON.stringify(own.body)).toBe(201);
    expect((await api.call('POST', '/v1/clusters', { body: { name: 'np-neighbour' } })).status).toBe(201);
    const token = own.body.nodeAgent.token as string;
    const enforcerId = await api.register(token, 'bridge-np-own', 'agent');

    const mine = await api.call('GET', '/v1/enforcers/node-policies?cluster=np-own', { token, enforcerId });
    expect(mine.status, JSON.stringify(mine.body)).toBe(200);
    expect(mine.body).toMatchObject({ cluster: 'np-own', group: 'np-own-nodes' });
    const neighbour = await api.call('GET', '/v1/enforcers/node-policies?cluster=np-neighbour', { token, enforcerId });
    expect(neighbour.status).toBe(400);
    expect(neighbour.body.error.details).toEqual([
      { path: 'cluster', message: 'the token is the node-agent token of cluster "np-own": it answers for that cluster only' },
    ]);
  });
});
