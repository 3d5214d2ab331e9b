import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { MetricsDatabase } from '../../src/db.js';
import { createMetrics } from '../../src/metrics.js';
import { createRealServers } from '../../src/node-exporter/real-servers.js';
import type { Scraper } from '../../src/node-exporter/scraper.js';
import { parseTargetList } from '../../src/node-exporter/targets.js';

/** A scraper that records which connections were closed. */
function recordingScraper() {
  const dropped: string[] = [];
  let closed = false;
  const scraper: Scraper = {
    get: () => Promise.reject(new Error('not scraped here')),
    drop: async (url) => void dropped.push(url),
    close: async () => void (closed = true),
  };
  return { scraper, dropped, closed: () => closed };
}

function realServers(scraper: Scraper) {
  const db = {
    keysFor: (ids: readonly string[]) => new Map(ids.map((id, i) => [id, 1_000_000 + i])),
  } as unknown as MetricsDatabase;
  return createRealServers({
    db,
    metrics: createMetrics({ defaultMetrics: false }),
    log: pino({ level: 'silent' }),
    tickMs: 1000,
    timeoutMs: 250,
    mountPoint: '/',
    scraper,
  });
}

describe('createRealServers', () => {
  it('closes the connections of removed and moved targets, keeps the others', async () => {
    const r = recordingScraper();
    const real = realServers(r.scraper);
    expect(real.apply(parseTargetList('a=10.0.0.1:9100,b=10.0.0.2:9100,c=10.0.0.3:9100'))).toBe(
      true,
    );
    const [a] = real.workers;
    // b removed, c moved to another port, a unchanged (same worker).
    expect(real.apply(parseTargetList('a=10.0.0.1:9100,c=10.0.0.3:9200'))).toBe(true);
    expect(real.workers[0]).toBe(a);
    expect(r.dropped.map((u) => new URL(u).host).sort()).toEqual([
      '10.0.0.2:9100',
      '10.0.0.3:9100',
    ]);
    expect(real.apply(parseTargetList('a=10.0.0.1:9100,c=10.0.0.3:9200'))).toBe(false);
    expect(r.dropped).toHaveLength(2);
    await real.close();
    expect(r.closed()).toBe(true);
  });
});
