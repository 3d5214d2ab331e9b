import { describe, expect, it } from 'vitest';
import { planTicks, tickAtOrAfter, tickAtOrBefore } from '../src/schedule.js';

const T = 1_000;
const base = 1_795_000_000_000; // a multiple of 1000

describe('tick alignment', () => {
  it.each([
    [base, base],
    [base + 1, base + T],
    [base + 999, base + T],
    [base - 1, base],
  ])('the tick at or after %i is %i', (now, tick) => {
    expect(tickAtOrAfter(now, T)).toBe(tick);
  });

  it('aligns to multiples of any period, not to the start time', () => {
    expect(tickAtOrAfter(1_234, 250)).toBe(1_250);
    expect(tickAtOrBefore(1_234, 250)).toBe(1_000);
  });
});

describe('planTicks', () => {
  it('waits for the first tick at or after now', () => {
    expect(planTicks(undefined, base + 400, T, 3)).toEqual({
      run: [],
      missed: 0,
      wakeAt: base + T,
    });
  });

  it('runs the first tick when now is exactly on it', () => {
    expect(planTicks(undefined, base, T, 3)).toEqual({ run: [base], missed: 0, wakeAt: base + T });
  });

  it('runs the next tick on time, and a timer that fires early waits again', () => {
    expect(planTicks(base, base + T + 3, T, 3)).toEqual({
      run: [base + T],
      missed: 0,
      wakeAt: base + 2 * T,
    });
    expect(planTicks(base, base + T - 1, T, 3)).toEqual({ run: [], missed: 0, wakeAt: base + T });
  });

  it('keeps the tick time when late instead of shifting it to now', () => {
    const plan = planTicks(base, base + T + 700, T, 3);
    expect(plan.run).toEqual([base + T]);
    expect(plan.wakeAt).toBe(base + 2 * T);
  });

  it('catches up every due tick, oldest first, when within the limit', () => {
    expect(planTicks(base, base + 3 * T + 5, T, 3)).toEqual({
      run: [base + T, base + 2 * T, base + 3 * T],
      missed: 0,
      wakeAt: base + 4 * T,
    });
  });

  it('counts ticks beyond the catch-up limit as missed and runs the newest', () => {
    expect(planTicks(base, base + 10 * T + 5, T, 3)).toEqual({
      run: [base + 8 * T, base + 9 * T, base + 10 * T],
      missed: 7,
      wakeAt: base + 11 * T,
    });
    expect(planTicks(base, base + 10 * T, T, 1)).toEqual({
      run: [base + 10 * T],
      missed: 9,
      wakeAt: base + 11 * T,
    });
  });

  it('never plans a tick twice across successive calls', () => {
    const seen: number[] = [];
    let last: number | undefined;
    for (const now of [
      base + 10,
      base + 1_000,
      base + 1_500,
      base + 4_200,
      base + 4_300,
      base + 5_001,
    ]) {
      const plan = planTicks(last, now, T, 2);
      seen.push(...plan.run);
      last = plan.run.at(-1) ?? last;
    }
    expect(seen).toEqual([base + 1_000, base + 3_000, base + 4_000, base + 5_000]);
    expect(new Set(seen).size).toBe(seen.length);
  });
});
