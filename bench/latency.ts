/**
 * Latency of single asynchronous calls (one I/O round trip each), as opposed to bench/measure.ts,
 * which times batches of synchronous steps. Each call is timed on its own with
 * process.hrtime.bigint(); percentiles are nearest rank over the individual calls.
 */

export interface LatencySummary {
  readonly samples: number;
  readonly p50Us: number;
  readonly p90Us: number;
  readonly p99Us: number;
  readonly meanUs: number;
  readonly minUs: number;
  readonly maxUs: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new Error('percentile of no samples');
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

/** Microseconds with one decimal, from nanoseconds. */
export function us(ns: number): number {
  return Math.round(ns / 100) / 10;
}

/** p50/p90/p99/mean/min/max in microseconds of per-call durations given in nanoseconds. */
export function summarize(samplesNs: readonly number[]): LatencySummary {
  const sorted = [...samplesNs].sort((a, b) => a - b);
  const total = sorted.reduce((sum, ns) => sum + ns, 0);
  return {
    samples: sorted.length,
    p50Us: us(percentile(sorted, 0.5)),
    p90Us: us(percentile(sorted, 0.9)),
    p99Us: us(percentile(sorted, 0.99)),
    meanUs: us(total / sorted.length),
    minUs: us(sorted[0]!),
    maxUs: us(sorted[sorted.length - 1]!),
  };
}

/** The median of values given in nanoseconds, in microseconds. */
export function medianUs(samplesNs: readonly number[]): number {
  return us(
    percentile(
      [...samplesNs].sort((a, b) => a - b),
      0.5,
    ),
  );
}
