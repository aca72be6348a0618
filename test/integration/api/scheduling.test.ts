import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  InternalServerException,
  ThrottlingException,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { describe, expect, it } from 'vitest';
import { DependencyError } from '../../../functions/shared/errors.js';
import { scheduleName } from '../../../functions/shared/scheduling/EventBridgeModeChangeScheduler.js';
import { settings, useScheduling } from '../scheduling-harness.js';

// Saves that set, change or clear an enforcement-mode change, with EventBridge Scheduler mocked: the exact
// schedule each makes, and what a failure on either side leaves behind (nothing, or policy and schedule agreeing).

const h = useScheduling();
const fault = <T>(Type: new (options: never) => T): T => new Type({ message: 'simulated', Message: 'simulated', $metadata: {} } as never);
const policy = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  type: 'container',
  controls: { blockContainerExec: { enabled: true } },
  ...extra,
});

/** The full CreateSchedule input the Scheduler must get for a change. */
function expectedSchedule(name: string, change: { id: string; to: string; scheduledFor: string }, at: string) {
  return {
    Name: scheduleName(name),
    GroupName: settings.groupName,
    Description: `Switches Vigil policy "${name}" to ${change.to} mode`,
    ScheduleExpression: `at(${at})`,
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    ActionAfterCompletion: 'DELETE',
    State: 'ENABLED',
    Target: {
      Arn: settings.functionArn,
      RoleArn: settings.roleArn,
      Input: JSON.stringify({ policy: name, changeId: change.id, to: change.to, scheduledFor: change.scheduledFor }),
      RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
      DeadLetterConfig: { Arn: settings.deadLetterArn },
    },
  };
}

async function pendingItems() {
  return h.store.dueModeChanges(new Date('2100-01-01T00:00:00Z'), 100);
}

