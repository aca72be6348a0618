import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  InternalServerException,
  ResourceNotFoundException,
  SchedulerClient,
  ThrottlingException,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DependencyError } from '../../functions/shared/errors.js';
import { Logger } from '@aws-lambda-powertools/logger';
import { clusterValidation, modeChangeScheduling } from '../../functions/shared/aws-adapters.js';
import { eventPublishing } from '../../functions/shared/event-publishing.js';
import { createRuntime } from '../../functions/shared/runtime.js';
import { runtimeConfigFromEnv } from '../../functions/shared/runtime-config.js';
import { EventBridgePublisher } from '../../functions/shared/events/EventBridgePublisher.js';
import {
  atExpression,
  EventBridgeModeChangeScheduler,
  scheduleName,
} from '../../functions/shared/scheduling/EventBridgeModeChangeScheduler.js';
import { LocalScheduler } from '../../functions/shared/scheduling/LocalScheduler.js';
import type { ModeChangeInput } from '../../functions/shared/scheduling/ports.js';
import type { PendingModeChange } from '../../functions/shared/storage/ports.js';

const settings = {
  groupName: 'vigil-prod',
  functionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:vigil-mode-change',
  roleArn: 'arn:aws:iam::111122223333:role/vigil-scheduler',
  deadLetterArn: 'arn:aws:sqs:eu-west-1:111122223333:vigil-scheduler-dlq',
};
const change = { id: 'c0ffee00-0000-4000-8000-000000000001', to: 'enforce' as const, scheduledFor: '2026-12-01T09:00:00.000Z' };
/** An SDK exception as the client would throw it (the constructors want service-specific fields; none matter here). */
const fault = <T>(Type: new (options: never) => T, message = 'simulated'): T =>
  new Type({ message, Message: message, $metadata: {} } as never);

describe('scheduleName', () => {
  it('is deterministic per policy and fits the Scheduler name rules, whatever the policy name', () => {
    for (const policy of ['exec-guard', 'a name with spaces', 'x'.repeat(128), 'Ünïcode ☃']) {
      const name = scheduleName(policy);
      expect(name).toMatch(/^[0-9a-zA-Z._-]{1,64}$/);
      expect(scheduleName(policy)).toBe(name);
    }
    expect(scheduleName('a')).not.toBe(scheduleName('b'));
  });
});

describe('atExpression', () => {
  it('writes the instant in UTC without zone, rounded up to the second so that it never fires early', () => {
    expect(atExpression('2026-12-01T09:00:00Z')).toBe('at(2026-12-01T09:00:00)');
    expect(atExpression('2026-12-01T09:00:00.001Z')).toBe('at(2026-12-01T09:00:01)');
    expect(atExpression('2026-12-01T10:00:00+01:00')).toBe('at(2026-12-01T09:00:00)');
    expect(() => atExpression('soon')).toThrow(RangeError);
  });
});

describe('EventBridgeModeChangeScheduler', () => {
  const scheduler = mockClient(SchedulerClient);
  const adapter = new EventBridgeModeChangeScheduler(
    new SchedulerClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
    settings,
  );
  const expected = {
    Name: scheduleName('exec guard'),
    GroupName: 'vigil-prod',
    Description: 'Switches Vigil policy "exec guard" to enforce mode',
    ScheduleExpression: 'at(2026-12-01T09:00:00)',
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    ActionAfterCompletion: 'DELETE',
    State: 'ENABLED',
    Target: {
      Arn: settings.functionArn,
      RoleArn: settings.roleArn,
      Input: JSON.stringify({ policy: 'exec guard', changeId: change.id, to: 'enforce', scheduledFor: '2026-12-01T09:00:00.000Z' }),
      RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
      DeadLetterConfig: { Arn: settings.deadLetterArn },
    },
  };
  beforeEach(() => scheduler.reset());
  afterEach(() => scheduler.reset());

  it('creates a one-time, self-deleting schedule in UTC with no flexible window, targeting the mode-change function', async () => {
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:schedule' });
    await adapter.schedule('exec guard', change);
    expect(scheduler.commandCalls(CreateScheduleCommand)).toHaveLength(1);
    expect(scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input).toEqual(expected);
    expect(scheduler.calls()).toHaveLength(1);
  });

  it('replaces the schedule the policy already has with the same definition', async () => {
    scheduler
      .on(CreateScheduleCommand)
      .rejects(fault(ConflictException))
      .on(UpdateScheduleCommand)
      .resolves({ ScheduleArn: 'arn:schedule' });
    await adapter.schedule('exec guard', change);
    expect(scheduler.commandCalls(UpdateScheduleCommand)[0]!.args[0].input).toEqual(expected);
  });

  it('creates again when the schedule it meant to replace deleted itself in between', async () => {
    scheduler
      .on(CreateScheduleCommand)
      .rejectsOnce(fault(ConflictException))
      .resolves({ ScheduleArn: 'arn:schedule' })
      .on(UpdateScheduleCommand)
      .rejects(fault(ResourceNotFoundException));
    await adapter.schedule('exec guard', change);
    expect(scheduler.calls().map((call) => call.args[0].constructor.name)).toEqual([
      'CreateScheduleCommand',
      'UpdateScheduleCommand',
      'CreateScheduleCommand',
    ]);
  });

  it('leaves out the dead-letter queue when none is configured', async () => {
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:schedule' });
    const { deadLetterArn: _dlq, ...withoutDlq } = settings;
    await new EventBridgeModeChangeScheduler(
      new SchedulerClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
      withoutDlq,
    ).schedule('exec guard', change);
    expect(scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input.Target).not.toHaveProperty('DeadLetterConfig');
  });

  it('deletes the schedule by name in the group, and a schedule already gone is fine', async () => {
    scheduler.on(DeleteScheduleCommand).resolvesOnce({}).rejects(fault(ResourceNotFoundException));
    await adapter.cancel('exec guard');
    await adapter.cancel('exec guard');
    expect(scheduler.commandCalls(DeleteScheduleCommand).map((call) => call.args[0].input)).toEqual([
      { Name: scheduleName('exec guard'), GroupName: 'vigil-prod' },
      { Name: scheduleName('exec guard'), GroupName: 'vigil-prod' },
    ]);
  });

  it('turns Scheduler failures into 503 unavailable errors that keep the cause', async () => {
    scheduler
      .on(CreateScheduleCommand)
      .rejects(fault(InternalServerException))
      .on(DeleteScheduleCommand)
      .rejects(fault(ThrottlingException));
    const scheduleFailure = await adapter.schedule('exec guard', change).catch((error: unknown) => error);
    expect(scheduleFailure).toBeInstanceOf(DependencyError);
    expect(scheduleFailure).toMatchObject({ status: 503, code: 'unavailable' });
    expect((scheduleFailure as Error).cause).toBeInstanceOf(InternalServerException);
    await expect(adapter.cancel('exec guard')).rejects.toBeInstanceOf(DependencyError);
  });
});

