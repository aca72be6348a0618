/**
 * Timing of one evaluator on one request set: warm up, size a batch to a target round time, then
 * time a fixed number of rounds of that batch. Rounds are timed with process.hrtime.bigint()
 * (nanoseconds, monotonic); performance.now() only bounds warm-up and calibration.
 */

export interface MeasureOptions {
  /** Minimum warm-up time before calibration (ms); at least one call is always made. */
  readonly warmupMs: number;
  /** Timed rounds. */
  readonly rounds: number;
  /** Target duration of one round (ms); a round is at least one call. */
  readonly roundMs: number;
  /** Upper bound of the batch size. */
  readonly maxBatch?: number | undefined;
}

export interface Measurement {
  readonly decisionsPerSecond: number;
  /** Total time / total decisions over all timed rounds. */
  readonly meanNs: number;
  /** Percentiles (nearest rank) of the per-round mean time per decision. */
  readonly p50Ns: number;
  readonly p99Ns: number;
  readonly minNs: number;
  readonly maxNs: number;
  readonly rounds: number;
  readonly batch: number;
  readonly decisions: number;
  readonly timedMs: number;
  /** Sum of what the step returned (violation counts): keeps the work observable. */
  readonly checksum: number;
}

function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/**
 * Measures `step(i)` where i counts calls across warm-up, calibration and rounds, so that a step
 * rotating over a request set sees every request in turn. `step` returns a number that is summed.
 */
export function measure(step: (i: number) => number, options: MeasureOptions): Measurement {
  let i = 0;
  let checksum = 0;

  const warmupEnd = performance.now() + options.warmupMs;
  do checksum += step(i++);
  while (performance.now() < warmupEnd);

  // Calibrate: double the batch until it takes an eighth of a round, then time a batch of the
  // estimated round size once more; the lower per-call estimate wins, so that one GC pause during
  // calibration does not shrink every round.
  const maxBatch = options.maxBatch ?? 1_000_000;
  const timeBatch = (size: number): number => {
    const started = performance.now();
    for (let j = 0; j < size; j++) checksum += step(i++);
    return Math.max(performance.now() - started, 1e-3) / size;
  };
  let size = 1;
  let perCall = timeBatch(size);
  while (perCall * size < options.roundMs / 8 && size < maxBatch) {
    size = Math.min(maxBatch, size * 2);
    perCall = timeBatch(size);
  }
  const estimate = (ms: number) => Math.max(1, Math.min(maxBatch, Math.round(options.roundMs / ms)));
  if (estimate(perCall) > 1) perCall = Math.min(perCall, timeBatch(estimate(perCall)));
  const batch = estimate(perCall);

  const perRound: number[] = [];
  let totalNs = 0n;
  for (let r = 0; r < options.rounds; r++) {
    const started = process.hrtime.bigint();
    for (let j = 0; j < batch; j++) checksum += step(i++);
    const elapsed = process.hrtime.bigint() - started;
    totalNs += elapsed;
    perRound.push(Number(elapsed) / batch);
  }
  const decisions = batch * options.rounds;
  const meanNs = Number(totalNs) / decisions;
  const sorted = [...perRound].sort((a, b) => a - b);
  return {
    decisionsPerSecond: Math.round(1e9 / meanNs),
    meanNs: round1(meanNs),
    p50Ns: round1(percentile(sorted, 0.5)),
    p99Ns: round1(percentile(sorted, 0.99)),
    minNs: round1(sorted[0]!),
    maxNs: round1(sorted[sorted.length - 1]!),
    rounds: options.rounds,
    batch,
    decisions,
    timedMs: round1(Number(totalNs) / 1e6),
    checksum,
  };
}

/** Asks V8 for a full collection between measurements when the process allows it (`--expose-gc`). */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc === 'function') gc();
}
