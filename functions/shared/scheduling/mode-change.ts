import type { Logger } from '@aws-lambda-powertools/logger';
import type { EnforcementMode, Policy } from '../../../layers/core/index.js';
import { NotFoundError, VersionMismatchError } from '../errors.js';
import type { ConfigStore, Stored } from '../storage/ports.js';
import { withoutMeta } from '../storage/read-all.js';
import { MODE_CHANGED_DETAIL_TYPE, type EventPublisher, type PolicyModeChangedDetail } from '../events/ports.js';
import type { ModeChangeInput } from './ports.js';

// The use case behind functions/mode-change: apply one scheduled change exactly once, however often and
// however late it is delivered, and sweep up changes whose schedule never fired. docs/adr/0004.

/** What applying a change needs from the runtime. */
export interface ModeChangeDeps {
  readonly configStore: ConfigStore;
  readonly events: EventPublisher;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  readonly clock: () => Date;
}

export type ModeChangeTrigger = PolicyModeChangedDetail['trigger'];

/** Why a delivery changed nothing. Every one of them is normal under at-least-once delivery. */
export type SkipReason =
  /** The policy was deleted (its schedule with it; this delivery was already on its way). */
  | 'policy-deleted'
  /** The policy carries a different change now: it was edited after this one was scheduled. */
  | 'superseded'
  /** The policy carries no change: this one was applied already (a repeat) or cleared. */
  | 'not-pending'
  /** The change is not due yet (more than the Scheduler's one-minute precision early). */
  | 'not-due';

export type ModeChangeOutcome =
  | {
      readonly result: 'applied';
      readonly policy: string;
      readonly changeId: string;
      readonly from: EnforcementMode;
      readonly to: EnforcementMode;
      readonly appliedAt: string;
      readonly version: number;
      readonly published: boolean;
    }
  | { readonly result: 'skipped'; readonly policy: string; readonly changeId: string; readonly reason: SkipReason };

/** EventBridge Scheduler fires within the minute of its `at()` time; earlier than that is not its delivery. */
export const EARLY_TOLERANCE_MS = 60_000;
/** Applying retries this often when the policy changes between our read and our conditional write. */
const APPLY_ATTEMPTS = 4;

/** The actor of the activity entry: the change's id names the schedule that made it. */
export function scheduleActor(changeId: string): string {
  return `schedule:${changeId}`;
}

/**
 * Applies the change if the policy still carries it: read the policy, check that it still carries this
 * change id and is still in the old mode, then write it conditioned on the version read (so the check and
 * the write are one atomic step). A repeat or a late, obsolete delivery is a no-op that says why.
 */
export async function applyModeChange(
  deps: ModeChangeDeps,
  input: ModeChangeInput,
  trigger: ModeChangeTrigger,
): Promise<ModeChangeOutcome> {
  const { policy: name, changeId } = input;
  const skip = (reason: SkipReason): ModeChangeOutcome => {
    deps.logger.info('scheduled mode change skipped', { policy: name, changeId, trigger, reason });
    return { result: 'skipped', policy: name, changeId, reason };
  };
  for (let attempt = 1; ; attempt++) {
    const policy = await deps.configStore.get('policy', name);
    if (!policy) return skip('policy-deleted');
    const change = policy.enforcementModeChange;
    if (!change) return skip('not-pending');
    if (change.id !== changeId) return skip('superseded');
    // The schema keeps `to` different from the mode while a change is pending; a policy already in the
    // target mode has nothing left to switch.
    if (policy.enforcementMode === change.to) return skip('not-pending');
    const scheduledFor = change.scheduledFor ?? input.scheduledFor;
    if (trigger === 'schedule' && deps.clock().getTime() < Date.parse(scheduledFor) - EARLY_TOLERANCE_MS) return skip('not-due');

    const from = policy.enforcementMode;
    const doc: Policy = { ...withoutMeta(policy), enforcementMode: change.to, enforcementModeChange: null };
    let stored: Stored<'policy'> | undefined;
    try {
      [stored] = (await deps.configStore.apply(
        [{ op: 'replace', kind: 'policy', name, doc, expectedVersion: policy.version }],
        scheduleActor(changeId),
        'mode-change',
      )) as Array<Stored<'policy'> | undefined>;
    } catch (error) {
      // Someone wrote the policy after our read (another delivery of this change, or an edit): read again and decide anew.
      if ((error instanceof VersionMismatchError || error instanceof NotFoundError) && attempt < APPLY_ATTEMPTS) continue;
      throw error;
    }
    const appliedAt = stored?.updatedAt ?? deps.clock().toISOString();
    const detail: PolicyModeChangedDetail = { policy: name, from, to: change.to, changeId, scheduledFor, appliedAt, trigger };
    const logged = { ...detail, version: stored?.version };
    if (trigger === 'sweep') deps.logger.warn('applied an overdue mode change whose schedule did not fire', logged);
    else deps.logger.info('applied a scheduled mode change', logged);
    let published = true;
    try {
      await deps.events.publish(MODE_CHANGED_DETAIL_TYPE, { ...detail });
    } catch (error) {
      // The change is applied and recorded in the activity trail; a retry of this delivery would be a no-op
      // and could not publish either, so failing here would only hide the applied change.
      published = false;
      deps.logger.error('the mode change is applied but its event could not be published', { ...logged, error: error as Error });
    }
    return {
      result: 'applied',
      policy: name,
      changeId,
      from,
      to: change.to,
      appliedAt,
      version: stored?.version ?? policy.version + 1,
      published,
    };
  }
}

/** A sweep's report. */
export interface SweepReport {
  readonly overdue: number;
  readonly applied: ModeChangeOutcome[];
  readonly skipped: ModeChangeOutcome[];
  readonly failed: Array<{ readonly policy: string; readonly changeId: string; readonly error: string }>;
}

/** Changes later than this are overdue: the Scheduler fires within a minute and retries for a while. */
export const SWEEP_GRACE_MS = 2 * 60_000;
/** Changes one sweep handles at most; the next sweep takes the rest. */
const SWEEP_BATCH = 100;

/**
 * Applies every pending change that is overdue by more than `graceMs` (its schedule was lost, or its
 * deliveries all failed), reports each, and never throws for one change: the next sweep tries again.
 */
export async function sweepOverdueChanges(deps: ModeChangeDeps, graceMs = SWEEP_GRACE_MS): Promise<SweepReport> {
  const due = await deps.configStore.dueModeChanges(new Date(deps.clock().getTime() - graceMs), SWEEP_BATCH);
  const report: SweepReport = { overdue: due.length, applied: [], skipped: [], failed: [] };
  for (const pending of due) {
    try {
      const outcome = await applyModeChange(deps, pending, 'sweep');
      (outcome.result === 'applied' ? report.applied : report.skipped).push(outcome);
    } catch (error) {
      deps.logger.error('an overdue mode change could not be applied; the next sweep tries again', {
        policy: pending.policy,
        changeId: pending.changeId,
        error: error as Error,
      });
      report.failed.push({
        policy: pending.policy,
        changeId: pending.changeId,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  if (due.length > 0)
    deps.logger.warn('sweep found overdue mode changes', {
      overdue: due.length,
      applied: report.applied.length,
      skipped: report.skipped.length,
      failed: report.failed.length,
    });
  return report;
}
