import { describe, expect, it } from 'vitest';
import {
  NO_TICK,
  backoffDelay,
  createPoller,
  defaultTiming,
  isDue,
  onFailure,
  onNoTick,
  onTick,
  wantedAfter,
  withSubscribers,
  type PollerState,
} from '../src/poller.js';

const timing = defaultTiming(1000); // coalescing window 100 ms
const T = 1_800_000_000_000; // a tick (multiple of 1000)

function polling(overrides: Partial<PollerState> = {}): PollerState {
  return { ...withSubscribers(createPoller('server-1'), 1, T, T + 5), ...overrides };
}

describe('poller state machine', () => {
  it('starts idle and is never due while nobody watches', () => {
    const p = createPoller('server-1');
    expect(p.phase).toBe('idle');
    expect(isDue(p, T + 10_000_000)).toBe(false);
    expect(withSubscribers(p, 0, T, T)).toBe(p);
  });

  it('starts polling on the first subscriber, after the tick subscribe already served', () => {
    const p = withSubscribers(createPoller('server-1'), 2, T, T + 310);
    expect(p).toMatchObject({
      phase: 'polling',
      subscribers: 2,
      lastEmittedTick: T,
      dueAt: T + 310,
    });
    expect(isDue(p, T + 309)).toBe(false);
    expect(isDue(p, T + 310)).toBe(true);
    expect(wantedAfter(p, timing)).toBe(T + 999);
  });

  it('keeps its schedule when the subscriber count changes but stays positive', () => {
    const p = polling({ dueAt: T + 700 });
    expect(withSubscribers(p, 5, T + 2000, T + 3000)).toMatchObject({
      subscribers: 5,
      dueAt: T + 700,
    });
  });

  it('keeps what it emitted across an idle spell, so a returning watcher never gets a repeat', () => {
    const emitted = onTick(polling(), T + 1000, true, T + 1004, timing).state;
    const idle = withSubscribers(emitted, 0, T + 1000, T + 1100);
    const back = withSubscribers(idle, 1, T + 1000, T + 1500);
    expect(back).toMatchObject({ phase: 'polling', lastEmittedTick: T + 1000, dueAt: T + 1500 });
    expect(onTick(back, T + 1000, true, T + 1501, timing).emit).toBe(false);
  });

  it('goes idle when the room empties, and never emits while idle', () => {
    const idle = withSubscribers(polling(), 0, T, T);
    expect(idle).toMatchObject({ phase: 'idle', subscribers: 0 });
    const out = onTick(idle, T + 1000, true, T + 1003, timing);
    expect(out.emit).toBe(false);
    expect(out.state).toBe(idle);
    expect(onFailure(idle, T, 100)).toBe(idle);
  });

  it('emits a new tick once and is due again at once, asking past the next period', () => {
    const out = onTick(polling(), T + 1000, true, T + 1004, timing);
    expect(out.emit).toBe(true);
    expect(out.state).toMatchObject({
      lastEmittedTick: T + 1000,
      seenTick: T + 1000,
      dueAt: T + 1004,
    });
    // the generator holds this request until T + 2000 commits: phase-locked to its ticks
    expect(wantedAfter(out.state, timing)).toBe(T + 1999);
  });

  it('skips ticks closer than POLL_INTERVAL_MS when the generator ticks faster', () => {
    const slow = { pollIntervalMs: 3000, coalesceMs: 100 };
    const fresh = withSubscribers(createPoller('server-1'), 1, NO_TICK, T);
    let p = onTick(fresh, T + 1000, true, T + 1004, slow).state;
    expect(wantedAfter(p, slow)).toBe(T + 3999);
    const early = onTick(p, T + 2000, true, T + 2004, slow);
    expect(early.emit).toBe(false);
    p = early.state;
    expect(wantedAfter(p, slow)).toBe(T + 3999);
    expect(onTick(p, T + 4000, true, T + 4004, slow).emit).toBe(true);
  });

  it.each([
    ['the same tick again', T + 1000],
    ['an older tick', T],
  ])('never emits %s', (_name, tick) => {
    const after = onTick(polling(), T + 1000, true, T + 1004, timing).state;
    const again = onTick(after, tick, true, T + 1010, timing);
    expect(again.emit).toBe(false);
    expect(again.state.lastEmittedTick).toBe(T + 1000);
    // not before the coalescing window: a generator answering old ticks cannot spin the loop
    expect(again.state.dueAt).toBe(T + 1010 + timing.coalesceMs);
  });

  it('does not emit when its server is missing from a committed tick, and waits for the next', () => {
    const out = onTick(polling(), T + 1000, false, T + 1002, timing);
    expect(out.emit).toBe(false);
    expect(out.state).toMatchObject({ phase: 'polling', lastEmittedTick: T, seenTick: T + 1000 });
    expect(wantedAfter(out.state, timing)).toBe(T + 1000);
  });

  it('asks again after a 204 at the given time', () => {
    expect(onNoTick(polling(), T + 2300)).toMatchObject({ phase: 'polling', dueAt: T + 2300 });
  });

  it('backs off on failure, counts failures and recovers on the next answer', () => {
    let p = onFailure(polling(), T + 100, 120);
    expect(p).toMatchObject({ phase: 'backoff', failures: 1, dueAt: T + 220 });
    expect(isDue(p, T + 219)).toBe(false);
    p = onFailure(p, T + 220, 300);
    expect(p).toMatchObject({ phase: 'backoff', failures: 2, dueAt: T + 520 });
    const out = onTick(p, T + 1000, true, T + 1001, timing);
    expect(out.emit).toBe(true);
    expect(out.state).toMatchObject({ phase: 'polling', failures: 0 });
  });

  it('asks from the beginning when it never saw a tick', () => {
    const p = withSubscribers(createPoller('server-9'), 1, NO_TICK, T);
    expect(wantedAfter(p, timing)).toBe(0);
  });
});

describe('backoffDelay', () => {
  it.each([
    [1, 0, 50],
    [1, 0.999, 100],
    [2, 0, 100],
    [3, 0.5, 300],
    [4, 0, 250],
    [10, 0.999, 500],
  ])('failure %i with random %f waits %i ms', (failures, random, expected) => {
    expect(backoffDelay(failures, random)).toBe(expected);
  });

  it('stays within half to all of the capped step, so a restarted generator is retried within 0.5 s', () => {
    for (let f = 1; f < 30; f++) {
      for (const r of [0, 0.25, 0.5, 0.75, 0.9999]) {
        const d = backoffDelay(f, r);
        expect(d).toBeGreaterThanOrEqual(50);
        expect(d).toBeLessThanOrEqual(500);
      }
    }
  });
});
