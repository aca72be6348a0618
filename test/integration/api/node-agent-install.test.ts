import { createHash } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
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

describe('POST /v1/clusters/{name}/node-agent-token', () => {
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

  it('issues a new token shown once with its Secret; the old token is refused at once, only the new hash is stored', async () => {
    await api.createGroup('nodes-rot', 'agent');
    const registered = await api.call('POST', '/v1/clusters', {
      body: { name: 'rot-1', nodeAgent: { enforcerGroup: 'nodes-rot', image: IMAGE, namespace: 'vigil-agents' } },
    });
    const neighbour = await api.call('POST', '/v1/clusters', { body: { name: 'rot-2', nodeAgent: { enforcerGroup: 'nodes-rot' } } });
    const oldToken = registered.body.nodeAgent.token as string;
    const enforcerId = (
      await api.call('POST', '/v1/enforcers/register', { token: oldToken, body: { name: 'bridge-rot-1', type: 'agent' } })
    ).body.enforcerId as string;
    expect((await api.call('GET', '/v1/enforcers/bundle', { token: oldToken, enforcerId })).status).toBe(200);

    const rotated = await api.call('POST', '/v1/clusters/rot-1/node-agent-token');
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({ name: 'rot-1', version: registered.body.version + 1 });
    expect(rotated.headers.get('etag')).toBe(`"${registered.body.version + 1}"`);
    const agent = rotated.body.nodeAgent;
    expect(agent).toMatchObject({ enforcerGroup: 'nodes-rot', image: IMAGE, namespace: 'vigil-agents' });
    expect(agent.token).toMatch(/^vigil_agt_[A-Za-z0-9_-]{43}$/);
    expect(agent.token).not.toBe(oldToken);
    // The Secret alone, in the agents' namespace: applying it leaves the image and everything else as installed.
    const objects = parseAllDocuments(agent.manifest).map((document) => document.toJS());
    expect(objects).toEqual([
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'vigil-node-agent-token', namespace: 'vigil-agents', labels: expect.any(Object) },
        type: 'Opaque',
        stringData: { token: agent.token },
      },
    ]);
    expect(validateKubernetesObject(objects[0])).toEqual([]);
    const installed = parseAllDocuments(registered.body.nodeAgent.manifest)
      .map((document) => document.toJS())
      .find((object) => object.kind === 'Secret');
    expect({ ...objects[0], stringData: undefined }).toEqual({ ...installed, stringData: undefined });

    // No overlap: the old token stops at once, on every enforcer route; the new one works; the neighbour's is untouched.
    expect((await api.call('GET', '/v1/enforcers/bundle', { token: oldToken, enforcerId })).status).toBe(401);
    expect(
      (await api.call('POST', '/v1/enforcers/register', { token: oldToken, body: { name: 'bridge-rot-1', type: 'agent' } })).status,
    ).toBe(401);
    expect((await api.call('POST', '/v1/enforcers/events', { token: oldToken, enforcerId, body: { events: [] } })).status).toBe(401);
    const again = await api.call('POST', '/v1/enforcers/register', { token: agent.token, body: { name: 'bridge-rot-1', type: 'agent' } });
    expect(again).toMatchObject({ status: 200, body: { group: 'nodes-rot' } });
    expect(
      (await api.call('GET', '/v1/enforcers/node-policies?cluster=rot-1', { token: agent.token, enforcerId: again.body.enforcerId }))
        .status,
    ).toBe(200);
    expect(
      (await api.call('POST', '/v1/enforcers/register', { token: neighbour.body.nodeAgent.token, body: { name: 'b2', type: 'agent' } }))
        .status,
    ).toBe(200);

    const stored = await storedConfigText();
    expect(stored).not.toContain(agent.token);
    expect(stored).toContain(sha256(agent.token));
    expect(stored).not.toContain(sha256(oldToken));
    const read = await api.call('GET', '/v1/clusters/rot-1');
    expect(read.body.nodeAgent).toEqual({ enforcerGroup: 'nodes-rot', image: IMAGE, namespace: 'vigil-agents' });
    expect(JSON.stringify(read.body)).not.toMatch(/vigil_agt_|nodeAgentTokenHash/);

    // The activity trail names the rotation and holds neither token nor hash.
    const activity = await api.call('GET', '/v1/activity');
    const entry = activity.body.items.find((item: { action: string }) => item.action === 'rotate-node-agent-token');
    expect(entry).toMatchObject({ resource: 'cluster/rot-1', actor: 'local-admin' });
    const trail = JSON.stringify(activity.body);
    for (const secret of [agent.token, oldToken, sha256(agent.token), sha256(oldToken)]) expect(trail).not.toContain(secret);
  });

  it('answers 404 for a cluster that is not registered', async () => {
    const answer = await api.call('POST', '/v1/clusters/nowhere/node-agent-token');
    expect(answer.status).toBe(404);
    expect(answer.body.error.message).toContain('cluster "nowhere" is not registered');
  });

  it('answers 409 for a cluster registered without node agents, and changes nothing', async () => {
    expect((await api.call('POST', '/v1/clusters', { body: { name: 'webhook-only' } })).status).toBe(201);
    const before = await storedConfigText();
    const answer = await api.call('POST', '/v1/clusters/webhook-only/node-agent-token');
    expect(answer.status).toBe(409);
    expect(answer.body.error.message).toBe(
      'cluster "webhook-only" was registered without node agents, so it has no node-agent token to rotate: register it again with nodeAgent to install them',
    );
    expect(await storedConfigText()).toBe(before);
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

describe('the cluster and enforcer answers the console is typed from', () => {
  it('match their OpenAPI schemas: cluster list and read, secret rotation, enforcers with their cluster and heartbeat', async () => {
    const registered = await api.call('POST', '/v1/clusters', { body: { name: 'typed', nodeAgent: { image: IMAGE } } });
    expect(registered.status).toBe(201);
    const bridge = await api.call('POST', '/v1/enforcers/register', {
      token: registered.body.nodeAgent.token,
      body: { name: 'bridge-typed', type: 'agent', metadata: { kind: 'bridge', cluster: 'typed' } },
    });
    expect(bridge.status).toBe(200);

    const document = (await api.call('GET', '/v1/openapi.json', { token: null })).body;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema({ $id: 'openapi', components: document.components });
    const answers: Array<[string, string, string, string]> = [
      ['GET', '/v1/clusters', '/v1/clusters', 'get'],
      ['GET', '/v1/clusters/typed', '/v1/clusters/{name}', 'get'],
      ['POST', '/v1/clusters/typed/secret', '/v1/clusters/{name}/secret', 'post'],
      ['GET', '/v1/enforcers?group=default', '/v1/enforcers', 'get'],
    ];
    for (const [method, path, documented, operation] of answers) {
      const schema = JSON.parse(
        JSON.stringify(document.paths[documented][operation].responses['200'].content['application/json'].schema).replaceAll(
          '"#/components',
          '"openapi#/components',
        ),
      );
      const response = await api.call(method, path);
      expect(response.status, path).toBe(200);
      const validate = ajv.compile(schema);
      expect(validate(response.body) ? [] : validate.errors, path).toEqual([]);
    }
    const enforcers = (await api.call('GET', '/v1/enforcers?group=default')).body.items;
    expect(enforcers).toContainEqual(
      expect.objectContaining({ name: 'bridge-typed', metadata: { kind: 'bridge', cluster: 'typed' }, status: 'connected' }),
    );
  });
});
