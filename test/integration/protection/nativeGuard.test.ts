import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildLayer, bundleWith, closedPort, FakeEnforcerApi, functionPolicy, runFunction } from './harness.js';

// The native exec guard as Lambda runs it: vigil-wrapper loads it with LD_PRELOAD into the runtime, and
// every descendant (shells, env, xargs, find, python, perl…) carries it. Real child processes throughout;
// the enforcer API is a test double at the network boundary.

let layerDir: string;
let api: FakeEnforcerApi | undefined;

beforeAll(async () => {
  layerDir = await buildLayer();
}, 120_000);

afterEach(async () => {
  await api?.close();
  api = undefined;
});

const blockIdAndWhoami = (mode: 'audit' | 'enforce') =>
  functionPolicy('no-recon', mode, { blockedExecutables: { enabled: true, executables: ['/usr/bin/id', 'whoami'] } });

async function runGuarded(policies: unknown[], events: unknown[], options: { enforce?: boolean; env?: Record<string, string> } = {}) {
  const fixtureGroup = bundleWith([]).group as Record<string, unknown>;
  const bundle = bundleWith(policies, { group: { ...fixtureGroup, enforce: options.enforce ?? true } });
  api = new FakeEnforcerApi(bundle);
  const endpoint = await api.listen();
  const run = await runFunction({
    layerDir,
    module: 'user-function.cjs',
    events,
    guard: true,
    env: {
      VIGIL_ENDPOINT: endpoint,
      VIGIL_TOKEN: 'group-token',
      VIGIL_SNAPSHOT: JSON.stringify(bundle),
      VIGIL_FLUSH_INTERVAL_MS: '50',
      ...options.env,
    },
  });
  expect(run.stdout, run.stderr).toContain('SHUTDOWN');
  return { ...run, stored: [...api.stored.values()] as Array<Record<string, any>> };
}

// Each command starts /usr/bin/id or whoami below a program the child_process hooks cannot see into.
// `hook`: the child_process hook already refuses it from the command string (it reads past `nohup`), and
// reports it with the command line it refused; allowed (audit), the guard reports what really started.
const escapes: Array<{ call: unknown; starts: string[]; hook?: string[] }> = [
  { call: { op: 'execSyncStatus', command: 'sh -c "id -u"' }, starts: ['id', '-u'] },
  { call: { op: 'spawnSync', file: 'bash', args: ['-c', 'sh -c "id -u"'] }, starts: ['id', '-u'] },
  { call: { op: 'execSyncStatus', command: '/usr/bin/env id' }, starts: ['id'] },
  { call: { op: 'execSyncStatus', command: 'echo | xargs whoami' }, starts: ['whoami'] },
  { call: { op: 'execSyncStatus', command: '$(which whoami)' }, starts: ['/usr/bin/whoami'] },
  { call: { op: 'shellStatus', command: 'find /bin/sh -maxdepth 0 -exec id -u \\;' }, starts: ['id', '-u'] },
  { call: { op: 'shellStatus', command: 'nohup id -u' }, starts: ['id', '-u'], hook: ['/bin/sh', '-c', 'nohup id -u'] },
  { call: { op: 'shellStatus', command: 'timeout 5 id -u' }, starts: ['id', '-u'] },
  {
    call: { op: 'shellStatus', command: `python3 -c 'import subprocess; subprocess.run(["id", "-u"], check=True)'` },
    starts: ['id', '-u'],
  },
  { call: { op: 'shellStatus', command: `perl -e 'system("whoami") == 0 or die "refused: $!\\n"'` }, starts: ['whoami'] },
  { call: { op: 'shellStatus', command: 'env -i /bin/sh -c "id -u"' }, starts: ['id', '-u'] },
  // Drops the guard's variables from its own environment and from the one it passes on.
  {
    call: { op: 'shellStatus', command: 'unset LD_PRELOAD VIGIL_GUARD_DIR; env -u LD_PRELOAD /bin/sh -c "exec id -u"' },
    starts: ['id', '-u'],
  },
];

const sorted = (commands: string[][]) => commands.map((c) => JSON.stringify(c)).sort();

