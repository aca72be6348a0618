import type { AuditEvent } from '../core/index.js';

/** Where a batch goes; throws `{ retryable: true }` errors for failures worth retrying. */
export type EventSink = (events: readonly AuditEvent[]) => Promise<unknown>;

/** Options of an EventReporter. */
export interface EventReporterProps {
  /** @default 1000 */
  readonly maxQueued?: number;
  /** The API accepts up to 500 events per request. @default 500 */
  readonly batchSize?: number;
}

/**
 * A bounded in-memory queue of audit events. Reporting never waits on the network inside an intercepted
 * call: events are queued, and flushed in the background or at the end of an invocation. Event ids are
 * made once, when the event is queued, so a batch that failed is re-sent with the same ids and the
 * server accepts each id once.
 */
export class EventReporter {
  private queue: AuditEvent[] = [];
  private inFlight: Promise<void> | undefined;
  private readonly maxQueued: number;
  private readonly batchSize: number;
  /** Events dropped because the queue was full or the server refused them for good. */
  dropped = 0;
  /** Events the server confirmed. */
  delivered = 0;

  constructor(
    private readonly sink: EventSink | undefined,
    props: EventReporterProps = {},
  ) {
    this.maxQueued = props.maxQueued ?? 1000;
    this.batchSize = props.batchSize ?? 500;
  }

  get pending(): number {
    return this.queue.length;
  }

  enqueue(events: readonly AuditEvent[]): void {
    for (const event of events) {
      if (this.queue.length >= this.maxQueued) this.dropped++;
      else this.queue.push(event);
    }
  }

  /** Sends what is queued; resolves by the deadline even when the network is slower (the send goes on). */
  flush(deadlineMs?: number): Promise<void> {
    const run = (this.inFlight ??= this.drain().finally(() => (this.inFlight = undefined)));
    if (deadlineMs === undefined) return run;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, deadlineMs);
      timer.unref();
      void run.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private async drain(): Promise<void> {
    if (!this.sink) return;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.batchSize);
      try {
        await this.sink(batch);
        this.delivered += batch.length;
      } catch (error) {
        if ((error as { retryable?: unknown }).retryable === true) {
          // Put the batch back in front (same ids) and stop: the next flush retries it.
          const room = Math.max(0, this.maxQueued - this.queue.length);
          this.dropped += Math.max(0, batch.length - room);
          this.queue.unshift(...batch.slice(0, room));
          return;
        }
        this.dropped += batch.length;
      }
    }
  }
}
