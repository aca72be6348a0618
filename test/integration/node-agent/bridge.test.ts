import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bridge, InvalidNodePolicyAnswer } from '../../../layers/node-agent/bridge.js';
import { EnforcerClient } from '../../../layers/node-agent/enforcer-client.js';
import { KubernetesClient, kubeconfigConnection } from '../../../layers/node-agent/kubernetes-client.js';
import { KubernetesApiDouble, TETRAGON_API_PREFIX } from '../../support/kubernetes-api-double.js';
import { eventually, useLocalMode } from '../../support/local-mode.js';

// The bridge against local mode (real HTTP, real DynamoDB Local) and a test double of the Kubernetes API.

const vigil = useLocalMode({ configRecheckMs: 50 });
const kube = new KubernetesApiDouble();
let token: string;
let kubeconfig: string;

beforeAll(async () => {
  await kube.start();
  kubeconfig = await kube.writeKubeconfig();
  expect((await vigil.api('POST', '/v1/clusters', { name: 'br-eks' })).status).toBe(201);
  const group = await vigil.api('POST', '/v1/enforcer-groups', { name: 'br-nodes', type: 'agent', enforce: true });
  expect(group.status, JSON.stringify(group.body)).toBe(201);
  token = group.body.token as string;
});

afterAll(async () => {
  await kube.stop();
});

async function savePolicy(body: Record<string, unknown>): Promise<void> {
  const saved = await vigil.api('POST', '/v1/policies', body);
  expect(saved.status, JSON.stringify(saved.body)).toBe(201);
}

const inNamespace = (namespace: string) => ({
  applicationScopes: ['Global'],
  expression: 'v1',
  variables: [{ attribute: 'kubernetes.namespace', value: namespace }],
});

async function bridgeFor(name: string, client?: EnforcerClient): Promise<{ bridge: Bridge; client: EnforcerClient }> {
  const enforcer = client ?? new EnforcerClient({ url: vigil.url, token, name, metadata: { kind: 'bridge', cluster: 'br-eks' } });
  const kubernetes = new KubernetesClient(await kubeconfigConnection(kubeconfig));
  return { bridge: new Bridge({ client: enforcer, kubernetes, cluster: 'br-eks' }), client: enforcer };
}

/** The preview of the admin API: what the bridge must make the cluster hold. */
async function preview(): Promise<Array<{ kind: string; metadata: { name: string; namespace?: string } }>> {
  const answer = await vigil.api('GET', '/v1/clusters/br-eks/node-policies?group=br-nodes');
  expect(answer.status).toBe(200);
  return answer.body.objects;
}

const pathOf = (o: { kind: string; metadata: { name: string; namespace?: string } }) =>
  o.kind === 'TracingPolicy'
    ? `${TETRAGON_API_PREFIX}/tracingpolicies/${o.metadata.name}`
    : `${TETRAGON_API_PREFIX}/namespaces/${o.metadata.namespace}/tracingpoliciesnamespaced/${o.metadata.name}`;

