import { describe, expect, it } from 'vitest';
import { createSampler, YIELD_EVERY_WORKERS, type ServerWorker } from '../src/sampler.js';
import { fleetServers } from '../src/server-ids.js';

/** Workers that write their slot number as the CPU value, synchronously. */
function workers(n: number, fail?: number): ServerWorker[] {
  return fleetServers(n, false).map((server, slot) => ({
    server,
    sample(_tick, out, s) {
      if (slot === fail) return Promise.reject(new Error(`worker ${slot} failed`));
      out.cpuPct[s] = slot;
      return Promise.resolve();
    },
  }));
}

describe('sampler', () => {
  it('lets other callbacks run while a large fleet is sampled, and samples every worker', async () => {
    const n = YIELD_EVERY_WORKERS * 2 + 5;
    const sampler = createSampler(workers(n));
    let ranDuring = false;
    setImmediate(() => (ranDuring = true));
    await sampler.sampleTick(1000);
    expect(ranDuring).toBe(true);
    expect(sampler.columns.cpuPct[0]).toBe(0);
    expect(sampler.columns.cpuPct[n - 1]).toBe(n - 1);
  });

  it('a small fleet is sampled without leaving the current turn', async () => {
    const sampler = createSampler(workers(100));
    let ranDuring = false;
    setImmediate(() => (ranDuring = true));
    await sampler.sampleTick(1000);
    expect(ranDuring).toBe(false);
  });

  it('a worker that fails before a turn passes rejects the tick, and nothing is left unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const sampler = createSampler(workers(YIELD_EVERY_WORKERS * 3, 7));
      await expect(sampler.sampleTick(1000)).rejects.toThrow('worker 7 failed');
      await new Promise((r) => setTimeout(r, 10));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
