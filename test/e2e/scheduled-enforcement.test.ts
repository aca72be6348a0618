import { describe, expect, it } from 'vitest';
import { readFixture } from '../support/fixtures.js';
import { eventually, useLocalMode } from '../support/local-mode.js';

// A policy in audit mode that schedules its own switch to enforce 3 seconds ahead, driven over HTTP against
// local mode as `npm start` runs it: the local scheduler fires the change at its second, the webhook picks
// it up within its refresh bound, and an exec that was only detected is blocked from then on.

const vigil = useLocalMode({ configRecheckMs: 200, schedulerPollMs: 1000 });

function review(file: string): any {
  const body = readFixture<any>('admission', ...file.split('/'));
  body.request.uid = crypto.randomUUID();
  return body;
}
const execSh = () => review('exec-guard/denied/exec-sh.json');
const createTestNginx = () => review('debug-containers/allowed/create-pod.json');

describe('a scheduled switch to enforce', () => {
  it('turns Detect into Block within a few seconds of its time and records the schedule as the actor', async () => {
    const registered = await vigil.api('POST', '/v1/clusters', { name: 'scheduled' });
    expect(registered.status).toBe(201);
    const webhook = `${registered.body.webhookUrl}?timeout=10s`;
    const group = (await vigil.api('GET', '/v1/enforcer-groups/default-ke')).body;
    expect((await vigil.api('PUT', '/v1/enforcer-groups/default-ke', { ...group, enforce: true, containerProtection: true })).status).toBe(
      200,
    );

    const at = new Date(Date.now() + 3000).toISOString();
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

    // Before its time: audit mode, so the exec is let through and recorded as Detect.
    const detected = await eventually(async () => {
      const r = await vigil.post(webhook, execSh());
      expect(r.body.response).toMatchObject({ allowed: true, auditAnnotations: { status: 'Detect', policy: 'exec-guard' } });
      return r;
    }, 2500);
    expect(Date.now()).toBeLessThan(Date.parse(at));
    expect(detected.status).toBe(200);

    // After its time: enforce mode with an enforcing group, so the exec is refused.
    const blocked = await eventually(async () => {
      const r = await vigil.post(webhook, execSh());
      expect(r.body.response.allowed).toBe(false);
      return r;
    }, 8000);
    const blockedAt = Date.now();
    expect(blockedAt).toBeGreaterThanOrEqual(Date.parse(at));
    expect(blockedAt - Date.parse(at)).toBeLessThan(3000);
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
