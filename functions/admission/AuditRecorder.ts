import type { AuditStore, GeneratedAuditEvent } from '../shared/storage/ports.js';

export interface AuditRecorderOptions {
  /**
   * Events that may wait behind a write in flight (a stalled storage lets them pile up). Beyond it, the
   * waiting batch fails at once, so that its reviews hand their events to the fallback instead.
   */
  readonly maxWaiting: number;
  /** A write succeeded: storage is back, whatever a fallback holds may be replayed. */
  readonly onWritten?: () => void;
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

/** Too many events waited behind a write that has not finished. */
export class AuditBacklogError extends Error {
  constructor(waiting: number) {
    super(`${waiting} audit events wait behind a write that has not finished (storage is stalled)`);
    this.name = 'AuditBacklogError';
  }
}

/**
 * Group commit of the webhook's audit events: one write in flight per instance; the events of reviews that
 * arrive meanwhile are collected and go out together in the next write, once the current one is done. Each
 * review awaits the write that carries its events. The recorder keeps nothing after a write: when a write
 * fails, or has not succeeded by the time the review answers, the review hands its events to the durable
 * fallback (docs/adr/0011), so no event lives only in this instance's memory.
 */
export class AuditRecorder {
  private collecting: Batch | undefined;
  private writing = false;

  constructor(
    private readonly store: Pick<AuditStore, 'putGenerated'>,
    private readonly options: AuditRecorderOptions,
  ) {}

  /** Queues the events and resolves with `true` once the write that carries them has succeeded; rejects when it failed. */
  record(events: readonly GeneratedAuditEvent[]): Promise<true> {
    if (this.writing && this.collecting && this.collecting.events.length + events.length > this.options.maxWaiting) {
      // Bounded memory behind a stalled write: the waiting reviews learn now that their write will not come.
      const overflowing = this.collecting;
      this.collecting = undefined;
      overflowing.settle(new AuditBacklogError(overflowing.events.length));
    }
    const batch = (this.collecting ??= newBatch());
    batch.events.push(...events);
    if (!this.writing) void this.drain();
    return batch.written;
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      for (let batch = this.collecting; batch; batch = this.collecting) {
        this.collecting = undefined;
        try {
          await this.store.putGenerated(batch.events);
          batch.settle();
          this.options.onWritten?.();
        } catch (error) {
          batch.settle(error);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
