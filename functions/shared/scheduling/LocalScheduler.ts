import type { Logger } from '@aws-lambda-powertools/logger';
import type { ConfigStore } from '../storage/ports.js';
import { modeChangeInput, type ModeChangeInput } from './ports.js';

// Local mode's stand-in for EventBridge Scheduler: it polls the pending changes in DynamoDB (the same items
// the AWS sweep reads) and invokes the mode-change handler with the input a schedule would deliver. Pending
// changes live in DynamoDB, not in memory, so a restart loses nothing, and the first poll at start catches
// up on whatever fell due while local mode was stopped.

export interface LocalSchedulerProps {
  readonly store: Pick<ConfigStore, 'dueModeChanges'>;
  /** Delivers one change: local mode passes it to the mode-change handler. */
  readonly invoke: (input: ModeChangeInput) => Promise<unknown>;
  readonly logger: Pick<Logger, 'error'>;
  /**
   * How often DynamoDB is asked for due changes. A change known at one poll fires at its time; one saved
   * meanwhile with a time inside the interval fires at most this long late.
   * @default 1000
   */
  readonly pollMs?: number;
  /** @default () => new Date() */
  readonly clock?: () => Date;
}

/** Changes one poll delivers at most; the next poll takes the rest. */
const POLL_BATCH = 100;
/** A delivery (or a poll) that keeps failing is retried less and less often, up to this interval. */
const MAX_BACKOFF_MS = 60_000;

export class LocalScheduler {
  private readonly pollMs: number;
  private readonly clock: () => Date;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private stopRequested = false;
  private pollFailures = 0;
  /** Deliveries that failed, by change id: when to try again, and how often it failed. */
  private readonly failures = new Map<string, { attempts: number; retryAt: number }>();

  constructor(private readonly props: LocalSchedulerProps) {
    this.pollMs = props.pollMs ?? 1000;
    this.clock = props.clock ?? (() => new Date());
  }

  /** Polls at once (catching up), then every `pollMs` or at the next change's time if sooner, until `stop()`. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.stopRequested = false;
    this.tick(0);
  }

  /** Stops polling and waits for a poll in progress to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopRequested = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass: delivers every change due now, one after the other. Returns how many were delivered. */
  async runDue(): Promise<number> {
    return (await this.pass()).delivered;
  }

  /**
   * Reads the changes due within the next poll interval (one query): delivers those due now and returns
   * when the next one falls due, so that the timer wakes up at its second rather than up to a poll later.
   */
  private async pass(): Promise<{ delivered: number; nextDueAt?: number }> {
    const now = this.clock().getTime();
    const upcoming = await this.props.store.dueModeChanges(new Date(now + this.pollMs), POLL_BATCH);
    let delivered = 0;
    let nextDueAt: number | undefined;
    for (const pending of upcoming) {
      const dueAt = Date.parse(pending.scheduledFor);
      if (dueAt > now) {
        nextDueAt = Math.min(nextDueAt ?? dueAt, dueAt);
        continue;
      }
      // After stop() the rest waits for the next start (the changes stay pending in DynamoDB).
      if (this.stopRequested) break;
      const failed = this.failures.get(pending.changeId);
      if (failed && failed.retryAt > now) continue;
      try {
        await this.props.invoke(
          modeChangeInput(pending.policy, { id: pending.changeId, to: pending.to, scheduledFor: pending.scheduledFor }),
        );
        this.failures.delete(pending.changeId);
        delivered += 1;
      } catch (error) {
        const attempts = (failed?.attempts ?? 0) + 1;
        this.failures.set(pending.changeId, { attempts, retryAt: this.clock().getTime() + backoff(this.pollMs, attempts) });
        this.props.logger.error('a scheduled mode change failed; it is retried', {
          policy: pending.policy,
          changeId: pending.changeId,
          attempts,
          error: error as Error,
        });
      }
    }
    return nextDueAt === undefined ? { delivered } : { delivered, nextDueAt };
  }

  private tick(delayMs: number): void {
    this.timer = setTimeout(() => {
      let next = this.pollMs;
      this.running = this.pass().then(
        ({ nextDueAt }) => {
          this.pollFailures = 0;
          if (nextDueAt !== undefined) next = Math.min(this.pollMs, Math.max(0, nextDueAt - this.clock().getTime()));
        },
        (error: unknown) => {
          this.pollFailures += 1;
          next = backoff(this.pollMs, this.pollFailures);
          this.props.logger.error('could not read the pending mode changes; polling again later', {
            failures: this.pollFailures,
            error: error as Error,
          });
        },
      );
      void this.running.then(() => {
        if (!this.stopped) this.tick(next);
      });
    }, delayMs);
    // Pending changes must not keep a process alive that has nothing else to do (tests, scripts).
    this.timer.unref();
  }
}

function backoff(baseMs: number, attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.min(attempts, 16));
}