describe('saving a policy with an enforcement-mode change', () => {
  it('resolves afterDays from the save time and creates a one-time schedule for that instant', async () => {
    h.now = new Date('2026-03-01T10:00:00.250Z');
    const created = await h.call('POST', '/v1/policies', policy('after-days', { enforcementModeChange: { to: 'enforce', afterDays: 3 } }));
    expect(created.status).toBe(201);
    const change = created.body.enforcementModeChange;
    expect(change).toEqual({
      to: 'enforce',
      afterDays: 3,
      scheduledFor: '2026-03-04T10:00:00.250Z',
      state: 'pending',
      id: expect.any(String),
    });
    expect(h.scheduler.commandCalls(CreateScheduleCommand)).toHaveLength(1);
    expect(h.scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input).toEqual(
      expectedSchedule('after-days', change, '2026-03-04T10:00:01'),
    );
    expect((await pendingItems()).filter((p) => p.policy === 'after-days')).toEqual([
      { policy: 'after-days', changeId: change.id, to: 'enforce', scheduledFor: '2026-03-04T10:00:00.250Z' },
    ]);
  });

  it('creates the schedule for an `at` instant as given', async () => {
    const created = await h.call(
      'POST',
      '/v1/policies',
      policy('at-instant', { enforcementModeChange: { to: 'enforce', at: '2030-12-01T09:00:00Z' } }),
    );
    expect(created.status).toBe(201);
    const change = created.body.enforcementModeChange;
    expect(change.scheduledFor).toBe('2030-12-01T09:00:00.000Z');
    expect(h.scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input).toEqual(
      expectedSchedule('at-instant', change, '2030-12-01T09:00:00'),
    );
  });

  it('refuses an `at` in the past with 400 and touches no schedule', async () => {
    const response = await h.call(
      'POST',
      '/v1/policies',
      policy('too-late', { enforcementModeChange: { to: 'enforce', at: '2020-01-01T00:00:00Z' } }),
    );
    expect(response).toMatchObject({
      status: 400,
      body: { error: { code: 'validation_failed', details: [{ path: 'enforcementModeChange.at' }] } },
    });
    const edited = await h.call('POST', '/v1/policies', policy('too-late'));
    expect(edited.status).toBe(201);
    const put = await h.call('PUT', '/v1/policies/too-late', {
      ...edited.body,
      enforcementModeChange: { to: 'enforce', at: new Date(h.now.getTime() - 1000).toISOString() },
    });
    expect(put.status).toBe(400);
    expect(h.scheduler.calls()).toHaveLength(0);
  });

  it('makes no Scheduler call for a policy without a change, nor for an edit that keeps the pending change', async () => {
    const plain = await h.call('POST', '/v1/policies', policy('plain'));
    expect(plain.status).toBe(201);
    const created = await h.call('POST', '/v1/policies', policy('kept', { enforcementModeChange: { to: 'enforce', afterDays: 3 } }));
    h.scheduler.resetHistory();
    const edited = await h.call('PUT', '/v1/policies/kept', { ...created.body, description: 'edited' });
    expect(edited.status).toBe(200);
    expect(edited.body.enforcementModeChange).toEqual(created.body.enforcementModeChange);
    expect(h.scheduler.calls()).toHaveLength(0);
  });

  it('replaces the schedule when the change is edited, and deletes it when the change is cleared', async () => {
    const created = await h.call('POST', '/v1/policies', policy('edited', { enforcementModeChange: { to: 'enforce', afterDays: 3 } }));
    h.scheduler.resetHistory();
    h.scheduler.on(CreateScheduleCommand).rejects(fault(ConflictException));
    const replaced = await h.call('PUT', '/v1/policies/edited', {
      ...created.body,
      enforcementModeChange: { to: 'enforce', at: '2031-01-02T03:04:05Z' },
    });
    expect(replaced.status).toBe(200);
    const change = replaced.body.enforcementModeChange;
    expect(change.id).not.toBe(created.body.enforcementModeChange.id);
    expect(h.scheduler.commandCalls(UpdateScheduleCommand)[0]!.args[0].input).toEqual(
      expectedSchedule('edited', change, '2031-01-02T03:04:05'),
    );
    expect((await pendingItems()).filter((p) => p.policy === 'edited')).toEqual([
      { policy: 'edited', changeId: change.id, to: 'enforce', scheduledFor: '2031-01-02T03:04:05.000Z' },
    ]);

    h.scheduler.resetHistory();
    const cleared = await h.call('PUT', '/v1/policies/edited', { ...replaced.body, enforcementModeChange: null });
    expect(cleared.status).toBe(200);
    expect(h.scheduler.calls().map((call) => call.args[0].input)).toEqual([
      { Name: scheduleName('edited'), GroupName: settings.groupName },
    ]);
    expect(h.scheduler.commandCalls(DeleteScheduleCommand)).toHaveLength(1);
    expect((await pendingItems()).filter((p) => p.policy === 'edited')).toEqual([]);
  });

  it('deletes the schedule with the policy, and its pending change with it', async () => {
    await h.call('POST', '/v1/policies', policy('deleted', { enforcementModeChange: { to: 'enforce', afterDays: 1 } }));
    h.scheduler.resetHistory();
    expect((await h.call('DELETE', '/v1/policies/deleted')).status).toBe(204);
    expect(h.scheduler.commandCalls(DeleteScheduleCommand)[0]!.args[0].input).toEqual({
      Name: scheduleName('deleted'),
      GroupName: settings.groupName,
    });
    expect(h.scheduler.calls()).toHaveLength(1);
    expect((await pendingItems()).filter((p) => p.policy === 'deleted')).toEqual([]);
    // A policy without a pending change is deleted without asking the Scheduler.
    await h.call('POST', '/v1/policies', policy('deleted-plain'));
    h.scheduler.resetHistory();
    expect((await h.call('DELETE', '/v1/policies/deleted-plain')).status).toBe(204);
    expect(h.scheduler.calls()).toHaveLength(0);
  });
});

