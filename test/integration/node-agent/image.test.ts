import { execFile } from 'node:child_process';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_NODE_AGENT_IMAGE, NODE_AGENT_USER_ID, nodeAgentInstall } from '../../../layers/core/index.js';
import { buildNodeAgent } from '../../../layers/node-agent/build.js';
import { MAX_RETRY_AFTER_MS } from '../../../layers/node-agent/enforcer-client.js';
import { FIRST_BACKOFF_MS, MAX_BACKOFF_MS } from '../../../layers/node-agent/forward-loop.js';
import { DEFAULT_MAX_PENDING_BYTES, DEFAULT_MAX_PENDING_EVENTS } from '../../../layers/node-agent/forwarder.js';

// The node-agent image: no container can be built here, so the bundle the image runs is built and run as a real
// child process with plain node (no TypeScript loader, no node_modules next to it), and the Dockerfile is checked
// for what the install manifests rely on.

const run = promisify(execFile);
const repoRoot = join(import.meta.dirname, '..', '..', '..');
let out = '';
let bundle = '';
let imports: string[] = [];

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'vigil-node-agent-build-'));
  ({ file: bundle, imports } = await buildNodeAgent(out));
}, 120_000);
afterAll(() => rm(out, { recursive: true, force: true }));

async function node(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  // Run from the bundle's own directory, with an empty environment path: nothing but the file itself is reachable.
  return run(process.execPath, [bundle, ...args], { cwd: out, env: { PATH: '', ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

describe('the node-agent bundle', { timeout: 120_000 }, () => {
  it('runs with plain node, outside the repository, and prints the forwarder usage', async () => {
    const help = await node(['forward', '--help']);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: node-agent forward --url <enforcer API URL> --cluster <name>/);
    // What it does while the control plane is away, with the numbers the loop and the forwarder use.
    const said = help.stdout.replace(/\s+/g, ' ');
    expect(said).toContain(
      `until ${DEFAULT_MAX_PENDING_EVENTS.toLocaleString('en-US')} events (${DEFAULT_MAX_PENDING_BYTES / 2 ** 20} MiB of JSON) wait in memory`,
    );
    expect(said).toContain(`after ${FIRST_BACKOFF_MS / 1000} s, doubling up to ${MAX_BACKOFF_MS / 1000} s`);
    expect(said).toContain('between half and all of it (equal jitter)');
    expect(said).toContain(`never less than the server's Retry-After (honoured up to ${MAX_RETRY_AFTER_MS / 60_000} minutes)`);
    expect([DEFAULT_MAX_PENDING_EVENTS, DEFAULT_MAX_PENDING_BYTES, FIRST_BACKOFF_MS, MAX_BACKOFF_MS, MAX_RETRY_AFTER_MS]).toEqual([
      5_000,
      16 * 2 ** 20,
      1_000,
      60_000,
      300_000,
    ]);
  });

  it('runs the bridge too: its usage names the enforcer API, the cluster and the kubeconfig', async () => {
    const help = await node(['bridge', '--help']);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: node-agent bridge \[--url <enforcer API URL>\] \[--cluster <name>\]/);
    expect(help.stdout).toContain('--kubeconfig');
    // Without a group token it stops before it reaches anything.
    const outside = await node(['bridge', '--url', 'https://vigil.example.com', '--cluster', 'c']);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain('a group token is required');
  });

  it('refuses an unknown command with exit 2 and a missing option with exit 1, naming it', async () => {
    const unknown = await node(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command frobnicate');
    const missing = await node(['forward', '--url', 'https://vigil.example.com']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('--cluster is required');
  });

  it('imports nothing at run time but Node built-ins', () => {
    expect(imports).toContain('node:fs/promises');
    expect(imports.filter((specifier) => !specifier.startsWith('node:'))).toEqual([]);
  });
});

describe('the install manifest and the bundle agree', { timeout: 120_000 }, () => {
  const install = nodeAgentInstall({
    cluster: 'prod',
    enforcerUrl: 'https://vigil.example.com',
    token: 'unused',
    image: DEFAULT_NODE_AGENT_IMAGE,
    namespace: 'vigil-system',
  });
  const container = (kind: string) => (install.objects.find((object) => object.kind === kind) as any).spec.template.spec.containers[0];
  /** The container's plain environment; the token (from the Secret) is left out so that the agent stops before any I/O. */
  const plainEnv = (entries: Array<{ name: string; value?: string }>) =>
    Object.fromEntries(entries.filter((entry) => entry.value !== undefined).map((entry) => [entry.name, entry.value!]));

  it.each([
    ['Deployment', 'bridge'],
    ['DaemonSet', 'forward'],
  ])('the %s runs a command the bundle has, with options and environment it accepts', async (kind, command) => {
    const spec = container(kind);
    expect(spec.args[0]).toBe(command);
    expect(spec.env).toContainEqual({ name: 'VIGIL_TOKEN', valueFrom: { secretKeyRef: { name: 'vigil-node-agent-token', key: 'token' } } });
    // Every option parsed and every required one present: the first thing missing is the token.
    const result = await node(spec.args, plainEnv(spec.env));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^a group token is required/);
  });
});

describe('layers/node-agent/Dockerfile', () => {
  const dockerfile = () => readFile(join(repoRoot, 'layers', 'node-agent', 'Dockerfile'), 'utf8');
  const instructions = async () =>
    (await dockerfile())
      .replace(/\\\n/g, ' ')
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'));

  it('pins every base image to an exact version (or a digest)', async () => {
    const bases = (await instructions()).filter((line) => line.startsWith('FROM ')).map((line) => line.split(/\s+/)[1]!);
    expect(bases.length).toBeGreaterThanOrEqual(2);
    for (const base of bases) expect(base).toMatch(/:\d+\.\d+\.\d+[\w.-]*$|@sha256:[a-f0-9]{64}$/);
  });

  it('runs the bundle with node as the user the manifests run the pods as, never root', async () => {
    const lines = await instructions();
    const runStage = lines.slice(lines.findLastIndex((line) => line.startsWith('FROM ')));
    expect(runStage).toContain(`USER ${NODE_AGENT_USER_ID}:${NODE_AGENT_USER_ID}`);
    expect(runStage.at(-1)).toBe('ENTRYPOINT ["node", "/app/node-agent.mjs"]');
    expect(runStage.join('\n')).not.toMatch(/tsx|node_modules\/|COPY --from=build \S+ \/src/);
    expect(lines.join('\n')).toContain('RUN npx tsx layers/node-agent/build.ts /out');

    const install = nodeAgentInstall({
      cluster: 'c',
      enforcerUrl: 'https://vigil.example.com',
      token: 't',
      image: DEFAULT_NODE_AGENT_IMAGE,
      namespace: 'vigil-system',
    });
    const workloads = install.objects.filter((object) => object.kind === 'Deployment' || object.kind === 'DaemonSet');
    for (const workload of workloads) {
      const [container] = (workload as any).spec.template.spec.containers;
      expect(container.securityContext).toMatchObject({ runAsUser: NODE_AGENT_USER_ID, runAsGroup: NODE_AGENT_USER_ID });
      // The image's entry point is node and the bundle: the manifests pass only the command and its options.
      expect(['bridge', 'forward']).toContain(container.args[0]);
      expect(container.command).toBeUndefined();
    }
  });
});
