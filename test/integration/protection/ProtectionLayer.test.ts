import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
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
async function runWith(policies: unknown[], events: unknown[], module = 'user-function.cjs', env: Record<string, string> = {}) {
  const bundle = bundleWith(policies);
  api = new FakeEnforcerApi(bundle);
  const endpoint = await api.listen();
  const run = await runFunction({
    layerDir,
    module,
    events,
    env: {
      VIGIL_ENDPOINT: endpoint,
      VIGIL_TOKEN: 'group-token',
      VIGIL_SNAPSHOT: JSON.stringify(bundle),
      VIGIL_FLUSH_INTERVAL_MS: '50',
      ...env,
    },
  });
  expect(run.stdout, run.stderr).toContain('SHUTDOWN');
  return { ...run, stored: [...api.stored.values()] };
}

const blockCurl = (mode: 'audit' | 'enforce') =>
  functionPolicy('no-curl', mode, { blockedExecutables: { enabled: true, executables: ['curl', 'wget'] } });

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
    expect(run.results).toEqual([
      { error: 'EACCES' },
      { error: 'EACCES' },
      { error: 'EACCES' },
      { error: 'EACCES' },
      { ok: true, status: 0, stdout: 'allowed' },
    ]);
    expect(run.stored).toHaveLength(4);
    expect(run.stored.every((e) => e.status === 'Block' && e.control === 'blockedExecutables' && e.action === 'process')).toBe(true);
    expect(run.stored[0]).toMatchObject({
      policy: 'no-curl',
      policyType: 'function',
      workload: { function: 'orders-api' },
      enforcer: { group: 'lambda-prod', type: 'nano_enforcer', id: 'enf-1' },
    });
  });

  it('lets a blocked executable run and reports Detect in audit mode', async () => {
    const run = await runWith(
      [blockCurl('audit')],
      [{ op: 'spawnSync', file: 'sh', args: ['-c', 'curl --version > /dev/null; echo ran'] }],
    );
    expect(run.results).toEqual([{ ok: true, status: 0, stdout: 'ran' }]);
    expect(run.stored.map((e) => [e.status, e.control])).toEqual([['Detect', 'blockedExecutables']]);
  });

  it('reports one Detect per call for exec and its promisified form in audit mode (exec starts execFile inside Node)', async () => {
    const run = await runWith(
      [blockCurl('audit')],
      [
        { op: 'exec', command: 'curl --version >/dev/null 2>&1; echo ran' },
        { op: 'execSync', command: 'curl --version >/dev/null 2>&1; echo ran' },
      ],
    );
    expect(run.results).toEqual([
      { ok: true, stdout: 'ran' },
      { ok: true, stdout: 'ran' },
    ]);
    expect(run.stored.map((e) => [e.status, e.control, e.command])).toEqual([
      ['Detect', 'blockedExecutables', ['/bin/sh', '-c', 'curl --version >/dev/null 2>&1; echo ran']],
      ['Detect', 'blockedExecutables', ['/bin/sh', '-c', 'curl --version >/dev/null 2>&1; echo ran']],
    ]);
  });

  it('reports a call whose command line is longer than an audit event may carry, cut to fit', async () => {
    const long = 'x'.repeat(5000);
    const run = await runWith(
      [blockCurl('audit')],
      [{ op: 'spawnSync', file: 'sh', args: ['-c', `curl --version >/dev/null 2>&1; echo ${long} >/dev/null; echo ran`] }],
    );
    expect(run.results).toEqual([{ ok: true, status: 0, stdout: 'ran' }]);
    expect(api!.eventPosts.map((p) => p.status)).toEqual([200]);
    expect(run.stored).toHaveLength(1);
    const command = run.stored[0].command as string[];
    expect(command.slice(0, 2)).toEqual(['sh', '-c']);
    // The middle is cut, so what the script finally runs stays on record.
    expect(command[2]).toMatch(/^curl --version >\/dev\/null 2>&1; echo x+ \[… \d+ characters cut …\] x+ >\/dev\/null; echo ran$/);
    expect(command[2]!.length).toBeLessThanOrEqual(4096);
    expect(run.stored[0].truncated).toEqual([{ field: 'command[2]', length: 5058 }]);
  });

  it('refuses a program copied under /tmp (drift) and reports Detect for it in audit mode', async () => {
    const drift = (mode: 'audit' | 'enforce') => functionPolicy('drift', mode, { driftPrevention: { enabled: true } });
    const enforced = await runWith(
      [drift('enforce')],
      [
        { op: 'copyAndRun', source: '/bin/true' },
        { op: 'spawnSync', file: 'true' },
      ],
    );
    expect(enforced.results).toEqual([{ error: 'EACCES' }, { ok: true, status: 0, stdout: '' }]);
    expect(enforced.stored.map((e) => [e.status, e.control])).toEqual([['Block', 'driftPrevention']]);
    expect(enforced.stored[0].message).toContain('/tmp');
    await api!.close();
    api = undefined;
    const audited = await runWith([drift('audit')], [{ op: 'copyAndRun', source: '/bin/true' }]);
    expect(audited.results).toEqual([{ ok: true, status: 0 }]);
    expect(audited.stored.map((e) => e.status)).toEqual(['Detect']);
  });

  it('decides a call made again anew when its program was created, replaced by a link or changed since the last call', async () => {
    // The hooks reuse the decision on a call made before; each of these changes must still be seen.
    const outsideTmp = mkdtempSync('/var/tmp/vigil-repeat-');
    const dir = mkdtempSync(join(tmpdir(), 'vigil-repeat-'));
    try {
      const created = join(outsideTmp, 'tool');
      const drift = await runWith(
        [functionPolicy('drift', 'enforce', { driftPrevention: { enabled: true } })],
        [
          { op: 'spawnSync', file: created },
          { op: 'placeProgram', path: created, source: '/bin/true' },
          { op: 'spawnSync', file: created },
        ],
      );
      expect(drift.results).toEqual([{ error: 'ENOENT' }, { ok: true }, { error: 'EACCES' }]);
      expect(drift.stored.map((e) => [e.status, e.control])).toEqual([['Block', 'driftPrevention']]);
      await api!.close();
      api = undefined;

      const tool = join(dir, 'tool');
      const relinked = await runWith(
        [blockCurl('enforce')],
        [
          { op: 'placeProgram', path: join(dir, 'curl'), source: '/bin/true' },
          { op: 'placeProgram', path: tool, source: '/bin/true' },
          { op: 'spawnSync', file: tool },
          { op: 'placeProgram', path: tool, linkTo: join(dir, 'curl') },
          { op: 'spawnSync', file: tool },
          { op: 'placeProgram', path: tool, source: '/bin/true' },
          { op: 'spawnSync', file: tool },
        ],
      );
      expect(relinked.results).toEqual([
        { ok: true },
        { ok: true },
        { ok: true, status: 0, stdout: '' },
        { ok: true },
        { error: 'EACCES' },
        { ok: true },
        { ok: true, status: 0, stdout: '' },
      ]);
      expect(relinked.stored.map((e) => [e.status, e.control, e.message])).toEqual([
        ['Block', 'blockedExecutables', `"${join(dir, 'curl')}" is a blocked executable`],
      ]);
    } finally {
      rmSync(outsideTmp, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('decides a call made again under the bundle in force: a switch from audit to enforce refuses what was allowed before', async () => {
    const blockTrue = (mode: 'audit' | 'enforce') =>
      functionPolicy('no-true', mode, { blockedExecutables: { enabled: true, executables: ['true'] } });
    const audit = bundleWith([blockTrue('audit')]);
    api = new FakeEnforcerApi(audit);
    const endpoint = await api.listen();
    const running = runFunction({
      layerDir,
      module: 'user-function.cjs',
      events: [
        { op: 'spawnSync', file: 'true' },
        { op: 'wait', ms: 3000 },
        { op: 'spawnSync', file: 'true' },
      ],
      env: {
        VIGIL_ENDPOINT: endpoint,
        VIGIL_TOKEN: 'group-token',
        VIGIL_SNAPSHOT: JSON.stringify(audit),
        VIGIL_FLUSH_INTERVAL_MS: '50',
        VIGIL_BUNDLE_TTL_SECONDS: '0.2',
      },
    });
    // The first call's Detect arrives, then the API serves the enforcing revision to the next refresh.
    const served = api;
    await vi.waitFor(() => expect(served.stored.size).toBe(1), { timeout: 20_000, interval: 20 });
    served.bundle = bundleWith([blockTrue('enforce')], { revision: 8 });
    const run = await running;
    expect(run.stdout, run.stderr).toContain('SHUTDOWN');
    expect(run.results).toEqual([{ ok: true, status: 0, stdout: '' }, { ok: true }, { error: 'EACCES' }]);
    expect([...served.stored.values()].map((e) => e.status)).toEqual(['Detect', 'Block']);
  });

  it('blocks every child process except the allow-list under blockAllProcesses', async () => {
    const run = await runWith(
      [functionPolicy('no-children', 'enforce', { blockAllProcesses: { enabled: true, allowedExecutables: ['true', '/usr/bin/env'] } })],
      [
        { op: 'spawnSync', file: 'true' },
        { op: 'spawnSync', file: 'ls' },
        { op: 'execSync', command: 'true' },
      ],
    );
    expect(run.results).toEqual([{ ok: true, status: 0, stdout: '' }, { error: 'EACCES' }, { ok: true, stdout: '' }]);
    expect(run.stored.map((e) => e.control)).toEqual(['blockAllProcesses']);
  });

  it('plants honeypot credentials in the environment and reports a read, leaving the real credential names alone', async () => {
    const run = await runWith(
      [
        functionPolicy('honey', 'audit', {
          honeypot: {
            enabled: true,
            accessKeyId: 'AKIAHONEYPOT00000001',
            secretAccessKey: 'fake-secret-0123456789',
            applyOn: ['environment'],
          },
        }),
      ],
      [
        { op: 'readEnv', name: 'AWS_BACKUP_ACCESS_KEY_ID' },
        { op: 'readEnv', name: 'AWS_ACCESS_KEY_ID' },
        { op: 'spawnSync', file: 'true' },
      ],
    );
    expect(run.results[0]).toEqual({ ok: true, value: 'AKIAHONEYPOT00000001' });
    expect(run.results[1]).toEqual({ ok: true, value: null });
    // Node copying the environment for a spawn is not a read by the function.
    expect(run.stored.map((e) => [e.control, e.action, e.message])).toEqual([
      ['honeypot', 'honeypot', 'honeypot credentials were read from the environment (AWS_BACKUP_ACCESS_KEY_ID)'],
    ]);
  });

  it('refuses an outbound connection to a host outside the allow-list, and only reports it in audit mode', async () => {
    const egress = (mode: 'audit' | 'enforce') =>
      functionPolicy('egress', mode, { networkEgress: { enabled: true, allowedHosts: ['*.amazonaws.com'] } });
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
      env: {
        VIGIL_ENDPOINT: `http://127.0.0.1:${port}`,
        VIGIL_TOKEN: 't',
        VIGIL_SNAPSHOT: JSON.stringify(bundleWith([blockCurl('enforce')])),
      },
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
    const run = await runFunction({
      layerDir,
      module: 'user-function.cjs',
      events: invocations,
      env: { VIGIL_ENDPOINT: endpoint, VIGIL_TOKEN: 'group-token', VIGIL_SNAPSHOT: JSON.stringify(bundle), VIGIL_FLUSH_INTERVAL_MS: '50' },
    });
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
  it('applies a policy scoped to the account from the first invocation on, once the invoked ARN names the account', async () => {
    const byAccount = {
      ...blockCurl('enforce'),
      scope: { applicationScopes: ['Global'], expression: 'v1', variables: [{ attribute: 'cloud.awsaccount', value: '123456789012' }] },
    };
    const bundle = bundleWith([byAccount]);
    api = new FakeEnforcerApi(bundle);
    const endpoint = await api.listen();
    const run = await runFunction({
      layerDir,
      module: 'wrapped-function.mjs',
      preload: false,
      events: [{ op: 'spawnSync', file: 'sh', args: ['-c', 'curl --version'] }],
      // Nothing about the account is known at init: the policy matches nothing until the first invocation.
      env: { VIGIL_ENDPOINT: endpoint, VIGIL_TOKEN: 'group-token', VIGIL_SNAPSHOT: JSON.stringify(bundle) },
    });
    expect(run.results).toEqual([{ error: 'EACCES' }]);
    expect([...api.stored.values()].map((e) => [e.status, e.policy])).toEqual([['Block', 'no-curl']]);
  });

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

describe('the honeypot credentials file', () => {
  const honeyFile = (applyOn: string[]) =>
    functionPolicy('honey-file', 'audit', {
      honeypot: { enabled: true, accessKeyId: 'AKIAHONEYPOT00000002', secretAccessKey: 'fake-file-secret-0123456789', applyOn },
    });
  const planted = '[backup-admin]\naws_access_key_id = AKIAHONEYPOT00000002\naws_secret_access_key = fake-file-secret-0123456789\n';

  it('plants fake credentials under a profile no SDK uses by default, readable by the owner only, and leaves the environment alone', async () => {
    const run = await runWith(
      [honeyFile(['file'])],
      [
        { op: 'readFile', api: 'stat' },
        { op: 'readEnv', name: 'AWS_BACKUP_ACCESS_KEY_ID' },
      ],
    );
    expect(run.results).toEqual([
      { ok: true, size: planted.length, mode: '600' },
      { ok: true, value: null },
    ]);
    // A stat is not a read of the credentials.
    expect(run.stored).toEqual([]);
  });

  it.each(['readFileSync', 'readFile', 'promises.readFile', 'readFileUrl', 'createReadStream', 'openSync', 'copyFileSync'])(
    'reports a read through fs %s once, as Detect in audit mode',
    async (fsApi) => {
      const run = await runWith(
        [honeyFile(['file'])],
        [
          { op: 'readFile', api: fsApi },
          { op: 'readFile', api: fsApi },
        ],
      );
      expect(run.results).toEqual([
        { ok: true, content: planted },
        { ok: true, content: planted },
      ]);
      // Reads of one honeypot are reported at most once a minute.
      expect(run.stored.map((e) => [e.status, e.control, e.action])).toEqual([['Detect', 'honeypot', 'honeypot']]);
      expect(run.stored[0].message).toMatch(/^honeypot credentials were read from the file \(.+\/\.aws\/credentials\)$/);
    },
  );

  it('reports a read through a named ESM import of node:fs/promises', async () => {
    const run = await runWith(
      [honeyFile(['file', 'environment'])],
      [{ op: 'namedReadFile' }, { op: 'readEnv', name: 'AWS_BACKUP_SECRET_ACCESS_KEY' }],
      'user-function.mjs',
    );
    expect(run.results).toEqual([
      { ok: true, content: planted },
      { ok: true, value: 'fake-file-secret-0123456789' },
    ]);
    expect(run.stored.map((e) => e.message)).toEqual([
      expect.stringMatching(/^honeypot credentials were read from the file \(.+\/\.aws\/credentials\)$/),
      'honeypot credentials were read from the environment (AWS_BACKUP_SECRET_ACCESS_KEY)',
    ]);
  });

  it('never replaces a file the function already has at that path, and does not report reads of it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-own-credentials-'));
    const own = join(dir, 'credentials');
    mkdirSync(dir, { recursive: true });
    writeFileSync(own, '[default]\nregion = eu-west-1\n');
    const run = await runWith([honeyFile(['file'])], [{ op: 'readFile', api: 'readFileSync' }], 'user-function.cjs', {
      VIGIL_HONEYPOT_FILE: own,
    });
    expect(run.results).toEqual([{ ok: true, content: '[default]\nregion = eu-west-1\n' }]);
    expect(readFileSync(own, 'utf8')).toBe('[default]\nregion = eu-west-1\n');
    expect(run.stored).toEqual([]);
  });

  it('is not planted when the policy places the credentials in the environment only', async () => {
    const run = await runWith([honeyFile(['environment'])], [{ op: 'readFile', api: 'readFileSync' }]);
    expect(run.results).toEqual([{ error: 'ENOENT' }]);
    expect(run.stored).toEqual([]);
  });
});

describe('what userland interception cannot see (docs/protection-layer.md)', () => {
  const noEcho = functionPolicy('no-echo', 'enforce', { blockedExecutables: { enabled: true, executables: ['echo'] } });

  it('does not see a program started through process.binding("spawn_sync"): it runs although blocked, and nothing is reported', async () => {
    const run = await runWith(
      [noEcho],
      [
        { op: 'spawnSync', file: '/bin/echo', args: ['hooked'] },
        { op: 'bindingSpawnSync', file: '/bin/echo', args: ['bypassed'] },
      ],
    );
    expect(run.results).toEqual([{ error: 'EACCES' }, { ok: true, status: 0, stdout: 'bypassed' }]);
    expect(run.stored.map((e) => e.command)).toEqual([['/bin/echo', 'hooked']]);
  });

  it('does not see a program started through process.binding("process_wrap"): it runs although blocked, and nothing is reported', async () => {
    const run = await runWith(
      [noEcho],
      [
        { op: 'spawn', file: '/bin/echo', args: ['hooked'] },
        { op: 'bindingProcessWrap', file: '/bin/echo', args: ['bypassed'] },
      ],
    );
    expect(run.results).toEqual([{ error: 'EACCES' }, { ok: true, status: 0 }]);
    expect(run.stored.map((e) => e.command)).toEqual([['/bin/echo', 'hooked']]);
  });
});

describe('heartbeats', () => {
  it('sends a heartbeat with the enforcer id after registering, and one with every bundle refresh', async () => {
    const run = await runWith([], [{ op: 'wait', ms: 2500 }], 'user-function.cjs', { VIGIL_BUNDLE_TTL_SECONDS: '1' });
    expect(run.results).toEqual([{ ok: true }]);
    expect(api!.requests.slice(0, 3)).toEqual(['POST /v1/enforcers/register', 'GET /v1/enforcers/bundle', 'POST /v1/enforcers/heartbeat']);
    // At least one refresh ran during the 2.5 s invocation: a conditional bundle fetch, then a heartbeat.
    expect(api!.notModified).toBeGreaterThanOrEqual(1);
    expect(api!.requests.slice(3, 5)).toEqual(['GET /v1/enforcers/bundle', 'POST /v1/enforcers/heartbeat']);
    expect(api!.heartbeats.length).toBeGreaterThanOrEqual(2);
    expect(new Set(api!.heartbeats)).toEqual(new Set(['enf-1']));
    expect(run.stderr).not.toContain('heartbeat failed');
  });

  it('registers again when a heartbeat answers that the enforcer is unknown (404)', async () => {
    const bundle = bundleWith([]);
    api = new FakeEnforcerApi(bundle);
    api.answerNext.set('POST /v1/enforcers/heartbeat', 404);
    const endpoint = await api.listen();
    const run = await runFunction({
      layerDir,
      module: 'user-function.cjs',
      events: [{ op: 'wait', ms: 2500 }],
      env: { VIGIL_ENDPOINT: endpoint, VIGIL_TOKEN: 'group-token', VIGIL_BUNDLE_TTL_SECONDS: '1' },
    });
    expect(run.results).toEqual([{ ok: true }]);
    expect(run.stderr).toContain('vigil: a heartbeat failed: POST /v1/enforcers/heartbeat answered 404');
    expect(api.requests.slice(0, 6)).toEqual([
      'POST /v1/enforcers/register',
      'GET /v1/enforcers/bundle',
      'POST /v1/enforcers/heartbeat',
      'POST /v1/enforcers/register',
      'GET /v1/enforcers/bundle',
      'POST /v1/enforcers/heartbeat',
    ]);
  });

  it('keeps events the API refused because the enforcer was unknown (404), and delivers them once registered again', async () => {
    const bundle = bundleWith([blockCurl('audit')]);
    api = new FakeEnforcerApi(bundle);
    api.answerNext.set('POST /v1/enforcers/events', 404);
    const endpoint = await api.listen();
    const run = await runFunction({
      layerDir,
      module: 'user-function.cjs',
      events: [
        { op: 'spawnSync', file: 'sh', args: ['-c', 'curl --version >/dev/null 2>&1; true'] },
        { op: 'wait', ms: 2500 },
      ],
      env: {
        VIGIL_ENDPOINT: endpoint,
        VIGIL_TOKEN: 'group-token',
        VIGIL_SNAPSHOT: JSON.stringify(bundle),
        VIGIL_BUNDLE_TTL_SECONDS: '1',
        VIGIL_FLUSH_INTERVAL_MS: '50',
      },
    });
    expect(run.stdout, run.stderr).toContain('SHUTDOWN');
    expect(api.registrations).toHaveLength(2);
    expect(api.requests.filter((r) => r === 'POST /v1/enforcers/events')).toHaveLength(2);
    expect([...api.stored.values()].map((e) => [e.status, e.control, e.enforcer.id])).toEqual([['Detect', 'blockedExecutables', 'enf-1']]);
  });

  it('never makes an invocation wait for a heartbeat answer', async () => {
    const bundle = bundleWith([blockCurl('enforce')]);
    api = new FakeEnforcerApi(bundle);
    api.holdHeartbeats = true;
    const endpoint = await api.listen();
    const fake = api;
    // Heartbeats are answered only once every invocation has returned: had one waited for its answer, the
    // function could only have gone on after the heartbeat failed (timed out), which it would log.
    const run = await runFunction({
      layerDir,
      module: 'wrapped-function.mjs',
      preload: false,
      events: [
        { op: 'spawnSync', file: 'sh', args: ['-c', 'curl --version'] },
        { op: 'spawnSync', file: 'true' },
      ],
      env: { VIGIL_ENDPOINT: endpoint, VIGIL_TOKEN: 'group-token' },
      onLine: (line) => {
        if (line !== 'SHUTDOWN') return;
        fake.holdHeartbeats = false;
        fake.releaseHeartbeats();
      },
    });
    expect(run.results).toEqual([{ error: 'EACCES' }, { ok: true, status: 0, stdout: '' }]);
    expect(fake.heartbeats).toEqual(['enf-1']);
    expect(run.stderr).not.toContain('heartbeat failed');
  });
});
