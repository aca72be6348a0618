import type { AuditStore, GeneratedAuditEvent } from '../shared/storage/ports.js';

export interface AuditRecorderOptions {
  /**
   * Events that may wait while every write slot is taken (a stalled storage lets them pile up). Beyond it,
   * the waiting batch fails at once, so that its reviews hand their events to the fallback instead.
   */
  readonly maxWaiting: number;
  /**
   * Writes kept in flight at most. A second and further write start only for a full batch (`fullBatch`);
   * otherwise the batch keeps filling while a write is in flight (docs/adr/0005).
   */
  readonly maxWritesInFlight: number;
  /**
   * The events one storage call takes (BatchWriteItem: 25). A batch this full goes out in a free slot at
   * once; a smaller one waits for the writes in flight to finish, so that the storage gets few, full calls.
   */
  readonly fullBatch: number;
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
 * Group commit of the webhook's audit events. With no write in flight, a review's events go out at once.
 * While a write is in flight, the events of arriving reviews are collected; the batch goes out in another
 * slot as soon as it is full (one storage call's worth), or when the writes in flight have finished. Many
 * small writes in flight cost the instance and the storage a call each for a few events; full batches keep
 * the storage busy with fewer calls. Each review awaits the write that carries its events, so no verdict is
 * answered before its events are stored (or handed elsewhere). The recorder keeps nothing after a write:
 * when a write fails, or has not succeeded by the time the review answers, the review hands its events to
 * the durable fallback (docs/adr/0011), so no event lives only in this instance's memory.
 */
export class AuditRecorder {
  private collecting: Batch | undefined;
  private writesInFlight = 0;

  constructor(
    private readonly store: Pick<AuditStore, 'putGenerated'>,
    private readonly options: AuditRecorderOptions,
  ) {
    for (const name of ['maxWritesInFlight', 'fullBatch'] as const)
      if (!Number.isInteger(options[name]) || options[name] < 1)
        throw new RangeError(`${name} must be a whole number, at least 1 (got ${options[name]})`);
  }

  /** Queues the events and resolves with `true` once the write that carries them has succeeded; rejects when it failed. */
  record(events: readonly GeneratedAuditEvent[]): Promise<true> {
    const { fullBatch, maxWaiting, maxWritesInFlight } = this.options;
    // A batch these events would push past one call's worth goes out as it is, if a slot is free.
    if (this.collecting && this.collecting.events.length + events.length > fullBatch && this.writesInFlight < maxWritesInFlight)
      void this.write();
    const slotsTaken = this.writesInFlight >= maxWritesInFlight;
    if (slotsTaken && this.collecting && this.collecting.events.length + events.length > maxWaiting) {
      // Bounded memory behind a stalled storage: the waiting reviews learn now that their write will not come.
      const overflowing = this.collecting;
      this.collecting = undefined;
      overflowing.settle(new AuditBacklogError(overflowing.events.length));
    }
    const batch = (this.collecting ??= newBatch());
    batch.events.push(...events);
    if (this.writesInFlight === 0 || (!slotsTaken && batch.events.length >= fullBatch)) void this.write();
    return batch.written;
  }

  /**
   * Takes one slot and writes the waiting batch in it, then the next one while there is one and it is full
   * or no other write is in flight (the last write to finish always takes what waits, so nothing is left behind).
   */
  private async write(): Promise<void> {
    this.writesInFlight++;
    try {
      for (let batch = this.collecting; batch; batch = this.nextForThisSlot()) {
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

  private nextForThisSlot(): Batch | undefined {
    const waiting = this.collecting;
    return waiting && (this.writesInFlight === 1 || waiting.events.length >= this.options.fullBatch) ? waiting : undefined;
  }
}