describe('when the Scheduler fails', () => {
  it('answers 503 and creates nothing', async () => {
    h.scheduler.on(CreateScheduleCommand).rejects(fault(InternalServerException));
    const response = await h.call('POST', '/v1/policies', policy('never-made', { enforcementModeChange: { to: 'enforce', afterDays: 3 } }));
    expect(response).toMatchObject({ status: 503, body: { error: { code: 'unavailable' } } });
    expect(JSON.stringify(response.body)).not.toContain('simulated');
    expect((await h.call('GET', '/v1/policies/never-made')).status).toBe(404);
    expect((await pendingItems()).filter((p) => p.policy === 'never-made')).toEqual([]);
  });

  it('answers 503 and keeps the policy as it was when the change is edited', async () => {
    const created = await h.call('POST', '/v1/policies', policy('kept-as-is', { enforcementModeChange: { to: 'enforce', afterDays: 3 } }));
    const revision = await h.store.revision();
    h.scheduler.on(CreateScheduleCommand).rejects(fault(ConflictException)).on(UpdateScheduleCommand).rejects(fault(ThrottlingException));
    const response = await h.call('PUT', '/v1/policies/kept-as-is', {
      ...created.body,
      enforcementModeChange: { to: 'enforce', afterDays: 7 },
    });
    expect(response).toMatchObject({ status: 503, body: { error: { code: 'unavailable' } } });
    const read = await h.call('GET', '/v1/policies/kept-as-is');
    expect(read.body).toMatchObject({ version: 1, enforcementModeChange: created.body.enforcementModeChange });
    expect(await h.store.revision()).toBe(revision);
  });

  it('answers 503 and keeps the policy when its schedule cannot be deleted', async () => {
    await h.call('POST', '/v1/policies', policy('undeletable', { enforcementModeChange: { to: 'enforce', afterDays: 3 } }));
    h.scheduler.on(DeleteScheduleCommand).rejects(fault(InternalServerException));
    expect((await h.call('DELETE', '/v1/policies/undeletable')).status).toBe(503);
    expect((await h.call('GET', '/v1/policies/undeletable')).status).toBe(200);
    expect((await pendingItems()).filter((p) => p.policy === 'undeletable')).toHaveLength(1);
  });
});

