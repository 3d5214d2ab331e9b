import { describe, expect, it } from 'vitest';
import { createParseQueue } from '../../src/node-exporter/parse-queue.js';

/** A queue on a hand-driven scheduler and clock: each job "takes" `costMs`. */
function harness(sliceMs: number, costMs: number) {
  let clock = 0;
  const slices: Array<() => void> = [];
  const queue = createParseQueue({ sliceMs, schedule: (fn) => slices.push(fn), now: () => clock });
  const ran: number[][] = [];
  const runSlice = () => {
    const fn = slices.shift();
    if (!fn) return false;
    ran.push([]);
    fn();
    return true;
  };
  const job = (id: number) => () => {
    ran.at(-1)!.push(id);
    clock += costMs;
    return id * 10;
  };
  return { queue, slices, ran, runSlice, job };
}

describe('createParseQueue', () => {
  it('runs nothing at once: jobs wait for the next slice, in order', async () => {
    const h = harness(4, 1);
    const results = [1, 2, 3].map((id) => h.queue.run(h.job(id)));
    expect(h.ran).toEqual([]);
    expect(h.slices).toHaveLength(1); // one slice scheduled for all three
    h.runSlice();
    expect(h.ran).toEqual([[1, 2, 3]]);
    expect(await Promise.all(results)).toEqual([10, 20, 30]);
  });

  it('gives the event loop a turn after each slice of sliceMs', () => {
    const h = harness(4, 1.5);
    for (let id = 1; id <= 7; id++) void h.queue.run(h.job(id));
    while (h.runSlice());
    // 1.5 ms each: the third job crosses 4 ms, then the slice ends.
    expect(h.ran).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(h.slices).toHaveLength(0);
  });

  it('rejects the job that throws and goes on with the others', async () => {
    const h = harness(4, 0);
    const bad = h.queue.run(() => {
      throw new Error('bad answer');
    });
    const good = h.queue.run(h.job(2));
    h.runSlice();
    await expect(bad).rejects.toThrow('bad answer');
    await expect(good).resolves.toBe(20);
  });

  it('schedules a new slice for jobs queued after the queue ran dry', async () => {
    const h = harness(4, 0);
    void h.queue.run(h.job(1));
    h.runSlice();
    const later = h.queue.run(h.job(2));
    expect(h.slices).toHaveLength(1);
    h.runSlice();
    await expect(later).resolves.toBe(20);
    expect(h.ran).toEqual([[1], [2]]);
  });

  it('runs on the real event loop by default', async () => {
    const queue = createParseQueue();
    expect(await Promise.all([queue.run(() => 'a'), queue.run(() => 'b')])).toEqual(['a', 'b']);
  });
});
