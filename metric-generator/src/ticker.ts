/**
 * The tick loop: wakes at each wall-clock multiple of `tickMs` (a fresh timer per tick, so there
 * is no `setInterval` drift), samples every server, commits the tick in one transaction and
 * publishes it to the latest cache, then spends what is left before the next tick on folding
 * staged ticks into `samples`, the WAL checkpoint and retention. Late ticks are caught up (up to
 * `maxCatchUp`) or counted as missed, never shifted. A failed commit is logged and counted; the
 * next tick tries again.
 */
import type { Logger } from 'pino';
import type { MetricsDatabase } from './db.js';
import type { Fold } from './fold.js';
import type { LatestCache } from './latest-cache.js';
import type { GeneratorMetrics } from './metrics.js';
import type { Retention } from './retention.js';
import type { Sampler } from './sampler.js';
import { planTicks, tickAtOrAfter } from './schedule.js';

/** What `/healthz` reports of the tick loop. */
export interface TickerStatus {
  startedAt: number;
  /** Tick (epoch ms) of the last commit, and when it finished. */
  lastCommittedTick: number | undefined;
  lastCommittedAt: number | undefined;
  /** The last failure, cleared by the next successful commit. */
  lastError: { tick: number; message: string; at: number } | undefined;
  consecutiveFailures: number;
  missedTicks: number;
  running: boolean;
}

export interface Ticker {
  start(): void;
  /** Stops scheduling and waits for the tick (and maintenance) in flight to finish. */
  stop(): Promise<void>;
  status(): TickerStatus;
}

/** Timings of one committed tick, in milliseconds. */
export interface TickReport {
  tick: number;
  /** From the tick's wall-clock time to the start of its work. */
  lagMs: number;
  /** All workers (`Promise.all`). */
  sampleMs: number;
  /** The one transaction. */
  writeMs: number;
  /** Serializing the samples for the latest cache and waking long polls. */
  publishMs: number;
  /** The whole tick: sample + write + publish. */
  workMs: number;
}

/** Timings of the maintenance after a committed tick (off the tick's critical path), in ms. */
export interface MaintenanceReport {
  tick: number;
  foldMs: number;
  foldRows: number;
  checkpointMs: number;
  retentionMs: number;
}

export interface TickerOptions {
  tickMs: number;
  sampler: Sampler;
  db: MetricsDatabase;
  latest: LatestCache;
  metrics: GeneratorMetrics;
  retention: Retention;
  fold: Fold;
  log: Logger;
  /** How many due ticks are run when late; older ones are missed. */
  maxCatchUp?: number;
  now?: () => number;
  /** Called after each committed tick (benchmarks, diagnostics). */
  onTick?: (report: TickReport) => void;
  /** Called after each maintenance pass. */
  onMaintenance?: (report: MaintenanceReport) => void;
}

/** Maintenance stops this long before the next tick is due. */
const MAINTENANCE_MARGIN_MS = 15;

