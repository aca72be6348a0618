import { createHash } from 'node:crypto';
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { DependencyError } from '../errors.js';
import { modeChangeInput, type ModeChangeScheduler, type ScheduledChange } from './ports.js';

/** Where one-time schedules go and what they invoke; the CDK stack provisions all of it. */
export interface ScheduleTargetSettings {
  /** The installation's schedule group (env `VIGIL_SCHEDULE_GROUP`). */
  readonly groupName: string;
  /** ARN of the mode-change function (env `VIGIL_MODE_CHANGE_FUNCTION_ARN`). */
  readonly functionArn: string;
  /** The role EventBridge Scheduler assumes to invoke it (env `VIGIL_SCHEDULER_ROLE_ARN`). */
  readonly roleArn: string;
  /** SQS queue that receives deliveries which failed every retry (env `VIGIL_SCHEDULER_DLQ_ARN`). */
  readonly deadLetterArn?: string | undefined;
}

/** A delivery is retried for a day (the Scheduler's maximum); the sweep catches what still fails. */
const RETRY_POLICY = { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 } as const;
/** Create → Conflict → Update → NotFound (the old schedule just completed and deleted itself) → Create. */
const SCHEDULE_ATTEMPTS = 3;

/**
 * The schedule name of a policy: deterministic, so that a save replaces the policy's schedule and a delete
 * finds it. Policy names may hold spaces and reach 128 characters, schedule names only `[0-9A-Za-z-_.]`
 * up to 64: hence a hash.
 */
export function scheduleName(policy: string): string {
  return `vigil-mode-${createHash('sha256').update(policy, 'utf8').digest('hex').slice(0, 40)}`;
}

/** The `at()` expression of an instant, in UTC, rounded up to the whole second so that it never fires early. */
export function atExpression(instant: string): string {
  const time = Date.parse(instant);
  if (Number.isNaN(time)) throw new RangeError(`not an instant: ${instant}`);
  return `at(${new Date(Math.ceil(time / 1000) * 1000).toISOString().slice(0, 19)})`;
}

function schedulerError(cause: unknown): DependencyError {
  return new DependencyError('the scheduler is unavailable; nothing was changed', [], { cause });
}

/** One-time EventBridge Scheduler schedules that delete themselves after firing (made at run time: CDK cannot set that). */
export class EventBridgeModeChangeScheduler implements ModeChangeScheduler {
  constructor(
    private readonly client: SchedulerClient,
    private readonly settings: ScheduleTargetSettings,
  ) {}

  /** The CreateSchedule (and UpdateSchedule) input for a change. */
  scheduleInput(policy: string, change: ScheduledChange): CreateScheduleCommandInput {
    return {
      Name: scheduleName(policy),
      GroupName: this.settings.groupName,
      Description: `Switches Vigil policy "${policy}" to ${change.to} mode`,
      ScheduleExpression: atExpression(change.scheduledFor),
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      State: 'ENABLED',
      Target: {
        Arn: this.settings.functionArn,
        RoleArn: this.settings.roleArn,
        Input: JSON.stringify(modeChangeInput(policy, change)),
        RetryPolicy: { ...RETRY_POLICY },
        ...(this.settings.deadLetterArn ? { DeadLetterConfig: { Arn: this.settings.deadLetterArn } } : {}),
      },
    };
  }

  /** Creates the policy's schedule, or replaces the one it has. */
  async schedule(policy: string, change: ScheduledChange): Promise<void> {
    const input = this.scheduleInput(policy, change);
    let create = true;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(create ? new CreateScheduleCommand(input) : new UpdateScheduleCommand(input));
        return;
      } catch (error) {
        const retryable = create ? error instanceof ConflictException : error instanceof ResourceNotFoundException;
        if (!retryable || attempt >= SCHEDULE_ATTEMPTS) throw schedulerError(error);
        create = !create;
      }
    }
  }

  /** Deletes the policy's schedule; one that already fired (and deleted itself) or never existed is fine. */
  async cancel(policy: string): Promise<void> {
    try {
      await this.client.send(new DeleteScheduleCommand({ Name: scheduleName(policy), GroupName: this.settings.groupName }));
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return;
      throw schedulerError(error);
    }
  }
}
