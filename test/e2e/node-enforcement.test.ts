import { spawn, type ChildProcess } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { KubernetesApiDouble, type RecordedRequest } from '../support/kubernetes-api-double.js';
import { eventually, useLocalMode } from '../support/local-mode.js';
import { tetragonDataDir } from '../support/tetragon-schema.js';

// Issue 16, end to end: a policy saved through the admin API → the bridge (a real child process, as the
// install manifest runs it, with a kubeconfig) applies its object to a test double of the Kubernetes API →
// Tetragon's export gets a line for that object (built to the shape of the real example event) → the
// forwarder (a real child process tailing the file) posts it → a Block event in GET /v1/audit-events.

const repoRoot = join(import.meta.dirname, '..', '..');
const vigil = useLocalMode({ configRecheckMs: 50 });
const kube = new KubernetesApiDouble();
const children: ChildProcess[] = [];
const output: string[] = [];
let dir: string;

beforeAll(async () => {
  await kube.start();
  dir = await mkdtemp(join(tmpdir(), 'vigil-node-e2e-'));
});

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await kube.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Runs `layers/node-agent/main.ts <args>` as a process of its own, as the container's entry point does. */
function agent(args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'layers/node-agent/main.ts', ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  children.push(child);
  return child;
}

interface ManifestContainer {
  readonly args: string[];
  readonly env: Array<{ name: string; value?: string }>;
}

function containerOf(manifest: string, kind: string): ManifestContainer {
  const object = parseAllDocuments(manifest)
    .map((document) => document.toJS() as { kind: string; spec: { template: { spec: { containers: ManifestContainer[] } } } })
    .find((candidate) => candidate.kind === kind);
  return object!.spec.template.spec.containers[0]!;
}

/** The literal environment of a manifest's container (the token comes from a Secret there, from the test here). */
const plainEnv = (container: ManifestContainer) =>
  Object.fromEntries(container.env.filter((entry) => entry.value !== undefined).map((entry) => [entry.name, entry.value!]));

describe('node enforcement end to end: admin API → bridge → Kubernetes API → Tetragon export → forwarder → audit log', () => {
  it(
    'turns a saved policy into an applied object whose refused exec becomes a Block event with the workload',
    { timeout: 180_000 },
    async () => {
      const group = await vigil.api(
        'PATCH',
        '/v1/enforcer-groups/default',
        { enforce: true },
        { 'content-type': 'application/merge-patch+json' },
      );
      expect(group.status, JSON.stringify(group.body)).toBe(200);
      const registered = await vigil.api('POST', '/v1/clusters', {
        name: 'e2e-eks',
        nodeAgent: { image: 'registry.example/vigil-node-agent:1.0.0', namespace: 'vigil-agents' },
      });
      expect(registered.status, JSON.stringify(registered.body)).toBe(201);
      const { token, manifest } = registered.body.nodeAgent as { token: string; manifest: string };

      // The bridge as its Deployment runs it, with a kubeconfig instead of the in-cluster service account.
      const bridgeContainer = containerOf(manifest, 'Deployment');
      expect(bridgeContainer.args).toEqual(['bridge']);
      agent([...bridgeContainer.args, '--kubeconfig', await kube.writeKubeconfig(), '--interval', '1'], {
        ...plainEnv(bridgeContainer),
        VIGIL_TOKEN: token,
      });
      // The forwarder as its DaemonSet runs it, with the export file and checkpoint in a temporary directory.
      const exportFile = join(dir, 'tetragon.log');
      await writeFile(exportFile, '');
      const forwarderContainer = containerOf(manifest, 'DaemonSet');
      const forwarderArgs = [...forwarderContainer.args];
      forwarderArgs[forwarderArgs.indexOf('--file') + 1] = exportFile;
      forwarderArgs[forwarderArgs.indexOf('--checkpoint') + 1] = join(dir, 'checkpoint.json');
      agent(forwarderArgs, { VIGIL_TOKEN: token, NODE_NAME: 'node-e2e' });

      const saved = await vigil.api('POST', '/v1/policies', {
        name: 'e2e-no-vi',
        type: 'container',
        enforcementMode: 'enforce',
        scope: { applicationScopes: ['Global'], expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: 'default' }] },
        controls: { blockedExecutables: { enabled: true, executables: ['/bin/vi'] } },
      });
      expect(saved.status, JSON.stringify(saved.body)).toBe(201);

      // The bridge applies the policy's object (server-side apply as field manager vigil).
      let applied: RecordedRequest | undefined;
      await eventually(() => {
        applied = kube.requests.find((r) => r.method === 'PATCH' && r.body?.metadata?.annotations?.['vigil.dev/policy'] === 'e2e-no-vi');
        expect(applied, output.join('')).toBeDefined();
        return Promise.resolve();
      }, 60_000);
      const object = applied!.body as { kind: string; metadata: { name: string; namespace: string } };
      expect(object.kind).toBe('TracingPolicyNamespaced');
      expect(applied).toMatchObject({
        path: `/apis/cilium.io/v1alpha1/namespaces/default/tracingpoliciesnamespaced/${object.metadata.name}`,
        query: { fieldManager: 'vigil', force: 'true' },
        contentType: 'application/apply-patch+yaml',
      });

      // Tetragon refuses the exec and writes the event of that object to its export.
      const example = JSON.parse(await readFile(join(tetragonDataDir, 'examples', 'process_kprobe.json'), 'utf8')) as {
        process_kprobe: { process: Record<string, unknown>; parent: unknown };
        node_name: string;
      };
      const line = JSON.stringify({
        process_lsm: {
          process: example.process_kprobe.process,
          parent: example.process_kprobe.parent,
          function_name: 'bprm_check_security',
          args: [{ linux_binprm_arg: { path: '/bin/vi' } }],
          action: 'KPROBE_ACTION_OVERRIDE',
          policy_name: object.metadata.name,
          tags: ['vigil'],
        },
        node_name: example.node_name,
        // Recent, so that the audit log's default time window shows it.
        time: new Date().toISOString(),
      });
      await appendFile(exportFile, `${line}\n`);

      let events: Array<Record<string, any>> = [];
      await eventually(async () => {
        const answer = await vigil.api('GET', '/v1/audit-events?policy=e2e-no-vi&limit=10');
        events = answer.body.items;
        expect(events, output.join('')).toHaveLength(1);
      }, 60_000);
      expect(events[0]).toMatchObject({
        status: 'Block',
        policy: 'e2e-no-vi',
        control: 'blockedExecutables',
        enforcementMode: 'enforce',
        workload: {
          cluster: 'e2e-eks',
          namespace: 'default',
          pod: 'file-access',
          container: 'file-access',
          image: 'docker.io/library/busybox:latest',
          host: example.node_name,
        },
        command: ['/bin/vi', '/etc/passwd'],
        enforcer: { group: 'default', type: 'agent' },
      });

      // GET /v1/enforcers shows both agents, their kind and cluster, and the revision the bridge applied.
      await eventually(async () => {
        const enforcers = await vigil.api('GET', '/v1/enforcers?group=default');
        const byName = new Map((enforcers.body.items as Array<Record<string, any>>).map((e) => [e.name, e]));
        expect(byName.get('bridge-e2e-eks')?.metadata).toMatchObject({
          kind: 'bridge',
          cluster: 'e2e-eks',
          appliedRevision: expect.any(String),
        });
        expect(byName.get('forwarder-node-e2e')?.metadata).toEqual({ kind: 'forwarder', cluster: 'e2e-eks' });
        expect(byName.get('bridge-e2e-eks')?.lastSeen).toEqual(expect.any(String));
      }, 30_000);
    },
  );
});
