import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ConflictException, CreateScheduleCommand, DeleteScheduleCommand } from '@aws-sdk/client-scheduler';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it, vi } from 'vitest';
import { createModeChangeHandler } from '../../functions/mode-change/app.js';
import { lambdaContext } from '../support/events.js';
import { scheduleName } from '../../functions/shared/scheduling/EventBridgeModeChangeScheduler.js';
import { settings, useScheduling } from './scheduling-harness.js';

// functions/mode-change against DynamoDB Local, delivered exactly what the mocked Scheduler was given:
// at-least-once delivery applies a change once, obsolete deliveries change nothing, the sweep catches
// changes whose schedule was lost.

const h = useScheduling();
const sweepEvent = {
  version: '0',
  id: 'e1',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '111122223333',
  time: '2026-12-01T09:05:00Z',
  region: 'eu-west-1',
  resources: ['arn:aws:events:eu-west-1:111122223333:rule/vigil-sweep'],
  detail: {},
};

/** Creates an audit-mode policy switching to enforce at `at`, and returns it with the input its schedule carries. */
async function scheduled(name: string, at: string) {
  const created = await h.call('POST', '/v1/policies', {
    name,
    type: 'container',
    enforcementMode: 'audit',
    controls: { blockContainerExec: { enabled: true } },
    enforcementModeChange: { to: 'enforce', at },
  });
  expect(created.status).toBe(201);
  const input = h.scheduledInputs().find((i) => i.policy === name);
  expect(input).toBeDefined();
  return { policy: created.body, change: created.body.enforcementModeChange, input: input! };
}

const inAMinute = () => new Date(h.now.getTime() + 60_000).toISOString();

async function activityOf(name: string) {
  const { items } = await h.store.activity({ limit: 500 });
  return items.filter((entry) => entry.resource === `policy/${name}`);
}

