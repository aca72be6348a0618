import type { EnforcementMode } from '../../../layers/core/index.js';

// Ports of scheduled enforcement-mode changes (docs/adr/0004): who fires a change at its time. What the
// control plane announces once it applied one is in ../events. Wired in the composition root (runtime.ts).

/** A resolved change as a policy carries it once saved: the id ties deliveries to this very change. */
export interface ScheduledChange {
  readonly id: string;
  readonly to: EnforcementMode;
  /** ISO instant. */
  readonly scheduledFor: string;
}

/** What a schedule delivers to the mode-change function (EventBridge Scheduler's target input, or the local scheduler's call). */
export interface ModeChangeInput {
  readonly policy: string;
  readonly changeId: string;
  readonly to: EnforcementMode;
  readonly scheduledFor: string;
}

/** The input that fires `change` of `policy`. */
export function modeChangeInput(policy: string, change: ScheduledChange): ModeChangeInput {
  return { policy, changeId: change.id, to: change.to, scheduledFor: change.scheduledFor };
}

/**
 * Keeps one timer per policy. `schedule` creates or replaces the policy's timer, `cancel` removes it (a
 * missing one is fine). Failures are `DependencyError`s: the caller has then changed nothing.
 */
export interface ModeChangeScheduler {
  schedule(policy: string, change: ScheduledChange): Promise<void>;
  cancel(policy: string): Promise<void>;
}