describe('EventBridgePublisher', () => {
  const bus = mockClient(EventBridgeClient);
  const publisher = new EventBridgePublisher(
    new EventBridgeClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
    'vigil-events',
  );
  const detail = {
    policy: 'p',
    from: 'audit',
    to: 'enforce',
    changeId: 'c1',
    scheduledFor: '2026-12-01T09:00:00.000Z',
    appliedAt: '2026-12-01T09:00:00.120Z',
    trigger: 'schedule',
  };
  beforeEach(() => bus.reset());
  afterEach(() => bus.reset());

  it('puts one event on the configured bus with source vigil', async () => {
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
    await publisher.publish('Vigil Policy Mode Changed', detail);
    expect(bus.commandCalls(PutEventsCommand)[0]!.args[0].input).toEqual({
      Entries: [{ EventBusName: 'vigil-events', Source: 'vigil', DetailType: 'Vigil Policy Mode Changed', Detail: JSON.stringify(detail) }],
    });
  });

  it('fails when the bus refuses the entry, although PutEvents answered', async () => {
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try later' }] });
    await expect(publisher.publish('Vigil Policy Mode Changed', detail)).rejects.toThrow(/InternalFailure/);
  });
});

describe('LocalScheduler', () => {
  const pending = (policy: string, scheduledFor: string): PendingModeChange => ({
    policy,
    changeId: `id-${policy}`,
    to: 'enforce',
    scheduledFor,
  });

  it('delivers each due change with the input a schedule carries, and retries a failing one only after a backoff', async () => {
    let now = Date.parse('2026-12-01T09:00:00.000Z');
    const items = [pending('a', '2026-12-01T08:59:59.000Z'), pending('b', '2026-12-01T09:00:00.000Z')];
    const delivered: ModeChangeInput[] = [];
    let failB = true;
    const local = new LocalScheduler({
      store: { dueModeChanges: (until) => Promise.resolve(items.filter((item) => Date.parse(item.scheduledFor) <= until.getTime())) },
      invoke: (input) => {
        if (input.policy === 'b' && failB) return Promise.reject(new Error('storage is unavailable'));
        delivered.push(input);
        return Promise.resolve();
      },
      logger: { error: () => undefined },
      pollMs: 1000,
      clock: () => new Date(now),
    });
    expect(await local.runDue()).toBe(1);
    expect(delivered).toEqual([{ policy: 'a', changeId: 'id-a', to: 'enforce', scheduledFor: '2026-12-01T08:59:59.000Z' }]);
    failB = false;
    // Still backing off: b is not tried again yet.
    now += 500;
    expect(await local.runDue()).toBe(1);
    expect(delivered.map((d) => d.policy)).toEqual(['a', 'a']);
    now += 5_000;
    await local.runDue();
    expect(delivered.map((d) => d.policy)).toEqual(['a', 'a', 'a', 'b']);
  });

  it('wakes up at the time of a change it saw coming rather than a whole poll interval later', async () => {
    // vitest's fake clock drives both the scheduler's timer and its default clock: time moves only when told to.
    vi.useFakeTimers({ now: Date.parse('2026-12-01T09:00:00.000Z'), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const dueAt = Date.now() + 300;
    const items = [pending('soon', new Date(dueAt).toISOString())];
    let deliveredAt: number | undefined;
    const local = new LocalScheduler({
      store: { dueModeChanges: (until) => Promise.resolve(items.filter((item) => Date.parse(item.scheduledFor) <= until.getTime())) },
      invoke: () => {
        deliveredAt ??= Date.now();
        items.length = 0;
        return Promise.resolve();
      },
      logger: { error: () => undefined },
      pollMs: 1000,
    });
    try {
      local.start();
      await vi.advanceTimersByTimeAsync(299);
      expect(deliveredAt).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      await local.stop();
      expect(deliveredAt).toBe(dueAt);
    } finally {
      await local.stop();
      vi.useRealTimers();
    }
  });
});

describe('the composition root', () => {
  const env = {
    VIGIL_TABLE_PREFIX: 'vigil-',
    AWS_REGION: 'eu-west-1',
    VIGIL_SCHEDULE_GROUP: settings.groupName,
    VIGIL_MODE_CHANGE_FUNCTION_ARN: settings.functionArn,
    VIGIL_SCHEDULER_ROLE_ARN: settings.roleArn,
    VIGIL_SCHEDULER_DLQ_ARN: settings.deadLetterArn,
    VIGIL_EVENT_BUS_NAME: 'vigil-events',
  };

  it('reads the Scheduler target and the event bus from the environment', () => {
    expect(runtimeConfigFromEnv(env)).toMatchObject({ scheduling: settings, eventBusName: 'vigil-events' });
    const { VIGIL_SCHEDULER_ROLE_ARN: _role, VIGIL_SCHEDULER_DLQ_ARN: _dlq, VIGIL_EVENT_BUS_NAME: _bus, ...partial } = env;
    expect(runtimeConfigFromEnv(partial)).toMatchObject({ scheduling: undefined, eventBusName: undefined });
  });

  it('names the mode: the Lambda environment is AWS (IAM admin auth), local mode authenticates admins by token', () => {
    const aws = runtimeConfigFromEnv(env);
    expect(aws.mode).toBe('aws');
    expect(createRuntime(aws).adminAuth).toEqual({ mode: 'iam' });
    const local = createRuntime({ mode: 'local', tablePrefix: 'vigil-', adminToken: 'local-admin-token-0123456789' });
    expect(local.adminAuth).toMatchObject({ mode: 'token', actor: 'local-admin' });
    expect(JSON.stringify(local.adminAuth)).not.toContain('local-admin-token-0123456789');
  });

  it('wires EventBridge Scheduler and the event bus in AWS', async () => {
    const scheduler = mockClient(SchedulerClient);
    const bus = mockClient(EventBridgeClient);
    try {
      scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:schedule' });
      bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
      const config = runtimeConfigFromEnv(env);
      const runtime = {
        modeChangeScheduler: modeChangeScheduling(config),
        events: eventPublishing(config, new Logger({ serviceName: 'vigil-test' })),
      };
      await runtime.modeChangeScheduler.schedule('p', change);
      expect(scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input).toMatchObject({
        Name: scheduleName('p'),
        GroupName: settings.groupName,
        Target: { Arn: settings.functionArn, RoleArn: settings.roleArn },
      });
      await runtime.events.publish('Vigil Policy Mode Changed', { policy: 'p' });
      expect(bus.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries).toEqual([
        { EventBusName: 'vigil-events', Source: 'vigil', DetailType: 'Vigil Policy Mode Changed', Detail: '{"policy":"p"}' },
      ]);
    } finally {
      scheduler.restore();
      bus.restore();
    }
  });

  it('refuses to schedule without Scheduler settings, and never calls AWS in local mode', async () => {
    const { VIGIL_SCHEDULE_GROUP: _group, ...unconfigured } = env;
    const aws = modeChangeScheduling(runtimeConfigFromEnv(unconfigured));
    await expect(aws.schedule('p', change)).rejects.toMatchObject({ status: 503, code: 'unavailable' });
    await expect(aws.cancel('p')).resolves.toBeUndefined();
    // A function given no scheduler (all but the admin API) refuses in the same way.
    const unwired = createRuntime(runtimeConfigFromEnv(env));
    await expect(unwired.modeChangeScheduler.schedule('p', change)).rejects.toMatchObject({ status: 503, code: 'unavailable' });

    const scheduler = mockClient(SchedulerClient);
    try {
      const localConfig = {
        mode: 'local' as const,
        tablePrefix: 'vigil-',
        adminToken: 'local-admin-token-0123456789',
        scheduling: settings,
      };
      for (const local of [modeChangeScheduling(localConfig), createRuntime(localConfig).modeChangeScheduler]) {
        await local.schedule('p', change);
        await local.cancel('p');
      }
      expect(scheduler.calls()).toHaveLength(0);
      await expect(clusterValidation(localConfig)('arn:aws:eks:eu-west-1:123456789012:cluster/prod')).rejects.toMatchObject({
        status: 400,
      });
    } finally {
      scheduler.restore();
    }
  });
});
