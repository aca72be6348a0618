import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildLayer, bundleWith, closedPort, FakeEnforcerApi, functionPolicy, runFunction } from './harness.js';

// The enforcer API server is built separately; these tests talk to a test double at that network boundary.
let layerDir: string;
let api: FakeEnforcerApi | undefined;
let target: Server;
let targetPort: number;

beforeAll(async () => {
  layerDir = await buildLayer();
  target = createServer((socket) => socket.end());
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  targetPort = (target.address() as AddressInfo).port;
}, 60_000);

afterAll(async () => {
  await new Promise<void>((r) => target.close(() => r()));
});

afterEach(async () => {
  await api?.close();
  api = undefined;
});

/** Runs the fixture with a bundle served by the fake API and embedded in VIGIL_SNAPSHOT. */
async function runWith(policies: unknown[], events: unknown[], module = 'user-function.cjs') {
  const bundle = bundleWith(policies);
  api = new FakeEnforcerApi(bundle);
  const endpoint = await api.listen();
  const run = await runFunction({
    layerDir,
    module,
    events,
    env: { VIGIL_ENDPOINT: endpoint, VIGIL_TOKEN: 'group-token', VIGIL_SNAPSHOT: JSON.stringify(bundle), VIGIL_FLUSH_INTERVAL_MS: '50' },
  });
  expect(run.stdout, run.stderr).toContain('SHUTDOWN');
  return { ...run, stored: [...api.stored.values()] };
}

const blockCurl = (mode: 'audit' | 'enforce') => functionPolicy('no-curl', mode, { blockedExecutables: { enabled: true, executables: ['curl', 'wget'] } });

