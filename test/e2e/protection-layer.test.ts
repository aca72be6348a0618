import { beforeAll, describe, expect, it } from 'vitest';
import { buildLayer, runFunction } from '../integration/protection/harness.js';
import { eventually, useLocalMode } from '../support/local-mode.js';

// The protection layer against the real control plane: a function runs under the preload, registers
// with the group token, fetches the real bundle, refuses a blocked spawn and reports it to the audit log.

const vigil = useLocalMode({ configRecheckMs: 50 });
let layerDir: string;

beforeAll(async () => {
  layerDir = await buildLayer();
}, 60_000);

describe('the protection layer against local mode', () => {
  it('refuses a blocked spawn and records exactly one Block event from a registered enforcer of the group', async () => {
    const group = await vigil.api('POST', '/v1/enforcer-groups', { name: 'lambdas', type: 'nano_enforcer', enforce: true });
    expect(group.status, JSON.stringify(group.body)).toBe(201);
    const token = group.body.token as string;
    expect(token).toEqual(expect.any(String));

    const policy = await vigil.api('POST', '/v1/policies', {
      name: 'no-curl',
      type: 'function',
      enforcementMode: 'enforce',
      scope: { applicationScopes: ['Global'] },
      controls: { blockedExecutables: { enabled: true, executables: ['curl'] } },
    });
    expect(policy.status, JSON.stringify(policy.body)).toBe(201);

    const run = await runFunction({
      layerDir,
      module: 'user-function.cjs',
      // Nothing is embedded, so the preload fetches the bundle in the background: the first invocation gives it
      // time without blocking the event loop (allowed: fail open, and `sleep` is not blocked), the second tries
      // the blocked program.
      events: [
        { op: 'spawn', file: 'sleep', args: ['2'] },
        { op: 'spawnSync', file: 'curl', args: ['--version'] },
      ],
      env: { VIGIL_ENDPOINT: vigil.url, VIGIL_TOKEN: token, VIGIL_FAIL_MODE: 'open', VIGIL_FLUSH_INTERVAL_MS: '50' },
    });
    expect(run.stdout, run.stderr).toContain('SHUTDOWN');
    expect(run.results).toEqual([{ ok: true, status: 0 }, { error: 'EACCES' }]);

    const events = await eventually(async () => {
      const items = (await vigil.api('GET', '/v1/audit-events?type=function&limit=500')).body.items as Array<Record<string, any>>;
      expect(items).toHaveLength(1);
      return items;
    }, 10_000);
    const [event] = events;
    expect(event).toMatchObject({
      status: 'Block',
      policy: 'no-curl',
      control: 'blockedExecutables',
      enforcer: { group: 'lambdas', type: 'nano_enforcer' },
    });
    const enforcerId = event!.enforcer.id as string;
    expect(enforcerId).toMatch(/^enf-/);

    const enforcers = (await vigil.api('GET', '/v1/enforcers?group=lambdas')).body;
    expect(JSON.stringify(enforcers)).toContain(enforcerId);
    const listed = (enforcers.items as Array<Record<string, any>>).find((e) => e.enforcerId === enforcerId);
    expect(listed).toMatchObject({ group: 'lambdas', name: 'orders-api', type: 'nano_enforcer' });
  }, 60_000);

  it('refuses programs started below a shell through the native exec guard, and records each once in the audit log', async () => {
    const group = await vigil.api('POST', '/v1/enforcer-groups', { name: 'guarded', type: 'nano_enforcer', enforce: true });
    expect(group.status, JSON.stringify(group.body)).toBe(201);
    const policy = await vigil.api('POST', '/v1/policies', {
      name: 'no-recon',
      type: 'function',
      enforcementMode: 'enforce',
      scope: { applicationScopes: ['Global'], expression: 'v1', variables: [{ attribute: 'function.name', value: 'billing-api' }] },
      controls: { blockedExecutables: { enabled: true, executables: ['/usr/bin/id', 'whoami'] } },
    });
    expect(policy.status, JSON.stringify(policy.body)).toBe(201);

    const run = await runFunction({
      layerDir,
      module: 'user-function.cjs',
      guard: true,
      // The first invocation gives the background bundle fetch time (fail open, `sleep` allowed).
      events: [
        { op: 'spawn', file: 'sleep', args: ['2'] },
        { op: 'execSyncStatus', command: 'sh -c "id -u"' },
        { op: 'execSyncStatus', command: 'echo | xargs whoami' },
      ],
      env: {
        VIGIL_ENDPOINT: vigil.url,
        VIGIL_TOKEN: group.body.token as string,
        VIGIL_FLUSH_INTERVAL_MS: '50',
        AWS_LAMBDA_FUNCTION_NAME: 'billing-api',
      },
    });
    expect(run.stdout, run.stderr).toContain('SHUTDOWN');
    expect(run.results.slice(1)).toEqual([
      { ok: false, status: 126, stderr: 'sh: 1: id: Permission denied' },
      { ok: false, status: 126, stderr: 'xargs: whoami: Permission denied' },
    ]);

    const events = await eventually(async () => {
      const items = (await vigil.api('GET', '/v1/audit-events?type=function&limit=500')).body.items as Array<Record<string, any>>;
      const ours = items.filter((e) => e.enforcer.group === 'guarded');
      expect(ours).toHaveLength(2);
      return ours;
    }, 10_000);
    expect(events.map((e) => [e.status, e.policy, e.control, e.command, e.workload.function]).sort()).toEqual([
      ['Block', 'no-recon', 'blockedExecutables', ['id', '-u'], 'billing-api'],
      ['Block', 'no-recon', 'blockedExecutables', ['whoami'], 'billing-api'],
    ]);
  }, 60_000);

  it('shows a protected function as connected in GET /v1/enforcers, kept so by its heartbeats', async () => {
    const group = await vigil.api('POST', '/v1/enforcer-groups', { name: 'heartbeats', type: 'nano_enforcer' });
    expect(group.status, JSON.stringify(group.body)).toBe(201);
    const run = await runFunction({
      layerDir,
      module: 'user-function.cjs',
      // One invocation long enough for a bundle refresh (with its heartbeat) at a 1 s TTL.
      events: [{ op: 'wait', ms: 2500 }],
      env: {
        VIGIL_ENDPOINT: vigil.url,
        VIGIL_TOKEN: group.body.token as string,
        VIGIL_BUNDLE_TTL_SECONDS: '1',
        AWS_LAMBDA_FUNCTION_NAME: 'checkout-api',
      },
    });
    expect(run.stdout, run.stderr).toContain('SHUTDOWN');
    expect(run.stderr).not.toContain('failed');

    const listed = (await vigil.api('GET', '/v1/enforcers?group=heartbeats')).body.items as Array<Record<string, any>>;
    expect(listed).toHaveLength(1);
    const [enforcer] = listed;
    expect(enforcer).toMatchObject({
      group: 'heartbeats',
      name: 'checkout-api',
      type: 'nano_enforcer',
      status: 'connected',
      metadata: { functionName: 'checkout-api', region: 'eu-west-1' },
    });
    // Registration sets lastSeen too; a later lastSeen is a heartbeat's.
    expect(Date.parse(enforcer!.lastSeen as string)).toBeGreaterThan(Date.parse(enforcer!.registeredAt as string));
  }, 60_000);
});
