import { describe, expect, it } from 'vitest';
import { readFixture } from '../support/fixtures.js';
import { useLocalMode } from '../support/local-mode.js';

// A policy in audit mode that schedules its own switch to enforce, driven over HTTP against local mode as
// `npm start` runs it. The local scheduler runs on a clock the test moves and fires only when the test asks
// for a pass, through the same path its timer takes (due changes from DynamoDB → the mode-change handler), so
// the switch happens exactly at the step the test chooses; the webhook rereads its configuration on every
// review, so an exec that was only detected is blocked from the next review on.

const HOUR = 3_600_000;
let schedulerNow = new Date();
const vigil = useLocalMode({ configRecheckMs: 0, schedulerClock: () => schedulerNow });

function review(file: string): any {
  const body = readFixture<any>('admission', ...file.split('/'));
  body.request.uid = crypto.randomUUID();
  return body;
}
const execSh = () => review('exec-guard/denied/exec-sh.json');
const createTestNginx = () => review('debug-containers/allowed/create-pod.json');

describe('a scheduled switch to enforce', () => {
  it('turns Detect into Block at its time, not before, and records the schedule as the actor', async () => {
    const registered = await vigil.api('POST', '/v1/clusters', { name: 'scheduled' });
    expect(registered.status).toBe(201);
    const webhook = `${registered.body.webhookUrl}?timeout=10s`;
    const group = (await vigil.api('GET', '/v1/enforcer-groups/default-ke')).body;
    expect((await vigil.api('PUT', '/v1/enforcer-groups/default-ke', { ...group, enforce: true, containerProtection: true })).status).toBe(
      200,
    );

    // The API checks the time against the real clock, so the switch lies an hour ahead of it.
    const at = new Date(Date.now() + HOUR).toISOString();
    const created = await vigil.api('POST', '/v1/policies', {
      name: 'exec-guard',
      type: 'container',
      enforcementMode: 'audit',
      enforcementModeChange: { to: 'enforce', at },
      scope: { applicationScopes: ['Global'] },
      controls: { blockContainerExec: { enabled: true } },
    });
    expect(created.status).toBe(201);
    const change = created.body.enforcementModeChange;
    expect(change).toMatchObject({ to: 'enforce', at, scheduledFor: at, state: 'pending', id: expect.any(String) });
    expect((await vigil.post(webhook, createTestNginx())).body.response.allowed).toBe(true);

    // Before its time: a scheduler pass a second early delivers nothing; audit mode, so the exec is let
    // through and recorded as Detect.
    schedulerNow = new Date(Date.parse(at) - 1000);
    expect(await vigil.runDueModeChanges()).toBe(0);
    const detected = await vigil.post(webhook, execSh());
    expect(detected.status).toBe(200);
    expect(detected.body.response).toMatchObject({ allowed: true, auditAnnotations: { status: 'Detect', policy: 'exec-guard' } });
    expect((await vigil.api('GET', '/v1/policies/exec-guard')).body).toMatchObject({ enforcementMode: 'audit', version: 1 });

    // At its time: one pass delivers the switch, once; enforce mode with an enforcing group refuses the exec.
    schedulerNow = new Date(at);
    expect(await vigil.runDueModeChanges()).toBe(1);
    expect(await vigil.runDueModeChanges()).toBe(0);
    const blocked = await vigil.post(webhook, execSh());
    expect(blocked.body.response.allowed).toBe(false);
    expect(blocked.body.response.status).toMatchObject({ code: 403, message: expect.stringContaining('blocked by policy "exec-guard"') });

    const read = await vigil.api('GET', '/v1/policies/exec-guard');
    expect(read.body).toMatchObject({
      enforcementMode: 'enforce',
      enforcementModeChange: null,
      version: 2,
      updatedBy: `schedule:${change.id}`,
    });
    const activity = (await vigil.api('GET', '/v1/activity?limit=50')).body.items as Array<Record<string, any>>;
    const switches = activity.filter((entry) => entry.action === 'mode-change');
    expect(switches).toEqual([
      expect.objectContaining({
        actor: `schedule:${change.id}`,
        resource: 'policy/exec-guard',
        before: expect.objectContaining({ enforcementMode: 'audit', enforcementModeChange: change }),
        after: expect.objectContaining({ enforcementMode: 'enforce', enforcementModeChange: null }),
      }),
    ]);
    const blocks = (await vigil.api('GET', '/v1/audit-events?status=Block&policy=exec-guard')).body.items;
    expect(blocks[0]).toMatchObject({ status: 'Block', policy: 'exec-guard', enforcementMode: 'enforce' });
  });
});