describe('the mode-change handler', () => {
  it('applies a change delivered five times at once exactly once: one switch, one activity entry, one event', async () => {
    const { change, input } = await scheduled('dup', inAMinute());
    h.now = new Date(Date.parse(change.scheduledFor));
    const revision = await h.store.revision();
    const results = await Promise.all(Array.from({ length: 5 }, () => h.deliver(input)));

    expect(results.filter((r) => 'result' in r && r.result === 'applied')).toHaveLength(1);
    expect(results.filter((r) => 'result' in r && r.result === 'skipped').map((r) => ('reason' in r ? r.reason : ''))).toEqual([
      'not-pending',
      'not-pending',
      'not-pending',
      'not-pending',
    ]);
    const read = await h.call('GET', '/v1/policies/dup');
    expect(read.body).toMatchObject({
      enforcementMode: 'enforce',
      enforcementModeChange: null,
      version: 2,
      updatedBy: `schedule:${change.id}`,
    });
    expect(await h.store.revision()).toBe(revision + 1);

    const switches = (await activityOf('dup')).filter((entry) => entry.action === 'mode-change');
    expect(switches).toHaveLength(1);
    expect(switches[0]).toMatchObject({
      actor: `schedule:${change.id}`,
      before: { enforcementMode: 'audit', enforcementModeChange: change, version: 1 },
      after: { enforcementMode: 'enforce', enforcementModeChange: null, version: 2 },
    });
    expect(await h.store.dueModeChanges(new Date('2100-01-01T00:00:00Z'), 100)).not.toContainEqual(
      expect.objectContaining({ policy: 'dup' }),
    );

    const puts = h.bus.commandCalls(PutEventsCommand);
    expect(puts).toHaveLength(1);
    const entry = puts[0]!.args[0].input.Entries![0]!;
    expect(entry).toEqual({
      EventBusName: 'vigil-bus',
      Source: 'vigil',
      DetailType: 'Vigil Policy Mode Changed',
      Detail: expect.any(String),
    });
    expect(JSON.parse(entry.Detail!)).toEqual({
      policy: 'dup',
      from: 'audit',
      to: 'enforce',
      changeId: change.id,
      scheduledFor: change.scheduledFor,
      appliedAt: read.body.updatedAt,
      trigger: 'schedule',
    });

    // A redelivery much later is still a no-op.
    expect(await h.deliver(input)).toMatchObject({ trigger: 'schedule', result: 'skipped', reason: 'not-pending' });
    expect(h.bus.commandCalls(PutEventsCommand)).toHaveLength(1);
  });

  it('ignores the input of a change that was edited after scheduling, and applies the new schedule', async () => {
    const first = await scheduled('edited', inAMinute());
    h.scheduler.on(CreateScheduleCommand).rejects(new ConflictException({ message: 'exists', Message: 'exists', $metadata: {} }));
    const at = new Date(h.now.getTime() + 120_000).toISOString();
    const edited = await h.call('PUT', '/v1/policies/edited', { ...first.policy, enforcementModeChange: { to: 'enforce', at } });
    expect(edited.status).toBe(200);
    // Create (refused: the policy has a schedule), then Update: the schedule now carries the new change.
    expect(
      h.scheduler
        .calls()
        .map((call) => call.args[0].constructor.name)
        .slice(-2),
    ).toEqual(['CreateScheduleCommand', 'UpdateScheduleCommand']);
    const second = h.scheduledInputs().at(-1)!;
    expect(second).toEqual({
      policy: 'edited',
      changeId: edited.body.enforcementModeChange.id,
      to: 'enforce',
      scheduledFor: edited.body.enforcementModeChange.scheduledFor,
    });
    expect(second.changeId).not.toBe(first.input.changeId);

    h.now = new Date(at);
    expect(await h.deliver(first.input)).toMatchObject({ result: 'skipped', reason: 'superseded' });
    expect((await h.call('GET', '/v1/policies/edited')).body.enforcementMode).toBe('audit');
    expect(await h.deliver(second)).toMatchObject({ result: 'applied', from: 'audit', to: 'enforce', changeId: second.changeId });
    expect((await h.call('GET', '/v1/policies/edited')).body).toMatchObject({ enforcementMode: 'enforce', enforcementModeChange: null });
  });

  it('ignores a late delivery for a deleted policy, whose schedule was deleted with it', async () => {
    const { input } = await scheduled('gone', inAMinute());
    expect((await h.call('DELETE', '/v1/policies/gone')).status).toBe(204);
    expect(h.scheduler.commandCalls(DeleteScheduleCommand)[0]!.args[0].input).toEqual({
      Name: scheduleName('gone'),
      GroupName: settings.groupName,
    });
    h.now = new Date(Date.parse(input.scheduledFor) + 5_000);
    expect(await h.deliver(input)).toEqual({
      trigger: 'schedule',
      result: 'skipped',
      policy: 'gone',
      changeId: input.changeId,
      reason: 'policy-deleted',
    });
    expect(h.bus.calls()).toHaveLength(0);
  });

  it('ignores a cleared change and a delivery more than a minute early', async () => {
    const { policy, input } = await scheduled('early', new Date(h.now.getTime() + 10 * 60_000).toISOString());
    expect(await h.deliver(input)).toMatchObject({ result: 'skipped', reason: 'not-due' });
    // Within the Scheduler's one-minute precision it applies.
    h.now = new Date(Date.parse(input.scheduledFor) - 30_000);
    expect(await h.deliver(input)).toMatchObject({ result: 'applied' });

    const other = await scheduled('cleared', inAMinute());
    await h.call('PUT', '/v1/policies/cleared', { ...other.policy, enforcementModeChange: null });
    h.now = new Date(Date.parse(other.input.scheduledFor));
    expect(await h.deliver(other.input)).toMatchObject({ result: 'skipped', reason: 'not-pending' });
    expect((await h.call('GET', '/v1/policies/cleared')).body.enforcementMode).toBe('audit');
    expect(policy.name).toBe('early');
  });

  it('drops a malformed delivery with a log entry instead of failing into retries', async () => {
    const error = vi.spyOn(h.runtime.logger, 'error');
    expect(await h.deliver({ policy: 'x', changeId: 'c' })).toEqual({ trigger: 'none', result: 'dropped', reason: 'invalid-input' });
    expect(await h.deliver('not even an object')).toMatchObject({ result: 'dropped' });
    expect(error).toHaveBeenCalledWith('dropped a malformed mode-change delivery', expect.anything());
    error.mockRestore();
  });

  it('keeps an applied change when the event cannot be published, and says so', async () => {
    const { input } = await scheduled('unpublished', inAMinute());
    h.bus.on(PutEventsCommand).rejects(new Error('bus down'));
    h.now = new Date(input.scheduledFor);
    expect(await h.deliver(input)).toMatchObject({ result: 'applied', published: false });
    expect((await h.call('GET', '/v1/policies/unpublished')).body.enforcementMode).toBe('enforce');
  });
});

