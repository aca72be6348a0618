import type { AuditStore, GeneratedAuditEvent } from '../shared/storage/ports.js';

export interface AuditRecorderOptions {
  /**
   * Events that may wait while every write slot is taken (a stalled storage lets them pile up). Beyond it,
   * the waiting batch fails at once, so that its reviews hand their events to the fallback instead.
   */
  readonly maxWaiting: number;
  /**
   * Writes kept in flight at once. One write at a time leaves the table idle while each write's answer
   * travels back and the next batch forms; a few in flight keep it busy, which is what lets recorded
   * reviews reach the storage's own write rate (docs/adr/0005).
   */
  readonly maxWritesInFlight: number;
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

/** Too many events waited while every write slot was taken. */
export class AuditBacklogError extends Error {
  constructor(waiting: number) {
    super(`${waiting} audit events wait behind writes that have not finished (storage is stalled)`);
    this.name = 'AuditBacklogError';
  }
}

/**
 * Group commit of the webhook's audit events with a few writes in flight: a review whose events find a free
 * write slot goes out at once; while every slot is taken, the events of arriving reviews are collected and
 * go out together as soon as a slot frees. Each review awaits the write that carries its events, so no
 * verdict is answered before its events are stored (or handed elsewhere). The recorder keeps nothing after
 * a write: when a write fails, or has not succeeded by the time the review answers, the review hands its
 * events to the durable fallback (docs/adr/0011), so no event lives only in this instance's memory.
 */
export class AuditRecorder {
  private collecting: Batch | undefined;
  private writesInFlight = 0;

  constructor(
    private readonly store: Pick<AuditStore, 'putGenerated'>,
    private readonly options: AuditRecorderOptions,
  ) {
    if (!Number.isInteger(options.maxWritesInFlight) || options.maxWritesInFlight < 1)
      throw new RangeError(`maxWritesInFlight must be a whole number, at least 1 (got ${options.maxWritesInFlight})`);
  }

  /** Queues the events and resolves with `true` once the write that carries them has succeeded; rejects when it failed. */
  record(events: readonly GeneratedAuditEvent[]): Promise<true> {
    const slotsTaken = this.writesInFlight >= this.options.maxWritesInFlight;
    if (slotsTaken && this.collecting && this.collecting.events.length + events.length > this.options.maxWaiting) {
      // Bounded memory behind a stalled storage: the waiting reviews learn now that their write will not come.
      const overflowing = this.collecting;
      this.collecting = undefined;
      overflowing.settle(new AuditBacklogError(overflowing.events.length));
    }
    const batch = (this.collecting ??= newBatch());
    batch.events.push(...events);
    if (!slotsTaken) void this.write();
    return batch.written;
  }

  /** Takes one slot and writes batches in it until none is waiting. */
  private async write(): Promise<void> {
    this.writesInFlight++;
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
      this.writesInFlight--;
    }
  }
}
