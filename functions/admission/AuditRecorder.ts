import { AuditWriteError } from '../shared/storage/audit-items.js';
import type { AuditStore, GeneratedAuditEvent } from '../shared/storage/ports.js';

/** What the recorder tells its owner about events it had to give up on. */
export interface AuditRecorderOptions {
  /** Events waiting for a later write after a failure; beyond this, the oldest are dropped. */
  readonly maxPending: number;
  /** Called when a write failed: how many events wait for the next write, and how many were dropped. */
  readonly onWriteFailed?: (failure: { readonly pending: number; readonly dropped: number; readonly error: unknown }) => void;
}

/** The events of the next write and the reviews waiting for it. */
interface Batch {
  readonly events: GeneratedAuditEvent[];
  readonly written: Promise<true>;
  settle(error?: unknown): void;
}

function newBatch(): Batch {
  let resolve!: (value: true) => void;
  let reject!: (reason: unknown) => void;
  const written = new Promise<true>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Every caller awaits its batch, but one that gave up (its budget ran out) must not turn a later failure
  // into an unhandled rejection.
  written.catch(() => undefined);
  return { events: [], written, settle: (error) => (error === undefined ? resolve(true) : reject(error)) };
}

/**
 * Group commit of the webhook's audit events: one write in flight per instance; the events of reviews that
 * arrive meanwhile are collected and go out together in the next write, once the current one is done. Each
 * review awaits the write that carries its events, so no verdict is answered before its events are stored
 * (within the review's own storage budget). Events of a failed write wait, bounded, and go out with the
 * next write a review asks for: storage that is down is not retried on its own.
 */
export class AuditRecorder {
  /** Events of failed writes, written first by the next write. */
  private carried: GeneratedAuditEvent[] = [];
  private collecting: Batch | undefined;
  private writing = false;

  constructor(
    private readonly store: Pick<AuditStore, 'putGenerated'>,
    private readonly options: AuditRecorderOptions,
  ) {}

  /** Events that failed to be written and wait for the next write. */
  get pending(): number {
    return this.carried.length;
  }

  /**
   * Queues the events (none: only carries the pending ones along) and resolves with `true` once the write that
   * carries them has succeeded; rejects when it failed, the events then being pending.
   */
  record(events: readonly GeneratedAuditEvent[]): Promise<true> {
    const batch = (this.collecting ??= newBatch());
    batch.events.push(...events);
    // A write that hangs (stalled storage) lets events pile up behind it: bounded like the carried ones.
    const excess = batch.events.length + this.carried.length - this.options.maxPending;
    if (this.writing && excess > 0) {
      batch.events.splice(0, excess);
      this.options.onWriteFailed?.({
        pending: this.options.maxPending,
        dropped: excess,
        error: new Error('the audit write in flight has not finished'),
      });
    }
    if (!this.writing) void this.drain();
    return batch.written;
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      for (let batch = this.collecting; batch; batch = this.collecting) {
        this.collecting = undefined;
        const events = [...this.carried, ...batch.events];
        this.carried = [];
        try {
          await this.store.putGenerated(events);
          batch.settle();
        } catch (error) {
          this.carry(error instanceof AuditWriteError ? error.unwritten : events, error);
          batch.settle(error);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private carry(unwritten: readonly GeneratedAuditEvent[], error: unknown): void {
    const kept = unwritten.slice(-this.options.maxPending);
    this.carried = kept;
    this.options.onWriteFailed?.({ pending: kept.length, dropped: unwritten.length - kept.length, error });
  }
}
