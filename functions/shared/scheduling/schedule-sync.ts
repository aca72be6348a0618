import type { Logger } from '@aws-lambda-powertools/logger';
import type { EnforcementModeChange } from '../../../layers/core/index.js';
import type { ConfigStore } from '../storage/ports.js';
import type { ModeChangeScheduler, ScheduledChange } from './ports.js';

// Saves that set, change or clear a policy's enforcement-mode change must leave the policy and its
// schedule in agreement, or fail having changed nothing (docs/adr/0004). The order: the Scheduler first,
// then the DynamoDB write; if the write fails, each touched schedule is set back to what the stored policy
// says (read again: the write may have landed after all, or another writer may have won).

/** A policy whose save may touch its schedule: the change it carries now and the one it will carry. */
export interface ScheduleTransition {
  readonly policy: string;
  readonly before: EnforcementModeChange | null | undefined;
  readonly after: EnforcementModeChange | null | undefined;
}

export interface ScheduleSyncDeps {
  readonly configStore: ConfigStore;
  readonly modeChangeScheduler: ModeChangeScheduler;
  readonly logger: Pick<Logger, 'warn' | 'error'>;
}

/** Scheduler calls in flight at once during an import. */
const PARALLEL_CALLS = 4;

/** The change as the Scheduler needs it, when it is resolved (it always is once the API resolved it). */
function scheduled(change: EnforcementModeChange | null | undefined): ScheduledChange | undefined {
  return change?.id !== undefined && change.scheduledFor !== undefined
    ? { id: change.id, to: change.to, scheduledFor: change.scheduledFor }
    : undefined;
}

/** Puts the schedule where `change` wants it: (re)created for a pending change, deleted otherwise. */
function apply(scheduler: ModeChangeScheduler, policy: string, change: EnforcementModeChange | null | undefined): Promise<void> {
  const next = scheduled(change);
  return next ? scheduler.schedule(policy, next) : scheduler.cancel(policy);
}

/** Runs `task` over the items, a few at a time, and waits for every started one, even after a failure. */
async function eachSettled<T>(items: readonly T[], task: (item: T) => Promise<void>): Promise<{ started: T[]; failure?: Error }> {
  const started: T[] = [];
  let failure: Error | undefined;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const item = items[next++] as T;
      started.push(item);
      try {
        await task(item);
      } catch (error) {
        failure ??= error instanceof Error ? error : new Error(String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_CALLS, items.length) }, worker));
  return failure === undefined ? { started } : { started, failure };
}

/**
 * Sets each policy's schedule back to what its stored document says. Best effort: if that fails too, the
 * schedule carries a change id the policy does not (the handler ignores it) or a pending change has no
 * schedule (the sweep applies it when it is overdue); both are logged.
 */
export async function reconcileSchedules(deps: ScheduleSyncDeps, policies: readonly string[]): Promise<void> {
  await eachSettled(policies, async (policy) => {
    try {
      const stored = await deps.configStore.get('policy', policy);
      await apply(deps.modeChangeScheduler, policy, stored?.enforcementModeChange);
    } catch (error) {
      deps.logger.error('could not set a schedule back after a failed save; the sweep covers a pending change without a schedule', {
        policy,
        error: error as Error,
      });
    }
  });
}

/**
 * Makes the Scheduler agree with what `write` is about to store, then writes. A Scheduler failure throws
 * its DependencyError (503) before anything is written, after setting back the schedules already touched;
 * a write failure sets back every touched schedule and rethrows. Changes whose id stays the same (an edit
 * that keeps the pending change) touch no schedule at all.
 */
export async function writeWithSchedules<T>(
  deps: ScheduleSyncDeps,
  transitions: readonly ScheduleTransition[],
  write: () => Promise<T>,
): Promise<T> {
  const touched = transitions
    .filter((t) => (scheduled(t.before)?.id ?? null) !== (scheduled(t.after)?.id ?? null))
    .map((t) => ({ policy: t.policy, after: t.after }));
  if (touched.length > 0) {
    const { started, failure } = await eachSettled(touched, (t) => apply(deps.modeChangeScheduler, t.policy, t.after));
    if (failure !== undefined) {
      await reconcileSchedules(
        deps,
        started.map((t) => t.policy),
      );
      throw failure;
    }
  }
  try {
    return await write();
  } catch (error) {
    if (touched.length > 0)
      await reconcileSchedules(
        deps,
        touched.map((t) => t.policy),
      );
    throw error;
  }
}
