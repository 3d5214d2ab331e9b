import type { Logger } from 'pino';
import type { MetricsDatabase } from '../db.js';
import type { GeneratorMetrics } from '../metrics.js';
import { createExporterWorker, createTickStart, type ExporterWorker } from './exporter-worker.js';
import { createNodeParser } from './node-parser.js';
import { createScraper, type Scraper } from './scraper.js';
import type { ExporterTarget } from './targets.js';

/**
 * The workers of the real servers. `apply` takes a whole new target list (the environment's
 * targets plus the file_sd file's, on each change of the file): a target whose name and URL are
 * unchanged keeps its worker, hence its last reading and state; new names get database keys.
 */
export interface RealServers {
  readonly workers: readonly ExporterWorker[];
  /** Returns whether the list changed. The connections of removed targets are closed. */
  apply(targets: readonly ExporterTarget[]): boolean;
  /** Closes every target's connection. */
  close(): Promise<void>;
}

export interface RealServersOptions {
  db: MetricsDatabase;
  metrics: GeneratorMetrics;
  log: Logger;
  tickMs: number;
  timeoutMs: number;
  mountPoint: string;
  now?: () => number;
  scraper?: Scraper;
}

const sameTarget = (a: ExporterTarget, b: ExporterTarget) =>
  a.id === b.id && a.url === b.url && JSON.stringify(a.labels) === JSON.stringify(b.labels);

export function createRealServers(opts: RealServersOptions): RealServers {
  const log = opts.log.child({ module: 'node-exporter' });
  // A connection still opening when its scrape's deadline passed is closed soon after.
  const scraper =
    opts.scraper ?? createScraper({ connectTimeoutMs: Math.max(1_000, opts.timeoutMs) });
  const parser = createNodeParser();
  const tickStart = createTickStart(opts.now ?? Date.now);
  const { metrics } = opts;
  let workers: readonly ExporterWorker[] = [];

  const onScrape = (target: ExporterTarget, result: string, ms: number) => {
    metrics.exporterScrapes.inc({ target: target.id, result });
    metrics.exporterScrapeDuration.observe(ms / 1000);
    const up = result === 'ok' || result === 'baseline' || result === 'reset';
    metrics.exporterUp.set({ target: target.id }, up ? 1 : 0);
  };

  return {
    get workers() {
      return workers;
    },
    apply(targets) {
      const old = new Map(workers.map((w) => [w.target.id, w]));
      const unchanged =
        targets.length === workers.length &&
        targets.every((t, i) => sameTarget(t, workers[i]!.target));
      if (unchanged) return false;
      const keys = opts.db.keysFor(targets.map((t) => t.id));
      workers = targets.map((target) => {
        const before = old.get(target.id);
        if (before && sameTarget(before.target, target)) return before;
        return createExporterWorker({
          target,
          key: keys.get(target.id)!,
          scraper,
          tickMs: opts.tickMs,
          timeoutMs: opts.timeoutMs,
          mountPoint: opts.mountPoint,
          parser,
          tickStart,
          now: opts.now,
          onScrape,
        });
      });
      const kept = new Set(targets.map((t) => t.id));
      const urls = new Set(targets.map((t) => t.url));
      for (const [id, w] of old) {
        if (!kept.has(id)) metrics.exporterUp.remove({ target: id });
        if (!urls.has(w.target.url)) {
          scraper.drop(w.target.url).catch((err: Error) => log.warn({ err }, 'closing a target'));
        }
      }
      log.info({ targets: targets.map((t) => `${t.id}=${t.url}`) }, 'node_exporter targets');
      return true;
    },
    close: () => scraper.close(),
  };
}
