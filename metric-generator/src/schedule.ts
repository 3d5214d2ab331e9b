/**
 * Tick schedule: pure functions of (last tick, now). Ticks are the wall-clock multiples of
 * `tickMs`; a tick is never shifted to "now" when it is late. Ticks that came due while the
 * previous one was still running (or the event loop was blocked) are caught up, oldest first,
 * up to `maxCatchUp`; older ones are counted as missed so that an overloaded generator sheds
 * work instead of falling ever further behind.
 */

/** The first tick at or after `now`: `ceil(now / tickMs) * tickMs`. */
export function tickAtOrAfter(now: number, tickMs: number): number {
  return Math.ceil(now / tickMs) * tickMs;
}

/** The last tick at or before `now`. */
export function tickAtOrBefore(now: number, tickMs: number): number {
  return Math.floor(now / tickMs) * tickMs;
}

export interface TickPlan {
  /** Ticks to run now, oldest first (empty when the next tick is not yet due). */
  run: number[];
  /** Ticks that came due but are skipped (too far behind to catch up). */
  missed: number;
  /** Wall-clock time at which to plan again. */
  wakeAt: number;
}

/**
 * Decides what to do at `now`, given the last tick that was run (`undefined` before the first).
 * The first tick is the next multiple of `tickMs` at or after `now`: a service never writes
 * samples for a time before it started.
 */
export function planTicks(
  lastTick: number | undefined,
  now: number,
  tickMs: number,
  maxCatchUp: number,
): TickPlan {
  const next = lastTick === undefined ? tickAtOrAfter(now, tickMs) : lastTick + tickMs;
  if (next > now) return { run: [], missed: 0, wakeAt: next };
  const newest = tickAtOrBefore(now, tickMs);
  const due = (newest - next) / tickMs + 1;
  const runCount = Math.min(due, Math.max(1, maxCatchUp));
  const run: number[] = [];
  for (let t = newest - (runCount - 1) * tickMs; t <= newest; t += tickMs) run.push(t);
  return { run, missed: due - runCount, wakeAt: newest + tickMs };
}