export function createTicker({
  tickMs,
  sampler,
  db,
  latest,
  metrics,
  retention,
  fold,
  log: parentLog,
  maxCatchUp = 3,
  now = Date.now,
  onTick,
  onMaintenance,
}: TickerOptions): Ticker {
  const log = parentLog.child({ module: 'ticker' });
  const status: TickerStatus = {
    startedAt: now(),
    lastCommittedTick: undefined,
    lastCommittedAt: undefined,
    lastError: undefined,
    consecutiveFailures: 0,
    missedTicks: 0,
    running: false,
  };
  let lastTick: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let loop: Promise<void> | undefined;
  let stopped = false;

  const arm = (at: number) => {
    timer = setTimeout(
      () => {
        timer = undefined;
        loop = wake().finally(() => (loop = undefined));
      },
      Math.max(0, at - now()),
    );
  };

  async function runTick(tick: number): Promise<void> {
    const started = now();
    const t0 = performance.now();
    metrics.tickLag.observe(Math.max(0, started - tick) / 1000);
    let t1: number;
    let t2: number;
    let count: number;
    let rows: number;
    try {
      await sampler.sampleTick(tick);
      // After sampling: the server set may change between ticks (see Sampler.setWorkers).
      count = sampler.servers.length;
      t1 = performance.now();
      rows = db.writeTick(tick, sampler.keys, sampler.columns, count);
      t2 = performance.now();
    } catch (err) {
      status.consecutiveFailures++;
      status.lastError = { tick, message: (err as Error).message, at: now() };
      metrics.ticks.inc({ result: 'failed' });
      log.error({ err, tick, consecutiveFailures: status.consecutiveFailures }, 'tick failed');
      return;
    }
    latest.publish(tick, sampler.servers, sampler.columns, count);
    const t3 = performance.now();
    const done = now();
    if (status.consecutiveFailures > 0) {
      log.info({ tick, after: status.consecutiveFailures }, 'ticks commit again');
    }
    status.consecutiveFailures = 0;
    status.lastError = undefined;
    status.lastCommittedTick = tick;
    status.lastCommittedAt = done;
    metrics.ticks.inc({ result: 'ok' });
    metrics.rowsWritten.inc(rows);
    metrics.tickDuration.observe((t3 - t0) / 1000);
    metrics.lastTick.set(tick / 1000);
    onTick?.({
      tick,
      lagMs: Math.max(0, started - tick),
      sampleMs: t1 - t0,
      writeMs: t2 - t1,
      publishMs: t3 - t2,
      workMs: t3 - t0,
    });
  }

  async function maintain(tick: number): Promise<void> {
    const deadline = tick + tickMs - MAINTENANCE_MARGIN_MS;
    const keepGoing = () => !stopped && now() < deadline;
    try {
      // The fold first: it must progress every tick or staging grows; the checkpoint then copies
      // the pages of both the commit and the fold.
      const t0 = performance.now();
      const step = await fold.runSlice(tick, keepGoing);
      const t1 = performance.now();
      db.checkpoint('PASSIVE');
      const t2 = performance.now();
      await retention.runSlice(tick, keepGoing);
      const t3 = performance.now();
      const foldRows = step.kind === 'copied' ? step.rows : 0;
      if (step.kind !== 'idle' && step.kind !== 'skipped') {
        metrics.foldDuration.observe((t1 - t0) / 1000);
        metrics.rowsFolded.inc(foldRows);
      }
      metrics.checkpointDuration.observe((t2 - t1) / 1000);
      onMaintenance?.({
        tick,
        foldMs: t1 - t0,
        foldRows,
        checkpointMs: t2 - t1,
        retentionMs: t3 - t2,
      });
    } catch (err) {
      log.warn({ err }, 'maintenance failed');
    }
  }

  async function wake(): Promise<void> {
    if (stopped) return;
    const plan = planTicks(lastTick, now(), tickMs, maxCatchUp);
    if (plan.missed > 0) {
      status.missedTicks += plan.missed;
      metrics.missedTicks.inc(plan.missed);
      log.warn({ missed: plan.missed, tick: plan.run[0] }, 'ticks missed: too far behind');
    }
    if (plan.run.length > 1) metrics.caughtUpTicks.inc(plan.run.length - 1);
    for (const tick of plan.run) {
      if (stopped) return;
      await runTick(tick);
      lastTick = tick;
    }
    if (stopped) return;
    if (lastTick !== undefined && plan.run.length) {
      // Let the long polls the commit woke write their answers first: their continuations run as
      // microtasks, and maintenance starts with synchronous SQLite work (fold slice, checkpoint)
      // that would otherwise hold those answers back by its whole duration.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (stopped) return;
      await maintain(lastTick);
    }
    if (!stopped) arm(lastTick === undefined ? plan.wakeAt : lastTick + tickMs);
  }

  return {
    start() {
      if (status.running || stopped) return;
      status.running = true;
      status.startedAt = now();
      // As if the tick before the first had run: a timer that fires late still runs the first tick.
      const first = tickAtOrAfter(now(), tickMs);
      lastTick = first - tickMs;
      arm(first);
    },
    async stop() {
      stopped = true;
      status.running = false;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await loop;
    },
    status: () => ({ ...status }),
  };
}
