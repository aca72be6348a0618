import { describe, expect, it } from 'vitest';
import { bootstrapDifferenceInterval95, bootstrapInterval95, median, settles } from '../../bench/spread.js';
import { seededRandom } from '../../bench/prng.js';

/** Ratios around `centre`, spread like a loaded machine's per-round ratios. */
function ratios(count: number, centre: number, seed: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => centre + (random.next() - 0.5) * 0.2);
}

describe('bench spread', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });

  it('gives an interval around the median that is the same for the same samples', () => {
    const values = ratios(200, 1.03, 1);
    const interval = bootstrapInterval95(values);
    expect(interval[0]).toBeLessThan(median(values));
    expect(interval[1]).toBeGreaterThan(median(values));
    expect(bootstrapInterval95(values)).toEqual(interval);
  });

  it('narrows with more rounds: about half as wide with four times as many', () => {
    const width = (count: number) => {
      const [low, high] = bootstrapInterval95(ratios(count, 1.03, 2));
      return high - low;
    };
    const ratio = width(50) / width(200);
    expect(ratio).toBeGreaterThan(1.4);
    expect(ratio).toBeLessThan(2.8);
  });

  it('brackets the difference of two groups of medians', () => {
    const withGuard = ratios(21, 26, 3);
    const without = ratios(21, 25, 4);
    const [low, high] = bootstrapDifferenceInterval95(withGuard, without);
    const difference = median(withGuard) - median(without);
    expect(low).toBeLessThan(difference);
    expect(high).toBeGreaterThan(difference);
    expect(high - low).toBeLessThan(0.2);
  });

  it('settles a goal only when the interval lies on one side of it', () => {
    expect(settles([1.01, 1.04], 1.05)).toBe(true);
    expect(settles([1.051, 1.08], 1.05)).toBe(true);
    expect(settles([1.04, 1.06], 1.05)).toBe(false);
    expect(settles([1.03, 1.05], 1.05)).toBe(true);
  });
});
