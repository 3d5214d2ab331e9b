import { describe, expect, it } from 'vitest';
import {
  admit,
  createGate,
  finish,
  GateClosedError,
  leave,
  retryAfterMs,
  RETRY_AFTER_MAX_MS,
  RETRY_AFTER_MIN_MS,
  type QueueState,
} from '../src/history-queue.js';

const limits = { maxRunning: 4, maxWaiting: 2 };
const q = (running: number, waiting: number): QueueState => ({ running, waiting });

describe('history queue (pure)', () => {
  it.each([
    [q(0, 0), 'run', q(1, 0)],
    [q(3, 0), 'run', q(4, 0)],
    [q(4, 0), 'wait', q(4, 1)],
    [q(4, 1), 'wait', q(4, 2)],
    [q(4, 2), 'refuse', q(4, 2)],
    // Never jumps the queue: while some wait, a newcomer waits too.
    [q(3, 1), 'wait', q(3, 2)],
  ] as const)('admit %o → %s, %o', (state, admission, next) => {
    expect(admit(state, limits)).toEqual({ admission, state: next });
  });

  it.each([
    [q(1, 0), false, q(0, 0)],
    [q(4, 0), false, q(3, 0)],
    [q(4, 2), true, q(4, 1)],
    [q(4, 1), true, q(4, 0)],
    [q(0, 0), false, q(0, 0)],
  ] as const)('finish %o → startNext %s, %o', (state, startNext, next) => {
    expect(finish(state, limits)).toEqual({ startNext, state: next });
  });

  it('a waiting request that leaves frees its place', () => {
    expect(leave(q(4, 2))).toEqual(q(4, 1));
    expect(admit(leave(q(4, 2)), limits).admission).toBe('wait');
  });

  it.each([
    [q(4, 2), 300, 450],
    [q(4, 0), 100, RETRY_AFTER_MIN_MS],
    [q(4, 40), 500, 5_500],
    [q(4, 400), 500, RETRY_AFTER_MAX_MS],
  ] as const)('retry hint for %o at %i ms per read: %i ms', (state, typical, expected) => {
    expect(retryAfterMs(state, limits, typical)).toBe(expected);
  });
});

describe('history gate', () => {
  it('runs up to the limit, queues in order behind it, refuses past the queue', async () => {
    const gate = createGate({ maxRunning: 2, maxWaiting: 2 });
    const order: number[] = [];
    const entered = Array.from({ length: 5 }, (_, i) => {
      const p = gate.enter();
      return p?.then((release) => {
        order.push(i);
        return release;
      });
    });
    expect(entered[4]).toBeUndefined();
    expect(gate.state).toEqual({ running: 2, waiting: 2 });
    const r0 = await entered[0]!;
    const r1 = await entered[1]!;
    expect(order).toEqual([0, 1]);
    r1();
    r1(); // releasing twice counts once
    const r2 = await entered[2]!;
    expect(order).toEqual([0, 1, 2]);
    expect(gate.state).toEqual({ running: 2, waiting: 1 });
    r0();
    const r3 = await entered[3]!;
    expect(order).toEqual([0, 1, 2, 3]);
    r2();
    r3();
    expect(gate.state).toEqual({ running: 0, waiting: 0 });
  });

  it('close rejects the waiting ones and refuses newcomers; the running ones finish', async () => {
    const gate = createGate({ maxRunning: 1, maxWaiting: 3 });
    const running = await gate.enter()!;
    const waiting = gate.enter()!;
    gate.close();
    await expect(waiting).rejects.toBeInstanceOf(GateClosedError);
    expect(gate.enter()).toBeUndefined();
    running();
    expect(gate.state).toEqual({ running: 0, waiting: 0 });
  });
});
