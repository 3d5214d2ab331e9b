import type { ScrapeState } from '@metrics/protocol';
import type { ServerWorker } from '../sampler.js';
import type { ServerRef } from '../server-ids.js';
import type { SampleColumns } from '../simulation.js';
import { nodeSample, type NodeReading } from './node-reading.js';
import type { NodeParser } from './node-parser.js';
import { ScrapeError } from './scrape-error.js';
import type { Scraper } from './scraper.js';
import type { ExporterTarget } from './targets.js';

/**
 * The worker of one real server: one scrape of its node_exporter per tick. The scrape is
 * aborted at the tick's deadline (`timeoutMs` after the tick's sampling started, and never past
 * the next tick's start), so a hung target costs its own sample and nothing else. A tick without a sample writes NaN in
 * the server's slot: the commit skips the row (a gap in history), `/v1/latest` leaves it out and
 * the fleet frame marks it missing.
 */
export type ScrapeResult =
  | 'ok'
  /** Answered, but there was no usable earlier reading (first scrape, after a gap). */
  | 'baseline'
  /** Answered, but a counter went backwards since the last reading. */
  | 'reset'
  | 'timeout'
  | 'network'
  | 'http'
  | 'bad_answer';

export interface ExporterWorker extends ServerWorker {
  readonly target: ExporterTarget;
  state(): ScrapeState;
}

export interface ExporterWorkerOptions {
  target: ExporterTarget;
  key: number;
  scraper: Scraper;
  tickMs: number;
  /** Longest a scrape may take. */
  timeoutMs: number;
  /** The filesystem whose use is `diskPct`. */
  mountPoint: string;
  /** Where the answer becomes a reading (shared by every target of the generator). */
  parser: NodeParser;
  /**
   * When the sampling of `tick` started (shared by every target of the generator, see
   * `createTickStart`); default: when this worker's scrape starts.
   */
  tickStart?: (tick: number) => number;
  now?: () => number;
  /** After each scrape: its result and how long scrape + parse took (ms). */
  onScrape?: (target: ExporterTarget, result: ScrapeResult, ms: number) => void;
}

/** A scrape ends at least this long before the next tick is due. */
const TICK_MARGIN_MS = 50;

/**
 * The start of each tick's scrapes: the time of the first call for that tick. The sampler starts
 * every worker of a tick in one loop (sampler.ts), so the first target's start is the tick's, and
 * all targets share one deadline. Measured from each scrape's own start instead, the deadlines
 * spread over the loop that sends the requests (6 ms at 1,000 targets on a quiet machine, 40 ms
 * on a busy one), and the tick waited that much longer for the last ones.
 */
export function createTickStart(now: () => number): (tick: number) => number {
  let tick = NaN;
  let start = 0;
  return (t) => {
    if (t !== tick) {
      tick = t;
      start = now();
    }
    return start;
  };
}

/** Writes "no sample" into a slot of the tick's columns. */
export function markMissing(out: SampleColumns, slot: number): void {
  out.cpuPct[slot] = NaN;
  out.memPct[slot] = NaN;
  out.diskPct[slot] = NaN;
  out.netRxBps[slot] = NaN;
  out.netTxBps[slot] = NaN;
  out.load1[slot] = NaN;
}

export function createExporterWorker({
  target,
  key,
  scraper,
  tickMs,
  timeoutMs,
  mountPoint,
  parser,
  now = Date.now,
  tickStart = () => now(),
  onScrape,
}: ExporterWorkerOptions): ExporterWorker {
  const server: ServerRef = { id: target.id, key };
  /** The reading of the previous tick, if that tick's scrape succeeded. */
  let prev: { tick: number; reading: NodeReading } | undefined;
  let state: ScrapeState = {
    up: false,
    since: now(),
    url: target.url,
    lastError: 'not scraped yet',
  };

  const setState = (up: boolean, lastError?: string) => {
    if (up === state.up && lastError === state.lastError) return;
    state = {
      up,
      since: up === state.up ? state.since : now(),
      url: target.url,
      ...(lastError === undefined ? {} : { lastError }),
    };
  };

  async function scrape(tick: number): Promise<{ result: ScrapeResult; reading?: NodeReading }> {
    const deadline = Math.min(tickStart(tick) + timeoutMs, tick + tickMs - TICK_MARGIN_MS);
    const budget = deadline - now();
    if (budget <= 0) throw new ScrapeError('timeout', 'tick started too late to scrape in time');
    const body = await scraper.get(target.url, budget, timeoutMs);
    // The answer is in: the deadline is met. Its reading is taken at its arrival and parsed
    // off the sockets' way (node-parser.ts); a body that is no answer fails as `bad_answer`.
    return { result: 'ok', reading: await parser.read(body, now(), mountPoint) };
  }

  return {
    server,
    target,
    state: () => state,
    info: () => ({
      id: target.id,
      source: 'node_exporter',
      labels: { ...target.labels },
      scrape: state,
    }),
    async sample(tick, out, slot) {
      const t0 = performance.now();
      let result: ScrapeResult;
      try {
        const { reading } = await scrape(tick);
        const usable = prev && prev.tick === tick - tickMs ? prev.reading : undefined;
        const s = nodeSample(usable, reading!);
        prev = { tick, reading: reading! };
        setState(true);
        if (s.ok) {
          const v = s.values;
          out.cpuPct[slot] = v.cpuPct;
          out.memPct[slot] = v.memPct;
          out.diskPct[slot] = v.diskPct;
          out.netRxBps[slot] = v.netRxBps;
          out.netTxBps[slot] = v.netTxBps;
          out.load1[slot] = v.load1;
          result = 'ok';
        } else {
          markMissing(out, slot);
          result = s.reason === 'reset' ? 'reset' : 'baseline';
        }
      } catch (err) {
        markMissing(out, slot);
        prev = undefined;
        const e =
          err instanceof ScrapeError ? err : new ScrapeError('network', (err as Error).message);
        result = e.kind;
        setState(false, e.message);
      }
      onScrape?.(target, result, performance.now() - t0);
    },
  };
}
