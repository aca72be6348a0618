/**
 * The goals a suite's `goals` section reports: only the performance goals the project has decided on
 * (see bench/README.md), each with a status. A quick run measures too little to pass or fail a goal, so
 * there every goal is "not measured"; other figures of a suite are reported elsewhere in its section.
 */

/** pass / fail in a full run; "not measured" in a quick run (its numbers are a smoke test, not a measurement). */
export type GoalStatus = 'pass' | 'fail' | 'not measured';

export interface Goal {
  readonly description: string;
  readonly target: string;
  /** The figure compared with the target (for goals over several request kinds or operations: the worst). */
  readonly value: number;
  /** The figures the value was taken from, when there are several. */
  readonly measured?: Readonly<Record<string, unknown>>;
  readonly status: GoalStatus;
}

/** A goal whose `met` was decided from this run's figures. */
export function goal(quick: boolean, fields: Omit<Goal, 'status'> & { readonly met: boolean }): Goal {
  const { met, ...rest } = fields;
  return { ...rest, status: quick ? 'not measured' : met ? 'pass' : 'fail' };
}

/** The status of a suite's goals together: fail if any fails, "not measured" if any was not measured, else pass (also for none). */
export function goalsStatus(goals: Readonly<Record<string, Goal>>): GoalStatus {
  const statuses = Object.values(goals).map((g) => g.status);
  if (statuses.includes('fail')) return 'fail';
  if (statuses.includes('not measured')) return 'not measured';
  return 'pass';
}

/** How a status is shown in a progress line. */
export function statusText(status: GoalStatus): string {
  return status === 'fail' ? 'FAIL' : status;
}
