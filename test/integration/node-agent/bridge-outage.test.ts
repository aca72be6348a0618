import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoClients } from '../../../functions/shared/storage/client.js';
import { tableNames } from '../../../functions/shared/storage/tables.js';
import { Bridge } from '../../../layers/node-agent/bridge.js';
import { EnforcerApiError, EnforcerClient } from '../../../layers/node-agent/enforcer-client.js';
import { KubernetesClient, kubeconfigConnection } from '../../../layers/node-agent/kubernetes-client.js';
import { KubernetesApiDouble } from '../../support/kubernetes-api-double.js';
import { eventually } from '../../support/local-mode.js';
import { dynamodbEndpoint } from '../../support/use-tables.js';

// Last known good: local mode runs in a process of its own, is killed while the bridge runs, and comes back
// on the same port and tables. While it is away the bridge changes nothing in the cluster.

const repoRoot = join(import.meta.dirname, '..', '..', '..');
const kube = new KubernetesApiDouble();
const adminToken = `outage-admin-${randomBytes(8).toString('hex')}`;
let settings: Record<string, string>;
let dataDir: string;
let local: { child: ChildProcess; url: string } | undefined;

async function startLocal(port = 0): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/local-mode-process.ts'], {
    cwd: repoRoot,
    env: { ...process.env, ...settings, VIGIL_TEST_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`local mode exited with ${code} before serving: ${stderr}`)));
  });
  return { child, url };
}

async function kill(running: { child: ChildProcess }): Promise<void> {
  if (running.child.exitCode !== null || running.child.signalCode !== null) return;
  const exited = new Promise((resolve) => running.child.once('exit', resolve));
  running.child.kill('SIGKILL');
  await exited;
}

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${local!.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

beforeAll(async () => {
  await kube.start();
  dataDir = await mkdtemp(join(tmpdir(), 'vigil-bridge-outage-'));
  settings = {
    VIGIL_TEST_DATA_DIR: dataDir,
    VIGIL_TEST_ADMIN_TOKEN: adminToken,
    VIGIL_TEST_DYNAMODB_ENDPOINT: await dynamodbEndpoint(),
    VIGIL_TEST_TABLE_PREFIX: `b${randomBytes(4).toString('hex')}-`,
  };
  local = await startLocal();
}, 120_000);

afterAll(async () => {
  if (local) await kill(local);
  await kube.stop();
  await rm(dataDir, { recursive: true, force: true });
  const { client } = createDynamoClients({ endpoint: settings.VIGIL_TEST_DYNAMODB_ENDPOINT });
  const names = tableNames(settings.VIGIL_TEST_TABLE_PREFIX!);
  for (const name of [names.config, names.audit]) await client.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined);
  client.destroy();
});

describe('the bridge while local mode is stopped', () => {
  it(
    'keeps the applied objects, prunes nothing, and resumes on the same ETag when the control plane is back',
    { timeout: 180_000 },
    async () => {
      expect((await admin('POST', '/v1/clusters', { name: 'out-eks' })).status).toBe(201);
      const group = await admin('POST', '/v1/enforcer-groups', { name: 'out-nodes', type: 'agent', enforce: true });
      expect(group.status, JSON.stringify(group.body)).toBe(201);
      for (const [name, path] of [
        ['out-no-curl', '/usr/bin/curl'],
        ['out-no-wget', '/usr/bin/wget'],
      ] as const) {
        const saved = await admin('POST', '/v1/policies', {
          name,
          type: 'container',
          enforcementMode: 'enforce',
          scope: { applicationScopes: ['Global'], expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: 'shop' }] },
          controls: { blockedExecutables: { executables: [path] } },
        });
        expect(saved.status, JSON.stringify(saved.body)).toBe(201);
      }
      let now = 0;
      const bridge = new Bridge({
        client: new EnforcerClient({ url: local!.url, token: group.body.token as string, name: 'bridge-out-eks' }),
        kubernetes: new KubernetesClient(await kubeconfigConnection(await kube.writeKubeconfig())),
        cluster: 'out-eks',
        resyncSeconds: 300,
        now: () => now,
      });
      await eventually(async () => {
        await bridge.step();
        expect(kube.names()).toHaveLength(2);
      }, 30_000);
      const applied = kube.names();
      const revision = bridge.lastKnownGood!.revision;

      await kill(local!);
      kube.requests.length = 0;
      // Rounds while it is away, also past the resync interval: every one fails before touching the cluster.
      for (let round = 0; round < 3; round++) {
        now += 400_000;
        await expect(bridge.step()).rejects.toBeInstanceOf(EnforcerApiError);
      }
      expect(kube.requests).toEqual([]);
      expect(kube.names()).toEqual(applied);
      expect(bridge.lastKnownGood!.revision).toBe(revision);
      expect(bridge.counters.controlPlaneFailures).toBe(3);

      // Back on the same port and tables: the same objects compile to the same ETag, so nothing is applied twice…
      local = await startLocal(Number(new URL(local!.url).port));
      now += 1;
      kube.requests.length = 0;
      const resumed = await eventually(() => bridge.step(), 30_000);
      expect(resumed.outcome).toBe('resync');
      // …except the resync that was due while it was away, which puts the same objects again and prunes nothing.
      expect(kube.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
      expect(kube.names()).toEqual(applied);
      expect((await bridge.step()).outcome).toBe('unchanged');

      // A change made while it was away arrives now: the deleted policy's object is pruned.
      expect((await admin('DELETE', '/v1/policies/out-no-wget')).status).toBe(204);
      await eventually(async () => expect((await bridge.step()).outcome).toBe('new'), 30_000);
      expect(kube.names()).toHaveLength(1);
      expect(kube.names()[0]).toMatch(/^TracingPolicyNamespaced shop\/vigil-out-no-curl-/);
    },
  );
});
