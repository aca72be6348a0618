/**
 * Watches this instance's storage calls: one that has been in flight longer than `stalledAfterMs` means storage
 * is stalled (accepting connections, answering nothing), and the webhook then stops waiting for it.
 */
export class StallWatch {
  /** Start times of the calls in flight, oldest first (a Set iterates in insertion order). */
  private readonly inFlight = new Set<{ readonly startedAt: number }>();

  constructor(
    private readonly stalledAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The same promise, watched until it settles. */
  track<T>(promise: Promise<T>): Promise<T> {
    const entry = { startedAt: this.now() };
    this.inFlight.add(entry);
    const done = () => this.inFlight.delete(entry);
    promise.then(done, done);
    return promise;
  }

  get stalled(): boolean {
    const oldest = this.inFlight.values().next().value;
    return oldest !== undefined && this.now() - oldest.startedAt > this.stalledAfterMs;
  }
}