describe('the sweep', () => {
  it('applies changes overdue because their schedule was lost, reports them, and leaves the rest to their schedules', async () => {
    const start = h.now.getTime();
    const lost = await scheduled('lost', new Date(start + 60_000).toISOString());
    const recent = await scheduled('recent', new Date(start + 5 * 60_000).toISOString());
    const future = await scheduled('future', new Date(start + 60 * 60_000).toISOString());
    // Six minutes later: `lost` is five minutes overdue, `recent` one minute (its schedule may still fire).
    h.now = new Date(start + 6 * 60_000);
    const warn = vi.spyOn(h.runtime.logger, 'warn');
    const report = await h.deliver({ ...sweepEvent, time: h.now.toISOString() });

    expect(report).toMatchObject({ trigger: 'sweep', overdue: 1, skipped: [], failed: [] });
    expect('applied' in report && report.applied).toEqual([
      expect.objectContaining({ result: 'applied', policy: 'lost', changeId: lost.change.id }),
    ]);
    expect(warn).toHaveBeenCalledWith(
      'applied an overdue mode change whose schedule did not fire',
      expect.objectContaining({ policy: 'lost', trigger: 'sweep' }),
    );
    warn.mockRestore();
    expect(JSON.parse(h.bus.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!.Detail!)).toMatchObject({
      policy: 'lost',
      trigger: 'sweep',
      changeId: lost.change.id,
    });
    const switches = (await activityOf('lost')).filter((entry) => entry.action === 'mode-change');
    expect(switches).toEqual([expect.objectContaining({ actor: `schedule:${lost.change.id}` })]);

    for (const name of ['recent', 'future']) expect((await h.call('GET', `/v1/policies/${name}`)).body.enforcementMode).toBe('audit');
    // The lost schedule's late delivery (if it ever comes) is a no-op.
    expect(await h.deliver(lost.input)).toMatchObject({ result: 'skipped', reason: 'not-pending' });
    // A sweep with nothing overdue does nothing.
    expect(await h.deliver(sweepEvent)).toMatchObject({ trigger: 'sweep', overdue: 0 });
    expect(recent.change.id).not.toBe(future.change.id);
  });
});

describe('metrics', () => {
  /** The EMF documents the handler printed while `run` ran (Powertools writes them to stdout). */
  async function emfDuring(run: () => Promise<unknown>): Promise<any[]> {
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      await run();
    } finally {
      write.mockRestore();
    }
    return lines
      .flatMap((line) => line.split('\n'))
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line));
  }

  it('count changes applied by schedule and by the sweep (schedules that did not fire), and print nothing when nothing happened', async () => {
    const handler = createModeChangeHandler(h.runtime, { metrics: new Metrics({ namespace: 'Vigil', serviceName: 'vigil' }) });
    const deliver = (event: unknown) => handler(event, lambdaContext('vigil-mode-change'));
    const start = h.now.getTime();
    const onTime = await scheduled('metrics-on-time', new Date(start + 60_000).toISOString());
    const lost = await scheduled('metrics-lost', new Date(start + 2 * 60_000).toISOString());

    h.now = new Date(Date.parse(onTime.change.scheduledFor));
    const bySchedule = await emfDuring(() => deliver(onTime.input));
    expect(bySchedule).toEqual([
      expect.objectContaining({
        _aws: {
          Timestamp: expect.any(Number),
          CloudWatchMetrics: [
            { Namespace: 'Vigil', Dimensions: [['service', 'trigger']], Metrics: [{ Name: 'ModeChangesApplied', Unit: 'Count' }] },
          ],
        },
        service: 'vigil',
        trigger: 'schedule',
        ModeChangesApplied: 1,
      }),
    ]);
    // A redelivery applies nothing and counts nothing.
    expect(await emfDuring(() => deliver(onTime.input))).toEqual([]);

    // Earlier tests of this file left changes behind that are overdue by now as well: the metric counts them all.
    h.now = new Date(start + 10 * 60_000);
    let report: any;
    const bySweep = await emfDuring(async () => (report = await deliver({ ...sweepEvent, time: h.now.toISOString() })));
    expect(report.applied).toContainEqual(expect.objectContaining({ policy: lost.input.policy, result: 'applied' }));
    expect(report.failed).toEqual([]);
    expect(bySweep).toEqual([expect.objectContaining({ trigger: 'sweep', ModeChangesApplied: report.applied.length })]);
    expect(bySweep[0].ModeChangesFailed).toBeUndefined();

    // The next sweep finds nothing: no metric, so an idle installation pays for no custom metric.
    expect(await emfDuring(() => deliver(sweepEvent))).toEqual([]);
  });
});