describe('the bridge against local mode and a Kubernetes API test double', () => {
  it('server-side applies every compiled object, prunes managed objects no longer wanted, and leaves others alone', async () => {
    // Left over from an earlier configuration, and someone else's policy: only the first is Vigil's.
    kube.seed({
      apiVersion: 'cilium.io/v1alpha1',
      kind: 'TracingPolicyNamespaced',
      metadata: { name: 'vigil-old-policy-exec-block-0123456789', namespace: 'shop', labels: { 'app.kubernetes.io/managed-by': 'vigil' } },
    });
    kube.seed({ apiVersion: 'cilium.io/v1alpha1', kind: 'TracingPolicy', metadata: { name: 'theirs', labels: { team: 'sec' } } });
    await savePolicy({
      name: 'br-no-curl',
      type: 'container',
      enforcementMode: 'enforce',
      scope: inNamespace('shop'),
      controls: { blockedExecutables: { executables: ['/usr/bin/curl'] } },
    });
    await savePolicy({ name: 'br-host-fim', type: 'host', controls: { fileIntegrityMonitoring: { paths: ['/etc/passwd'] } } });
    const { bridge } = await bridgeFor('bridge-br-eks');
    // The enforcer API sees configuration through a cache: wait until the bridge gets both policies' objects.
    let wanted: Awaited<ReturnType<typeof preview>> = [];
    await eventually(async () => {
      wanted = await preview();
      expect(new Set(wanted.map((o) => o.kind))).toEqual(new Set(['TracingPolicy', 'TracingPolicyNamespaced']));
    });
    kube.requests.length = 0;
    kube.pageSize = 1;
    await eventually(async () => {
      const round = await bridge.step();
      expect(round.outcome).toBe('new');
      expect(bridge.lastKnownGood?.objects).toHaveLength(wanted.length);
    });

    const applies = kube.requests.filter((r) => r.method === 'PATCH');
    expect(applies.map((r) => r.path).sort()).toEqual(wanted.map(pathOf).sort());
    for (const request of applies) {
      expect(request.query).toEqual({ fieldManager: 'vigil', force: 'true' });
      expect(request.contentType).toBe('application/apply-patch+yaml');
      expect(request.authorization).toBe(`Bearer ${kube.token}`);
      expect(request.body.metadata.labels['app.kubernetes.io/managed-by']).toBe('vigil');
      expect(request.body).toEqual(wanted.find((o) => pathOf(o) === request.path));
    }
    const lists = kube.requests.filter((r) => r.method === 'GET');
    expect(new Set(lists.map((r) => r.path))).toEqual(
      new Set([`${TETRAGON_API_PREFIX}/tracingpolicies`, `${TETRAGON_API_PREFIX}/tracingpoliciesnamespaced`]),
    );
    for (const list of lists) expect(list.query).toMatchObject({ labelSelector: 'app.kubernetes.io/managed-by=vigil', limit: '250' });
    // One object per page in the double: every list follows `continue` to its end.
    expect(lists.filter((r) => r.path.endsWith('/tracingpoliciesnamespaced')).map((r) => r.query.continue)).toEqual([undefined, '1']);
    expect(kube.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual([
      `${TETRAGON_API_PREFIX}/namespaces/shop/tracingpoliciesnamespaced/vigil-old-policy-exec-block-0123456789`,
    ]);
    expect(kube.names()).toEqual(
      [
        'TracingPolicy theirs',
        ...wanted.map((o) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`),
      ].sort(),
    );

    // Nothing changed: a 304, and the cluster is not touched.
    kube.requests.length = 0;
    expect(await bridge.step()).toEqual({ outcome: 'unchanged', applied: 0, pruned: 0, failed: [] });
    expect(kube.requests).toEqual([]);

    // GET /v1/enforcers shows the bridge, its cluster and the revision it applied.
    const revision = bridge.lastKnownGood!.revision;
    const enforcers = await vigil.api('GET', '/v1/enforcers?group=br-nodes');
    expect(enforcers.body.items).toContainEqual(
      expect.objectContaining({
        name: 'bridge-br-eks',
        type: 'agent',
        metadata: { kind: 'bridge', cluster: 'br-eks', appliedRevision: String(revision), objects: String(wanted.length) },
        lastSeen: expect.any(String),
      }),
    );

    // A deleted policy: its object is pruned at the next change.
    expect((await vigil.api('DELETE', '/v1/policies/br-host-fim')).status).toBe(204);
    kube.requests.length = 0;
    await eventually(async () => expect((await bridge.step()).outcome).toBe('new'));
    const hostObject = wanted.find((o) => o.kind === 'TracingPolicy')!;
    expect(kube.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual([pathOf(hostObject)]);
    expect(kube.names()).not.toContain(`TracingPolicy ${hostObject.metadata.name}`);
    expect(kube.names()).toContain('TracingPolicy theirs');
  });

  it('applies again, on the next round, an object the Kubernetes API refused', async () => {
    kube.missingNamespaces.add('ghost');
    await savePolicy({
      name: 'br-ghost',
      type: 'container',
      enforcementMode: 'enforce',
      scope: inNamespace('ghost'),
      controls: { blockedExecutables: { executables: ['/usr/bin/wget'] } },
    });
    const { bridge } = await bridgeFor('bridge-br-eks-2');
    let failed: readonly string[] = [];
    await eventually(async () => {
      failed = (await bridge.step()).failed;
      expect(failed).toHaveLength(1);
    });
    expect(failed[0]).toMatch(/^TracingPolicyNamespaced ghost\/vigil-br-ghost-.*answered 404: namespaces "ghost" not found$/);

    kube.missingNamespaces.delete('ghost');
    kube.requests.length = 0;
    const retried = await bridge.step();
    expect(retried).toMatchObject({ outcome: 'resync', failed: [] });
    expect(kube.requests.some((r) => r.method === 'PATCH' && r.path.startsWith(`${TETRAGON_API_PREFIX}/namespaces/ghost/`))).toBe(true);
    expect(kube.names().some((name) => name.startsWith('TracingPolicyNamespaced ghost/vigil-br-ghost-'))).toBe(true);
  });

  it('neither applies nor prunes when the control plane answers something it cannot trust', async () => {
    const before = kube.names();
    expect(before.length).toBeGreaterThan(1);
    let answer: unknown;
    // Test double of the network: the node-policy answer is replaced, every other call goes to local mode.
    const client = new EnforcerClient({
      url: vigil.url,
      token,
      name: 'bridge-br-eks-3',
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (!(input instanceof URL ? input.href : typeof input === 'string' ? input : input.url).includes('/v1/enforcers/node-policies'))
          return response;
        return new Response(JSON.stringify(answer), { status: 200, headers: { etag: '"forged"', 'content-type': 'application/json' } });
      },
    });
    const { bridge } = await bridgeFor('bridge-br-eks-3', client);
    const invalid: Array<[unknown, RegExp]> = [
      [{ cluster: 'br-eks', revision: 9, objects: [] }, /^$/],
      [{ cluster: 'other', revision: 9, objects: [] }, /for cluster "other", not br-eks/],
      [{ cluster: 'br-eks', revision: 9 }, /objects is not a list/],
      [
        {
          cluster: 'br-eks',
          revision: 9,
          objects: [{ apiVersion: 'cilium.io/v1alpha1', kind: 'TracingPolicy', metadata: { name: 'x' }, spec: {} }],
        },
        /objects\[0\]\.metadata\.labels lacks app\.kubernetes\.io\/managed-by=vigil/,
      ],
      [
        {
          cluster: 'br-eks',
          revision: 9,
          objects: [
            {
              apiVersion: 'cilium.io/v1alpha1',
              kind: 'TracingPolicyNamespaced',
              metadata: { name: 'x', namespace: '../kube-system', labels: { 'app.kubernetes.io/managed-by': 'vigil' } },
              spec: {},
            },
          ],
        },
        /objects\[0\]\.metadata\.namespace is not a namespace name/,
      ],
    ];
    // The first is valid and empty: a real "nothing wanted" prunes, so it is only checked to be accepted below.
    for (const [body, message] of invalid.slice(1)) {
      answer = body;
      kube.requests.length = 0;
      const failure = await bridge.step().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(InvalidNodePolicyAnswer);
      expect((failure as Error).message).toMatch(message);
      expect(kube.requests).toEqual([]);
    }
    expect(bridge.counters.invalidAnswers).toBe(4);
    expect(bridge.lastKnownGood).toBeUndefined();
    expect(kube.names()).toEqual(before);
    // The truth check of the case above: an answer the bridge accepts does reach the cluster.
    answer = invalid[0]![0];
    expect((await bridge.step()).outcome).toBe('new');
    expect(kube.names()).toEqual(['TracingPolicy theirs']);
  });
});
