/**
 * How far a run's estimate could move in another run: percentile bootstrap intervals of a statistic, so that a
 * figure near its goal says whether this run can tell on which side it is. Seeded, so the same samples always
 * give the same interval.
 */
import { seededRandom } from './prng.js';

/** Resamples drawn per interval: enough for stable 2.5 % and 97.5 % points, cheap next to the measurement. */
const RESAMPLES = 2_000;
const SEED = 17;

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The value at quantile q of sorted values, interpolating between neighbours. */
function sortedQuantile(sorted: readonly number[], q: number): number {
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}

function resample(values: readonly number[], random: ReturnType<typeof seededRandom>): number[] {
  return values.map(() => values[random.int(values.length)]!);
}

/**
 * The 95 % percentile bootstrap interval of `statistic` over samples that are independent units (for the
 * spawn ratios: one ratio per round, each round's two turns taken within milliseconds of each other).
 */
export function bootstrapInterval95(
  values: readonly number[],
  statistic: (sample: readonly number[]) => number = median,
): [number, number] {
  if (values.length === 0) throw new RangeError('an interval of no values');
  const random = seededRandom(SEED);
  const estimates = Array.from({ length: RESAMPLES }, () => statistic(resample(values, random))).sort((a, b) => a - b);
  return [sortedQuantile(estimates, 0.025), sortedQuantile(estimates, 0.975)];
}

/** The same for the difference of two groups' medians, each group resampled on its own (unpaired runs). */
export function bootstrapDifferenceInterval95(a: readonly number[], b: readonly number[]): [number, number] {
  if (a.length === 0 || b.length === 0) throw new RangeError('an interval of no values');
  const random = seededRandom(SEED);
  const estimates = Array.from({ length: RESAMPLES }, () => median(resample(a, random)) - median(resample(b, random))).sort(
    (x, y) => x - y,
  );
  return [sortedQuantile(estimates, 0.025), sortedQuantile(estimates, 0.975)];
}

/** Whether an interval lies wholly on one side of an upper bound: only then does one run settle a goal `<= bound`. */
export function settles(interval: readonly [number, number], bound: number): boolean {
  return interval[1] <= bound || interval[0] > bound;
}
