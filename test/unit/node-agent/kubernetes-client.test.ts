import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { ensureLocalTls } from '../../../infra/local/tls.js';
import {
  inClusterConnection,
  KubernetesApiError,
  KubernetesClient,
  KubernetesConfigError,
  kubeconfigConnection,
} from '../../../layers/node-agent/kubernetes-client.js';
import { KubernetesApiDouble } from '../../support/kubernetes-api-double.js';

// How the bridge reaches the Kubernetes API: the in-cluster service account and kubeconfig forms, against the
// HTTPS test double of the API server; TLS is verified and answers are bounded.

const kube = new KubernetesApiDouble();
let dir: string;

beforeAll(async () => {
  await kube.start();
  dir = await mkdtemp(join(tmpdir(), 'vigil-k8s-client-'));
});
afterAll(async () => {
  await kube.stop();
  await rm(dir, { recursive: true, force: true });
});

const managed = { labelSelector: 'app.kubernetes.io/managed-by=vigil' };

async function kubeconfig(name: string, cluster: Record<string, unknown>, user: Record<string, unknown>): Promise<string> {
  const path = join(dir, name);
  await writeFile(
    path,
    YAML.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'c',
      clusters: [{ name: 'k', cluster }],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
    }),
  );
  return path;
}

describe('the Kubernetes client', () => {
  it('inside a cluster uses the service account: host and port from the environment, the CA, and the token read again per request', async () => {
    const port = new URL(kube.url).port;
    const tokenFile = join(dir, 'sa-token');
    const caFile = join(dir, 'sa-ca.crt');
    await writeFile(caFile, kube.ca);
    await writeFile(tokenFile, `${kube.token}\n`);
    const connection = await inClusterConnection(
      { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port },
      { token: tokenFile, ca: caFile },
    );
    expect(connection.server.href).toBe(`https://127.0.0.1:${port}/`);
    const client = new KubernetesClient(connection);
    kube.requests.length = 0;
    await client.list('TracingPolicy', managed.labelSelector);
    expect(kube.requests.map((r) => [r.method, r.path, r.authorization])).toEqual([
      ['GET', '/apis/cilium.io/v1alpha1/tracingpolicies', `Bearer ${kube.token}`],
    ]);
    // The kubelet rotated the token: the next request carries the new one (the double refuses it).
    await writeFile(tokenFile, 'rotated-token');
    await expect(client.list('TracingPolicy', managed.labelSelector)).rejects.toThrow(/answered 401/);
    expect(kube.requests.at(-1)?.authorization).toBe('Bearer rotated-token');

    await expect(inClusterConnection({}, { token: tokenFile, ca: caFile })).rejects.toThrow(
      /KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set/,
    );
    await expect(
      inClusterConnection(
        { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port },
        { token: tokenFile, ca: join(dir, 'none') },
      ),
    ).rejects.toBeInstanceOf(KubernetesConfigError);
  });

  it('verifies TLS: a server whose certificate the CA did not sign is refused, and so is the system trust store', async () => {
    const other = await ensureLocalTls(join(dir, 'other-ca'), ['127.0.0.1']);
    const wrongCa = await kubeconfig(
      'wrong-ca',
      { server: kube.url, 'certificate-authority-data': Buffer.from(other.caPem).toString('base64') },
      {
        token: kube.token,
      },
    );
    kube.requests.length = 0;
    const client = new KubernetesClient(await kubeconfigConnection(wrongCa));
    await expect(client.list('TracingPolicy', managed.labelSelector)).rejects.toThrow(
      /self-signed certificate|unable to verify|certificate/i,
    );
    const noCa = await kubeconfig('no-ca', { server: kube.url }, { token: kube.token });
    await expect(
      new KubernetesClient(await kubeconfigConnection(noCa)).list('TracingPolicy', managed.labelSelector),
    ).rejects.toBeInstanceOf(KubernetesApiError);
    expect(kube.requests).toEqual([]);
  });

  it('reads the CA and token from files relative to the kubeconfig, and an exec credential plugin', async () => {
    await writeFile(join(dir, 'ca.pem'), kube.ca);
    await writeFile(join(dir, 'token.txt'), kube.token);
    const files = await kubeconfig('files', { server: kube.url, 'certificate-authority': 'ca.pem' }, { tokenFile: 'token.txt' });
    kube.requests.length = 0;
    await new KubernetesClient(await kubeconfigConnection(files)).list('TracingPolicy', managed.labelSelector);
    expect(kube.requests.at(-1)?.authorization).toBe(`Bearer ${kube.token}`);

    // A credential plugin as `aws eks update-kubeconfig` writes one: a command printing an ExecCredential.
    const plugin = join(dir, 'get-token.sh');
    await writeFile(
      plugin,
      `#!/bin/sh\nprintf '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"%s"}}' "$PLUGIN_TOKEN"\n`,
    );
    await chmod(plugin, 0o755);
    const exec = await kubeconfig(
      'exec',
      { server: kube.url, 'certificate-authority-data': Buffer.from(kube.ca).toString('base64') },
      {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1beta1',
          command: plugin,
          args: [],
          env: [{ name: 'PLUGIN_TOKEN', value: kube.token }],
        },
      },
    );
    await new KubernetesClient(await kubeconfigConnection(exec)).list('TracingPolicyNamespaced', managed.labelSelector);
    expect(kube.requests.at(-1)).toMatchObject({
      path: '/apis/cilium.io/v1alpha1/tracingpoliciesnamespaced',
      authorization: `Bearer ${kube.token}`,
    });
  });

  it('refuses kubeconfigs that turn TLS off, send a token over plain http to another host, or name no context', async () => {
    const insecure = await kubeconfig('insecure', { server: kube.url, 'insecure-skip-tls-verify': true }, { token: 't' });
    await expect(kubeconfigConnection(insecure)).rejects.toThrow(/insecure-skip-tls-verify: TLS verification cannot be turned off/);
    const plain = await kubeconfig('plain', { server: 'http://k8s.example.com:8080' }, { token: 't' });
    await expect(kubeconfigConnection(plain)).rejects.toThrow(/plain http is accepted only for a loopback address/);
    const loopback = await kubeconfig('loopback', { server: 'http://127.0.0.1:8001' }, {});
    expect((await kubeconfigConnection(loopback)).server.href).toBe('http://127.0.0.1:8001/');
    await expect(kubeconfigConnection(insecure, 'nowhere')).rejects.toThrow(/contexts: no entry named "nowhere"/);
    await expect(kubeconfigConnection(join(dir, 'missing'))).rejects.toThrow(/cannot read the kubeconfig/);
  });

  it('refuses an answer larger than its bound instead of reading it into memory', async () => {
    for (let i = 0; i < 3; i++)
      kube.seed({
        apiVersion: 'cilium.io/v1alpha1',
        kind: 'TracingPolicy',
        metadata: { name: `big-${i}`, labels: { 'app.kubernetes.io/managed-by': 'vigil' } },
        spec: { padding: 'x'.repeat(2_000) },
      });
    const connection = await kubeconfigConnection(await kube.writeKubeconfig());
    await expect(
      new KubernetesClient(connection, { maxResponseBytes: 1_000 }).list('TracingPolicy', managed.labelSelector),
    ).rejects.toThrow(/the answer exceeds 1000 bytes/);
    expect(await new KubernetesClient(connection).list('TracingPolicy', managed.labelSelector)).toHaveLength(3);
  });
});