describe('ProtectionHandler under the preload (CommonJS function)', () => {
  it('refuses sh -c "curl …", execSync and spawn of a blocked executable with EACCES when the policy and group enforce', async () => {
    const run = await runWith(
      [blockCurl('enforce')],
      [
        { op: 'spawnSync', file: 'sh', args: ['-c', 'FOO=1 curl --version'] },
        { op: 'execSync', command: 'curl --version' },
        { op: 'spawn', file: 'echo hi && "curl" -s x', shell: true },
        { op: 'exec', command: 'true; curl x' },
        { op: 'spawnSync', file: 'echo', args: ['allowed'] },
      ],
    );
    expect(run.results).toEqual([{ error: 'EACCES' }, { error: 'EACCES' }, { error: 'EACCES' }, { error: 'EACCES' }, { ok: true, status: 0, stdout: 'allowed' }]);
    expect(run.stored).toHaveLength(4);
    expect(run.stored.every((e) => e.status === 'Block' && e.control === 'blockedExecutables' && e.action === 'process')).toBe(true);
    expect(run.stored[0]).toMatchObject({ policy: 'no-curl', policyType: 'function', workload: { function: 'orders-api' }, enforcer: { group: 'lambda-prod', type: 'nano_enforcer', id: 'enf-1' } });
  });

  it('lets a blocked executable run and reports Detect in audit mode', async () => {
    const run = await runWith([blockCurl('audit')], [{ op: 'spawnSync', file: 'sh', args: ['-c', 'curl --version > /dev/null; echo ran'] }]);
    expect(run.results).toEqual([{ ok: true, status: 0, stdout: 'ran' }]);
    expect(run.stored.map((e) => [e.status, e.control])).toEqual([['Detect', 'blockedExecutables']]);
  });

  it('refuses a program copied under /tmp (drift) and reports Detect for it in audit mode', async () => {
    const drift = (mode: 'audit' | 'enforce') => functionPolicy('drift', mode, { driftPrevention: { enabled: true } });
    const enforced = await runWith([drift('enforce')], [{ op: 'copyAndRun', source: '/bin/true' }, { op: 'spawnSync', file: 'true' }]);
    expect(enforced.results).toEqual([{ error: 'EACCES' }, { ok: true, status: 0, stdout: '' }]);
    expect(enforced.stored.map((e) => [e.status, e.control])).toEqual([['Block', 'driftPrevention']]);
    expect(enforced.stored[0].message).toContain('/tmp');
    await api!.close();
    api = undefined;
    const audited = await runWith([drift('audit')], [{ op: 'copyAndRun', source: '/bin/true' }]);
    expect(audited.results).toEqual([{ ok: true, status: 0 }]);
    expect(audited.stored.map((e) => e.status)).toEqual(['Detect']);
  });

  it('blocks every child process except the allow-list under blockAllProcesses', async () => {
    const run = await runWith(
      [functionPolicy('no-children', 'enforce', { blockAllProcesses: { enabled: true, allowedExecutables: ['true', '/usr/bin/env'] } })],
      [{ op: 'spawnSync', file: 'true' }, { op: 'spawnSync', file: 'ls' }, { op: 'execSync', command: 'true' }],
    );
    expect(run.results).toEqual([{ ok: true, status: 0, stdout: '' }, { error: 'EACCES' }, { ok: true, stdout: '' }]);
    expect(run.stored.map((e) => e.control)).toEqual(['blockAllProcesses']);
  });

  it('plants honeypot credentials in the environment and reports a read, leaving the real credential names alone', async () => {
    const run = await runWith(
      [functionPolicy('honey', 'audit', { honeypot: { enabled: true, accessKeyId: 'AKIAHONEYPOT00000001', secretAccessKey: 'fake-secret-0123456789', applyOn: ['environment'] } })],
      [{ op: 'readEnv', name: 'AWS_BACKUP_ACCESS_KEY_ID' }, { op: 'readEnv', name: 'AWS_ACCESS_KEY_ID' }, { op: 'spawnSync', file: 'true' }],
    );
    expect(run.results[0]).toEqual({ ok: true, value: 'AKIAHONEYPOT00000001' });
    expect(run.results[1]).toEqual({ ok: true, value: null });
    // Node copying the environment for a spawn is not a read by the function.
    expect(run.stored.map((e) => [e.control, e.action, e.message])).toEqual([['honeypot', 'honeypot', 'honeypot credentials were read from the environment (AWS_BACKUP_ACCESS_KEY_ID)']]);
  });

  it('refuses an outbound connection to a host outside the allow-list, and only reports it in audit mode', async () => {
    const egress = (mode: 'audit' | 'enforce') => functionPolicy('egress', mode, { networkEgress: { enabled: true, allowedHosts: ['*.amazonaws.com'] } });
    const enforced = await runWith([egress('enforce')], [{ op: 'connect', host: '127.0.0.1', port: targetPort }]);
    expect(enforced.results).toEqual([{ error: 'EACCES' }]);
    expect(enforced.stored.map((e) => [e.status, e.control, e.action])).toEqual([['Block', 'networkEgress', 'network']]);
    await api!.close();
    api = undefined;
    const audited = await runWith([egress('audit')], [{ op: 'connect', host: '127.0.0.1', port: targetPort }]);
    expect(audited.results).toEqual([{ ok: true, connected: true }]);
    expect(audited.stored.map((e) => e.status)).toEqual(['Detect']);
  });

  it('enforces the embedded snapshot from the first invocation when the control plane is unreachable', async () => {
    const port = await closedPort();
    const run = await runFunction({
      layerDir,
      module: 'user-function.cjs',
      events: [{ op: 'spawnSync', file: 'sh', args: ['-c', 'curl x'] }],
      env: { VIGIL_ENDPOINT: `http://127.0.0.1:${port}`, VIGIL_TOKEN: 't', VIGIL_SNAPSHOT: JSON.stringify(bundleWith([blockCurl('enforce')])) },
    });
    expect(run.results).toEqual([{ error: 'EACCES' }]);
    expect(run.stderr).toContain('bundle fetch failed');
  });

  it('refuses every spawn when the fail mode is closed and no bundle is available, and allows them when it is open', async () => {
    const port = await closedPort();
    const events = [{ op: 'spawnSync', file: 'true' }];
    const env = { VIGIL_ENDPOINT: `http://127.0.0.1:${port}`, VIGIL_TOKEN: 't' };
    const closed = await runFunction({ layerDir, module: 'user-function.cjs', events, env: { ...env, VIGIL_FAIL_MODE: 'closed' } });
    expect(closed.results).toEqual([{ error: 'EACCES' }]);
    const open = await runFunction({ layerDir, module: 'user-function.cjs', events, env: { ...env, VIGIL_FAIL_MODE: 'open' } });
    expect(open.results).toEqual([{ ok: true, status: 0, stdout: '' }]);
  });

  it('delivers every event id exactly once although the first events POST fails with 500', async () => {
    const bundle = bundleWith([blockCurl('audit')]);
    api = new FakeEnforcerApi(bundle);
    api.failEventPosts = [500];
    const endpoint = await api.listen();
    const invocations = Array.from({ length: 5 }, () => ({ op: 'spawnSync', file: 'sh', args: ['-c', 'curl --version >/dev/null'] }));
    const run = await runFunction({ layerDir, module: 'user-function.cjs', events: invocations, env: { VIGIL_ENDPOINT: endpoint, VIGIL_TOKEN: 'group-token', VIGIL_SNAPSHOT: JSON.stringify(bundle), VIGIL_FLUSH_INTERVAL_MS: '50' } });
    expect(run.stdout).toContain('SHUTDOWN');
    expect(api.registrations).toEqual([expect.objectContaining({ name: 'orders-api', type: 'nano_enforcer' })]);
    expect(api.eventPosts[0]!.status).toBe(500);
    const sentIds = api.eventPosts.flatMap((p) => p.ids);
    const acceptedIds = api.eventPosts.filter((p) => p.status === 200).flatMap((p) => p.ids);
    // The failed batch was re-sent with the same ids, and nothing accepted was sent again.
    expect(new Set(acceptedIds)).toEqual(new Set(sentIds));
    expect(acceptedIds).toHaveLength(new Set(acceptedIds).size);
    expect(api.stored.size).toBe(5);
  });
});

describe('ProtectionHandler under the preload (ES module function)', () => {
  it('intercepts both the default import and a named import of node:child_process', async () => {
    const run = await runWith(
      [blockCurl('enforce')],
      [
        { op: 'spawnSync', file: 'curl', args: ['--version'] },
        { op: 'namedSpawnSync', file: 'curl', args: ['--version'] },
      ],
      'user-function.mjs',
    );
    expect(run.results).toEqual([{ error: 'EACCES' }, { error: 'EACCES' }]);
  });
});

describe('protect(handler) without the preload', () => {
  it('intercepts the module object, but not a spawnSync reference copied before protection was installed (documented limit)', async () => {
    const bundle = bundleWith([blockCurl('enforce')]);
    api = new FakeEnforcerApi(bundle);
    const endpoint = await api.listen();
    const run = await runFunction({
      layerDir,
      module: 'wrapped-function.mjs',
      preload: false,
      events: [
        { op: 'spawnSync', file: 'sh', args: ['-c', 'curl --version'] },
        { op: 'capturedSpawnSync', file: 'sh', args: ['-c', 'exit 0; curl'] },
      ],
      env: { VIGIL_ENDPOINT: endpoint, VIGIL_TOKEN: 'group-token' },
    });
    expect(run.results).toEqual([{ error: 'EACCES' }, { ok: true, status: 0 }]);
    // protect() waited for the bundle (nothing embedded) and flushed at the end of the invocation.
    expect(api.stored.size).toBe(1);
  });
});
