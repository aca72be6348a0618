import { describe, expect, it } from 'vitest';
import { mergeDocuments } from '../../../cli/documents.js';
import { hasDifferences, planChanges } from '../../../cli/plan.js';
import type { ControlPlaneState } from '../../../layers/core/index.js';
import { useScheduling } from '../scheduling-harness.js';

// Policy as code over the whole life of a scheduled switch, with the API's clock moved by the test: the same file,
// applied again and again as a pipeline does on every merge, changes nothing before, at and after the switch, and
// `vigil diff` (the CLI's planner) finds no difference at any of those points.

const h = useScheduling();
const DAY = 86_400_000;

function fileWith(name: string, change: Record<string, unknown>) {
  return {
    formatVersion: 1,
    policies: [
      {
        name,
        type: 'container',
        enforcementMode: 'audit',
        enforcementModeChange: change,
        controls: { blockContainerExec: { enabled: true } },
      },
    ],
    applicationScopes: [],
  };
}

/** What `vigil diff` reads: every policy and scope, and the settings, as stored. */
async function serverState(): Promise<ControlPlaneState> {
  return h.store.loadSnapshot();
}

/** `vigil diff` against the server as it is now: whether it would exit 2. */
async function diffFinds(file: unknown): Promise<boolean> {
  const { state } = mergeDocuments([{ origin: { file: 'policy.yaml', path: [] }, value: file }]);
  return hasDifferences(planChanges(await serverState(), state, false));
}

async function applyFile(file: unknown) {
  const answer = await h.call('POST', '/v1/import?mode=upsert', file);
  expect(answer.status).toBe(200);
  return answer.body.items.find((item: { kind: string }) => item.kind === 'policy').result as string;
}

async function stored(name: string) {
  return (await h.call('GET', `/v1/policies/${name}`)).body;
}

/** Applies the same file before, at and after its switch; the switch fires once, from the schedule. */
async function lifeOfASwitch(name: string, change: Record<string, unknown>, start: Date) {
  const file = fileWith(name, change);
  h.now = start;
  expect(await applyFile(file)).toBe('created');
  const created = await stored(name);
  const scheduledFor: string = created.enforcementModeChange.scheduledFor;
  const schedulesMade = h.scheduledInputs().length;

  // Before the switch: a re-apply is a no-op (same version, no new schedule) and diff agrees.
  h.now = new Date(start.getTime() + DAY);
  expect(await diffFinds(file)).toBe(false);
  expect(await applyFile(file)).toBe('unchanged');
  expect(await stored(name)).toMatchObject({ version: created.version, enforcementModeChange: created.enforcementModeChange });

  // At the switch: still pending until the schedule delivers, and still no difference.
  h.now = new Date(scheduledFor);
  expect(await diffFinds(file)).toBe(false);
  expect(await applyFile(file)).toBe('unchanged');
  const delivered = await h.deliver({ policy: name, changeId: created.enforcementModeChange.id, to: 'enforce', scheduledFor });
  expect(delivered).toMatchObject({ result: 'applied', from: 'audit', to: 'enforce' });
  const switched = await stored(name);
  expect(switched).toMatchObject({ enforcementMode: 'enforce', enforcementModeChange: null });

  // After the switch, even much later: the file is satisfied, the policy stays in enforce, nothing is scheduled.
  for (const later of [1, 400]) {
    h.now = new Date(Date.parse(scheduledFor) + later * DAY);
    expect(await diffFinds(file)).toBe(false);
    expect(await applyFile(file)).toBe('unchanged');
    expect(await stored(name)).toMatchObject({ version: switched.version, enforcementMode: 'enforce', enforcementModeChange: null });
  }
  expect(h.scheduledInputs()).toHaveLength(schedulesMade);
  return { scheduledFor };
}

describe('a policy-as-code file with a scheduled switch converges', () => {
  it('with afterDays: the instant is counted from the first apply only', async () => {
    const start = new Date('2026-03-01T10:00:00.000Z');
    const { scheduledFor } = await lifeOfASwitch('after-days-switch', { to: 'enforce', afterDays: 14 }, start);
    expect(scheduledFor).toBe('2026-03-15T10:00:00.000Z');
  });

  it('with at: the past instant of a switch that happened is no error', async () => {
    const { scheduledFor } = await lifeOfASwitch(
      'at-switch',
      { to: 'enforce', at: '2026-04-01T09:00:00Z' },
      new Date('2026-03-20T00:00:00Z'),
    );
    expect(scheduledFor).toBe('2026-04-01T09:00:00.000Z');
  });

  it('a past at for a policy that has not switched is still refused, naming the field', async () => {
    h.now = new Date('2026-05-01T00:00:00Z');
    const answer = await h.call(
      'POST',
      '/v1/import?mode=upsert',
      fileWith('never-switched', { to: 'enforce', at: '2026-04-01T09:00:00Z' }),
    );
    expect(answer.status).toBe(400);
    expect(answer.body.error.details).toEqual([
      { path: 'policies.0.enforcementModeChange.at', message: expect.stringContaining('must lie in the future') },
    ]);
  });

  it('a file edited after the switch is written in the mode the switch reached', async () => {
    const name = 'edited-after-switch';
    h.now = new Date('2026-06-01T00:00:00Z');
    await applyFile(fileWith(name, { to: 'enforce', afterDays: 1 }));
    const created = await stored(name);
    h.now = new Date(created.enforcementModeChange.scheduledFor);
    await h.deliver({ policy: name, changeId: created.enforcementModeChange.id, to: 'enforce', scheduledFor: h.now.toISOString() });
    h.now = new Date('2026-06-10T00:00:00Z');
    const edited = { ...fileWith(name, { to: 'enforce', afterDays: 1 }) };
    edited.policies[0] = {
      ...edited.policies[0]!,
      controls: { blockContainerExec: { enabled: true, allowedProcesses: ['/bin/date'] } },
    } as never;
    expect(await applyFile(edited)).toBe('updated');
    expect(await stored(name)).toMatchObject({
      enforcementMode: 'enforce',
      enforcementModeChange: null,
      controls: { blockContainerExec: { allowedProcesses: ['/bin/date'] } },
    });
  });
});