describe('when the DynamoDB write fails after the schedule was made', () => {
  it('deletes the schedule it just created', async () => {
    h.store.beforeNextApply = () => Promise.reject(new DependencyError('storage is unavailable'));
    const response = await h.call(
      'POST',
      '/v1/policies',
      policy('write-fails', { enforcementModeChange: { to: 'enforce', afterDays: 3 } }),
    );
    expect(response.status).toBe(503);
    expect(h.scheduler.calls().map((call) => call.args[0].constructor.name)).toEqual(['CreateScheduleCommand', 'DeleteScheduleCommand']);
    expect(h.scheduler.commandCalls(DeleteScheduleCommand)[0]!.args[0].input).toEqual({
      Name: scheduleName('write-fails'),
      GroupName: settings.groupName,
    });
    expect((await h.call('GET', '/v1/policies/write-fails')).status).toBe(404);
  });

  it('sets the schedule back to the change of the writer that won a race (conditional write failed)', async () => {
    const created = await h.call('POST', '/v1/policies', policy('contended', { enforcementModeChange: { to: 'enforce', afterDays: 3 } }));
    const winnerChange = created.body.enforcementModeChange;
    // Another administrator edits the description (keeping the pending change) between our read and our write.
    h.store.beforeNextApply = async () => {
      const current = await h.store.get('policy', 'contended');
      await h.store.apply(
        [
          {
            op: 'replace',
            kind: 'policy',
            name: 'contended',
            doc: { ...current!, description: 'the other edit' },
            expectedVersion: current!.version,
          },
        ],
        'someone-else',
      );
    };
    h.scheduler.resetHistory();
    // With If-Match the lost race is the client's 412 (without it, the server would read again and retry).
    const response = await h.call(
      'PUT',
      '/v1/policies/contended',
      { ...created.body, enforcementModeChange: { to: 'enforce', afterDays: 10 } },
      { 'if-match': `"${created.body.version}"` },
    );
    expect(response.status).toBe(412);
    const inputs = h.scheduledInputs();
    expect(inputs).toHaveLength(2);
    expect(inputs[0]!.changeId).not.toBe(winnerChange.id);
    // The last word is the stored change's: policy and schedule agree again.
    expect(inputs[1]).toEqual({ policy: 'contended', changeId: winnerChange.id, to: 'enforce', scheduledFor: winnerChange.scheduledFor });
    expect((await h.call('GET', '/v1/policies/contended')).body).toMatchObject({
      version: 2,
      description: 'the other edit',
      enforcementModeChange: winnerChange,
    });
  });

  it('re-creates the schedule of a policy whose delete failed', async () => {
    const created = await h.call(
      'POST',
      '/v1/policies',
      policy('delete-fails', { enforcementModeChange: { to: 'enforce', afterDays: 3 } }),
    );
    h.store.beforeNextApply = () => Promise.reject(new DependencyError('storage is unavailable'));
    h.scheduler.resetHistory();
    expect((await h.call('DELETE', '/v1/policies/delete-fails')).status).toBe(503);
    expect(h.scheduler.calls().map((call) => call.args[0].constructor.name)).toEqual(['DeleteScheduleCommand', 'CreateScheduleCommand']);
    const change = created.body.enforcementModeChange;
    expect(h.scheduledInputs()).toEqual([
      { policy: 'delete-fails', changeId: change.id, to: 'enforce', scheduledFor: change.scheduledFor },
    ]);
  });
});

describe('importing policies with changes', () => {
  const document = (suffix: string, changes: Array<Record<string, unknown> | undefined>) => ({
    formatVersion: 1,
    policies: changes.map((change, i) => ({ ...policy(`import-${suffix}-${i}`), ...(change ? { enforcementModeChange: change } : {}) })),
  });

  it('schedules each change it writes, and nothing on a dry run', async () => {
    const doc = document('ok', [{ to: 'enforce', afterDays: 2 }, undefined, { to: 'enforce', at: '2032-05-06T07:08:09Z' }]);
    const dry = await h.call('POST', '/v1/import?dryRun=true', doc);
    expect(dry.body.dryRun).toBe(true);
    expect(h.scheduler.calls()).toHaveLength(0);
    const imported = await h.call('POST', '/v1/import', doc);
    expect(imported.status).toBe(200);
    const stored = await Promise.all(
      [0, 2].map(async (i) => (await h.call('GET', `/v1/policies/import-ok-${i}`)).body.enforcementModeChange),
    );
    expect(h.scheduledInputs().sort((a, b) => a.policy.localeCompare(b.policy))).toEqual(
      stored.map((change, j) => ({ policy: `import-ok-${j * 2}`, changeId: change.id, to: 'enforce', scheduledFor: change.scheduledFor })),
    );
  });

  it('writes nothing and sets back the schedules it made when one schedule fails', async () => {
    h.scheduler.on(CreateScheduleCommand).resolvesOnce({ ScheduleArn: 'arn:first' }).rejects(fault(InternalServerException));
    const response = await h.call(
      'POST',
      '/v1/import',
      document('fails', [
        { to: 'enforce', afterDays: 2 },
        { to: 'enforce', afterDays: 3 },
      ]),
    );
    expect(response.status).toBe(503);
    for (const i of [0, 1]) expect((await h.call('GET', `/v1/policies/import-fails-${i}`)).status).toBe(404);
    expect(
      h.scheduler
        .commandCalls(DeleteScheduleCommand)
        .map((call) => call.args[0].input.Name)
        .sort(),
    ).toEqual([scheduleName('import-fails-0'), scheduleName('import-fails-1')].sort());
  });
});