describe('the native exec guard through vigil-wrapper', () => {
  it('refuses every program a descendant starts against an enforced policy, with EACCES, and reports each once as Block', async () => {
    const run = await runGuarded(
      [blockIdAndWhoami('enforce')],
      [...escapes.map((e) => e.call), { op: 'spawnSync', file: 'id' }, { op: 'execSyncStatus', command: 'echo allowed' }],
    );
    escapes.forEach(({ call, hook }, i) => {
      const result = run.results[i];
      const { op } = call as { op: string };
      if (hook) expect(result).toEqual({ error: 'EACCES' });
      else if (op === 'spawnSync') expect(result).toEqual({ ok: true, status: 126, stdout: '' });
      else if (op === 'shellStatus') expect(result.stderr, JSON.stringify(result)).toContain('Permission denied');
      else {
        // The program's own report of EACCES: the shell's, env's, xargs', Python's PermissionError, perl's $!.
        expect(result, JSON.stringify(result)).toMatchObject({ ok: false });
        expect(String(result.stderr)).toContain('Permission denied');
      }
    });
    // spawnSync('id') is refused by the child_process hook before any process starts, as before.
    expect(run.results.at(-2)).toEqual({ error: 'EACCES' });
    expect(run.results.at(-1)).toEqual({ ok: true, status: 0, stdout: 'allowed' });

    expect(run.stored.every((e) => e.status === 'Block' && e.policy === 'no-recon' && e.control === 'blockedExecutables')).toBe(true);
    expect(sorted(run.stored.map((e) => e.command as string[]))).toEqual(sorted([...escapes.map((e) => e.hook ?? e.starts), ['id']]));
    expect(run.stored.map((e) => e.message)).toContain('"/usr/bin/id" is a blocked executable');
  }, 60_000);

  it('lets every program run and reports each once as Detect when the policy audits', async () => {
    const run = await runGuarded(
      [blockIdAndWhoami('audit')],
      [...escapes.map((e) => e.call), { op: 'spawnSync', file: 'id', args: ['-u'] }],
    );
    for (const result of run.results) expect(result, JSON.stringify(result)).toMatchObject({ status: 0 });
    expect(run.stored.map((e) => [e.status, e.enforcementMode])).toEqual(run.stored.map(() => ['Detect', 'audit']));
    expect(sorted(run.stored.map((e) => e.command as string[]))).toEqual(sorted([...escapes.map((e) => e.starts), ['id', '-u']]));
  }, 60_000);

  it('lets every program run and reports each once as Detect of an enforce policy while the group is audit only', async () => {
    const run = await runGuarded(
      [blockIdAndWhoami('enforce')],
      escapes.map((e) => e.call),
      { enforce: false },
    );
    for (const result of run.results) expect(result, JSON.stringify(result)).toMatchObject({ status: 0 });
    expect(run.stored.map((e) => [e.status, e.enforcementMode])).toEqual(run.stored.map(() => ['Detect', 'enforce']));
    expect(sorted(run.stored.map((e) => e.command as string[]))).toEqual(sorted(escapes.map((e) => e.starts)));
  }, 60_000);

  it('refuses drift below a shell: a program copied under /tmp, and one created elsewhere after the function started', async () => {
    const elsewhere = mkdtempSync(join('/var/tmp', 'vigil-guard-drift-'));
    const tmp = mkdtempSync(join(tmpdir(), 'vigil-guard-drift-'));
    try {
      const run = await runGuarded(
        [functionPolicy('drift', 'enforce', { driftPrevention: { enabled: true } })],
        [
          { op: 'execSyncStatus', command: `cp /bin/true ${tmp}/dropped && sh -c ${tmp}/dropped` },
          { op: 'execSyncStatus', command: `cp /bin/true ${elsewhere}/fresh && sh -c ${elsewhere}/fresh` },
          { op: 'execSyncStatus', command: 'sh -c /bin/true' },
        ],
      );
      expect(run.results).toEqual([
        expect.objectContaining({ ok: false, status: 126 }),
        expect.objectContaining({ ok: false, status: 126 }),
        { ok: true, status: 0, stdout: '' },
      ]);
      expect(run.stored.map((e) => [e.status, e.control, e.message])).toEqual([
        ['Block', 'driftPrevention', `"${tmp}/dropped" is located under /tmp (drift)`],
        ['Block', 'driftPrevention', `"${elsewhere}/fresh" was created after the workload started (drift)`],
      ]);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses every program with the fail mode closed and no bundle, even one started through an internal binding', async () => {
    const unreachable = `http://127.0.0.1:${await closedPort()}`;
    const closed = await runFunction({
      layerDir,
      module: 'user-function.cjs',
      guard: true,
      events: [{ op: 'bindingSpawnSync', file: '/bin/true' }],
      env: { VIGIL_ENDPOINT: unreachable, VIGIL_TOKEN: 'group-token', VIGIL_FAIL_MODE: 'closed' },
    });
    expect(closed.results).toEqual([{ error: -13 }]);
    const open = await runFunction({
      layerDir,
      module: 'user-function.cjs',
      guard: true,
      events: [{ op: 'bindingSpawnSync', file: '/bin/true' }],
      env: { VIGIL_ENDPOINT: unreachable, VIGIL_TOKEN: 'group-token', VIGIL_FAIL_MODE: 'open' },
    });
    expect(open.results).toEqual([{ ok: true, status: 0, stdout: '' }]);
  }, 60_000);

  it('closes the documented hole of process.binding: a blocked program started through it is refused and reported', async () => {
    const run = await runGuarded([blockIdAndWhoami('enforce')], [{ op: 'bindingSpawnSync', file: '/usr/bin/id' }]);
    expect(run.results).toEqual([{ error: -13 }]);
    expect(run.stored.map((e) => [e.status, e.command])).toEqual([['Block', ['/usr/bin/id']]]);
  }, 60_000);
});
