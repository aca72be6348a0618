import { createHash } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { recommendedTetragonValues } from '../../../layers/core/index.js';
import { validateKubernetesObject } from '../../support/kubernetes-objects.js';
import { useEnforcerApi } from '../enforcer/harness.js';

const api = useEnforcerApi();
const IMAGE = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/vigil-node-agent:0.1.0';

/** Every item of the config table as stored, to look for what must never be stored. */
async function storedConfigText(): Promise<string> {
  const scanned = await api.tables.clients.document.send(new ScanCommand({ TableName: api.tables.tables.config.TableName }));
  return JSON.stringify(scanned.Items);
}

describe('POST /v1/clusters with nodeAgent', () => {
  it('answers the node agents’ manifests, the Tetragon values and a token shown once; only its hash is stored', async () => {
    const registered = await api.call('POST', '/v1/clusters', {
      body: { name: 'prod-eks', nodeAgent: { image: IMAGE, namespace: 'vigil-agents' } },
    });
    expect(registered.status).toBe(201);
    const agent = registered.body.nodeAgent;
    expect(agent).toMatchObject({ enforcerGroup: 'default', image: IMAGE, namespace: 'vigil-agents' });
    expect(agent.token).toMatch(/^vigil_agt_[A-Za-z0-9_-]{43}$/);

    const objects = parseAllDocuments(agent.manifest).map((document) => document.toJS());
    expect(objects.map((object) => object.kind)).toEqual([
      'Namespace',
      'ServiceAccount',
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'Secret',
      'Deployment',
      'DaemonSet',
    ]);
    for (const object of objects) expect(validateKubernetesObject(object)).toEqual([]);
    const secret = objects.find((object) => object.kind === 'Secret');
    expect(secret).toMatchObject({ metadata: { namespace: 'vigil-agents' }, stringData: { token: agent.token } });
    const bridge = objects.find((object) => object.kind === 'Deployment');
    expect(bridge.spec.template.spec.containers[0].env.slice(0, 2)).toEqual([
      { name: 'VIGIL_URL', value: api.url },
      { name: 'VIGIL_CLUSTER', value: 'prod-eks' },
    ]);
    expect(parse(agent.tetragonValues)).toEqual(recommendedTetragonValues());
    // The local test server is plain http: said, not hidden.
    expect(registered.body.warnings).toContainEqual(expect.stringContaining('not https'));
    expect(registered.body.warnings).not.toContainEqual(expect.stringContaining('nodes cannot pull'));

    const read = await api.call('GET', '/v1/clusters/prod-eks');
    expect(read.body.nodeAgent).toEqual({ enforcerGroup: 'default', image: IMAGE, namespace: 'vigil-agents' });
    expect(JSON.stringify(read.body)).not.toMatch(/vigil_agt_|nodeAgentTokenHash/);
    const listed = await api.call('GET', '/v1/clusters');
    expect(JSON.stringify(listed.body)).not.toMatch(/vigil_agt_|nodeAgentTokenHash/);
    const activity = await api.call('GET', '/v1/activity');
    expect(JSON.stringify(activity.body)).not.toContain(createHash('sha256').update(agent.token).digest('hex'));

    const stored = await storedConfigText();
    expect(stored).not.toContain(agent.token);
    expect(stored).toContain(createHash('sha256').update(agent.token).digest('hex'));
  });

  it('takes true for the defaults, and warns that the default image must be built and pushed first', async () => {
    const registered = await api.call('POST', '/v1/clusters', { body: { name: 'staging', nodeAgent: true } });
    expect(registered.status).toBe(201);
    expect(registered.body.nodeAgent).toMatchObject({
      enforcerGroup: 'default',
      image: 'localhost/vigil-node-agent:0.1.0',
      namespace: 'vigil-system',
    });
    expect(registered.body.warnings).toContainEqual(expect.stringContaining('nodes cannot pull'));
    const without = await api.call('POST', '/v1/clusters', { body: { name: 'plain', nodeAgent: false } });
    expect(without.status).toBe(201);
    expect(without.body.nodeAgent).toBeUndefined();
  });

  it('lets the agents authenticate as their agent group; another registration leaves them working, deregistering revokes them', async () => {
    await api.createGroup('nodes-eu', 'agent', { enforce: true });
    const first = await api.call('POST', '/v1/clusters', {
      body: { name: 'eu-1', nodeAgent: { enforcerGroup: 'nodes-eu', image: IMAGE } },
    });
    const second = await api.call('POST', '/v1/clusters', {
      body: { name: 'eu-2', nodeAgent: { enforcerGroup: 'nodes-eu', image: IMAGE } },
    });
    expect([first.status, second.status]).toEqual([201, 201]);
    const token = first.body.nodeAgent.token as string;

    const registered = await api.call('POST', '/v1/enforcers/register', { token, body: { name: 'bridge-eu-1', type: 'agent' } });
    expect(registered).toMatchObject({ status: 200, body: { group: 'nodes-eu' } });
    const bundle = await api.call('GET', '/v1/enforcers/bundle', { token, enforcerId: registered.body.enforcerId });
    expect(bundle.status).toBe(200);
    const enforcers = await api.call('GET', '/v1/enforcers?group=nodes-eu');
    expect(enforcers.body.items.map((item: { name: string }) => item.name)).toEqual(['bridge-eu-1']);
    // A node-agent token is an agent's: it cannot register as another enforcer type.
    const wrongType = await api.call('POST', '/v1/enforcers/register', { token, body: { name: 'x', type: 'kube_enforcer' } });
    expect(wrongType.status).toBe(400);

    expect((await api.call('DELETE', '/v1/clusters/eu-1')).status).toBe(204);
    const revoked = await api.call('POST', '/v1/enforcers/register', { token, body: { name: 'bridge-eu-1', type: 'agent' } });
    expect(revoked.status).toBe(401);
    const other = await api.call('POST', '/v1/enforcers/register', {
      token: second.body.nodeAgent.token,
      body: { name: 'bridge-eu-2', type: 'agent' },
    });
    expect(other.status).toBe(200);
  });
});

describe('POST /v1/clusters with bad nodeAgent input', () => {
  const refused: Array<[string, unknown, string]> = [
    ['a wrong type', 'yes', 'nodeAgent'],
    ['an unknown field', { image: IMAGE, replicas: 2 }, 'nodeAgent'],
    ['an image that is no reference', { image: 'Not An Image!' }, 'nodeAgent.image'],
    ['an image too long', { image: `registry.example.com/${'a'.repeat(300)}` }, 'nodeAgent.image'],
    ['a namespace that is no DNS label', { namespace: 'Vigil_System' }, 'nodeAgent.namespace'],
    ['a group of the wrong type', { enforcerGroup: 'default-ke' }, 'nodeAgent.enforcerGroup'],
    ['a group that does not exist', { enforcerGroup: 'nowhere' }, 'nodeAgent.enforcerGroup'],
    ['a group name of the wrong type', { enforcerGroup: 7 }, 'nodeAgent.enforcerGroup'],
  ];
  it.each(refused)('refuses %s with a 400 naming the field, and registers nothing', async (_case, nodeAgent, path) => {
    const before = await storedConfigText();
    const answer = await api.call('POST', '/v1/clusters', { body: { name: 'refused', nodeAgent } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details.map((detail: { path: string }) => detail.path)).toContain(path);
    if (path === 'nodeAgent' && typeof nodeAgent === 'object') expect(JSON.stringify(answer.body)).toContain('replicas');
    expect((await api.call('GET', '/v1/clusters/refused')).status).toBe(404);
    expect(await storedConfigText()).toBe(before);
  });
});
