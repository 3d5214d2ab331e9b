import { describe, expect, it } from 'vitest';
import { createExporterWorker, createTickStart } from '../../src/node-exporter/exporter-worker.js';
import type { NodeParser } from '../../src/node-exporter/node-parser.js';
import { ScrapeError } from '../../src/node-exporter/scrape-error.js';
import type { Scraper } from '../../src/node-exporter/scraper.js';
import { parseTargetList } from '../../src/node-exporter/targets.js';
import { createSampleColumns } from '../../src/simulation.js';

const TICK_MS = 1000;
const TIMEOUT_MS = 250;

/** Workers on a hand-driven clock whose scraper records what it was asked and times out. */
function harness(targets: string) {
  let clock = 0;
  const asked: Array<{ url: string; budgetMs: number; timeoutMs?: number }> = [];
  const scraper: Scraper = {
    get(url, budgetMs, timeoutMs) {
      asked.push({ url, budgetMs, timeoutMs });
      return Promise.reject(new ScrapeError('timeout', `no answer within ${timeoutMs} ms`));
    },
    drop: async () => {},
    close: async () => {},
  };
  const parser: NodeParser = { read: () => Promise.reject(new Error('not reached')) };
  const now = () => clock;
  const tickStart = createTickStart(now);
  const workers = parseTargetList(targets).map((target, i) =>
    createExporterWorker({
      target,
      key: 1_000_000 + i,
      scraper,
      tickMs: TICK_MS,
      timeoutMs: TIMEOUT_MS,
      mountPoint: '/',
      parser,
      now,
      tickStart,
    }),
  );
  return {
    workers,
    asked,
    advance: (ms: number) => void (clock += ms),
    set: (ms: number) => void (clock = ms),
  };
}

describe('createExporterWorker', () => {
  it("gives every target of a tick the tick's deadline, not one from its own start", async () => {
    const h = harness('a=10.0.0.1:9100,b=10.0.0.2:9100');
    const out = createSampleColumns(2);
    h.set(5_000);
    const a = h.workers[0]!.sample(5_000, out, 0);
    h.advance(30); // the loop sending the requests took 30 ms to reach b
    const b = h.workers[1]!.sample(5_000, out, 1);
    await Promise.all([a, b]);
    expect(h.asked.map((x) => [x.budgetMs, x.timeoutMs])).toEqual([
      [250, 250],
      [220, 250],
    ]);
    // The next tick has a deadline of its own.
    h.set(6_010);
    await h.workers[1]!.sample(6_000, out, 1);
    expect(h.asked[2]).toMatchObject({ budgetMs: 250 });
    expect(out.cpuPct[1]).toBeNaN();
    expect(h.workers[1]!.state()).toMatchObject({
      up: false,
      lastError: 'no answer within 250 ms',
    });
  });

  it('never scrapes past 50 ms before the next tick, and not at all when the tick is that late', async () => {
    const h = harness('a=10.0.0.1:9100');
    const out = createSampleColumns(1);
    h.set(5_800); // 800 ms late: 150 ms left before the margin
    await h.workers[0]!.sample(5_000, out, 0);
    expect(h.asked).toMatchObject([{ budgetMs: 150, timeoutMs: 250 }]);
    h.set(6_960);
    await h.workers[0]!.sample(6_000, out, 0);
    expect(h.asked).toHaveLength(1);
    expect(h.workers[0]!.state().lastError).toBe('tick started too late to scrape in time');
  });
});
