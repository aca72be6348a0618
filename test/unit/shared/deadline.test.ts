import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TIMED_OUT, within } from '../../../functions/shared/deadline.js';

describe('within', () => {
  const unhandled: unknown[] = [];
  const record = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', record);
  });
  afterEach(() => {
    process.off('unhandledRejection', record);
  });

  it('answers the value when the promise settles in time', async () => {
    expect(await within(Promise.resolve(7), 1000)).toBe(7);
  });

  it('passes a rejection through as an Error', async () => {
    await expect(within(Promise.reject(new Error('storage down')), 1000)).rejects.toThrow('storage down');
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a non-Error rejection is the case under test
    await expect(within(Promise.reject('plain'), 1000)).rejects.toThrow('plain');
  });

  it('answers TIMED_OUT when the promise is slower than the budget', async () => {
    expect(await within(sleep(200), 5)).toBe(TIMED_OUT);
  });

  it('waits for the promise however long it takes when the budget is infinite', async () => {
    expect(
      await within(
        sleep(20).then(() => 'late'),
        Number.POSITIVE_INFINITY,
      ),
    ).toBe('late');
  });

  it.each([0, -5, 5])('leaves no unhandled rejection behind when an abandoned promise fails later (budget %i ms)', async (budget) => {
    const failingLater = sleep(30).then(() => {
      throw new Error('table deleted');
    });
    expect(await within(failingLater, budget)).toBe(TIMED_OUT);
    await sleep(60);
    expect(unhandled).toEqual([]);
  });
});
