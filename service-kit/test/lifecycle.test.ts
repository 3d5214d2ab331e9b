import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handleShutdown } from '../src/lifecycle.js';

const log = pino({ level: 'silent' });

/** A fake process: emit its signals and errors, read how it exited. */
function setup(close: () => Promise<void>, deadlineMs = 10_000) {
  const events = new EventEmitter();
  const exits: number[] = [];
  const shutdown = handleShutdown({ log, close, deadlineMs, events, exit: (c) => exits.push(c) });
  return { events, exits, shutdown };
}

/** A `close()` that finishes when the test says so. */
function deferredClose() {
  let finish!: () => void;
  let fail!: (err: Error) => void;
  const close = vi.fn(
    () =>
      new Promise<void>((resolve, reject) => {
        finish = resolve;
        fail = reject;
      }),
  );
  return { close, finish: () => finish(), fail: (err: Error) => fail(err) };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('handleShutdown', () => {
  it.each(['SIGTERM', 'SIGINT'])('exits 0 once close() is over after %s', async (signal) => {
    const { close, finish } = deferredClose();
    const { events, exits } = setup(close);
    events.emit(signal);
    await vi.advanceTimersByTimeAsync(0);
    expect(close).toHaveBeenCalledOnce();
    expect(exits).toEqual([]);
    finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(exits).toEqual([0]);
  });

  it.each(['uncaughtException', 'unhandledRejection'])(
    'closes and exits 1 on %s',
    async (event) => {
      const { close, finish } = deferredClose();
      const { events, exits } = setup(close);
      events.emit(event, new Error('boom'));
      await vi.advanceTimersByTimeAsync(0);
      finish();
      await vi.advanceTimersByTimeAsync(0);
      expect(close).toHaveBeenCalledOnce();
      expect(exits).toEqual([1]);
    },
  );

  it('exits 1 at once on a second signal, without closing twice', async () => {
    const { close } = deferredClose();
    const { events, exits } = setup(close);
    events.emit('SIGTERM');
    events.emit('SIGTERM');
    await vi.advanceTimersByTimeAsync(0);
    expect(exits).toEqual([1]);
    expect(close).toHaveBeenCalledOnce();
  });

  it('exits 1 when close() fails', async () => {
    const { close, fail } = deferredClose();
    const { shutdown, exits } = setup(close);
    shutdown('test');
    await vi.advanceTimersByTimeAsync(0);
    fail(new Error('database is locked'));
    await vi.advanceTimersByTimeAsync(0);
    expect(exits).toEqual([1]);
  });

  it('exits 1 when close() throws before returning a promise', async () => {
    const { shutdown, exits } = setup(() => {
      throw new Error('not a promise');
    });
    shutdown('test');
    await vi.advanceTimersByTimeAsync(0);
    expect(exits).toEqual([1]);
  });

  it('exits 1 at the deadline when close() is still running', async () => {
    const { close } = deferredClose();
    const { shutdown, exits } = setup(close, 500);
    shutdown('test');
    await vi.advanceTimersByTimeAsync(499);
    expect(exits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(exits).toEqual([1]);
  });

  it('clears the deadline once closed', async () => {
    const { close, finish } = deferredClose();
    const { shutdown, exits } = setup(close, 500);
    shutdown('test', 3);
    await vi.advanceTimersByTimeAsync(0);
    finish();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(exits).toEqual([3]);
  });
});
