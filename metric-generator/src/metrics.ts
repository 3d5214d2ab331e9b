import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one app instance, in its own registry (never the global one). */
export interface GeneratorMetrics {
  readonly registry: Registry;
  ticks: Counter<'result'>;
  tickDuration: Histogram;
  tickLag: Histogram;
  missedTicks: Counter;
  caughtUpTicks: Counter;
  rowsWritten: Counter;
  rowsPruned: Counter;
  lastTick: Gauge;
  servers: Gauge;
  longPollWaiters: Gauge;
  checkpointDuration: Histogram;
  foldDuration: Histogram;
  rowsFolded: Counter;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'route'>;
  historyRejected: Counter;
  historyQueued: Gauge;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): GeneratorMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true)
    collectDefaultMetrics({ register: registry, prefix: 'generator_' });
  const registers = [registry];
  return {
    registry,
    ticks: new Counter({
      name: 'generator_ticks_total',
      help: 'Ticks run, by result (ok: committed; failed: not committed)',
      labelNames: ['result'],
      registers,
    }),
    tickDuration: new Histogram({
      name: 'generator_tick_duration_seconds',
      help: 'Work of one tick: sample every server, commit, publish',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    tickLag: new Histogram({
      name: 'generator_tick_lag_seconds',
      help: 'Delay between a tick’s wall-clock time and the start of its work',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    missedTicks: new Counter({
      name: 'generator_missed_ticks_total',
      help: 'Ticks skipped because the generator was too far behind to catch up',
      registers,
    }),
    caughtUpTicks: new Counter({
      name: 'generator_caught_up_ticks_total',
      help: 'Ticks run late, after a later tick had already come due',
      registers,
    }),
    rowsWritten: new Counter({
      name: 'generator_rows_written_total',
      help: 'Sample rows committed',
      registers,
    }),
    rowsPruned: new Counter({
      name: 'generator_rows_pruned_total',
      help: 'Sample rows deleted by retention',
      registers,
    }),
    lastTick: new Gauge({
      name: 'generator_last_committed_tick_seconds',
      help: 'Wall-clock time of the last committed tick (Unix seconds)',
      registers,
    }),
    servers: new Gauge({ name: 'generator_servers', help: 'Servers sampled per tick', registers }),
    longPollWaiters: new Gauge({
      name: 'generator_long_poll_waiters',
      help: 'Requests to /v1/latest held until the next tick',
      registers,
    }),
    checkpointDuration: new Histogram({
      name: 'generator_wal_checkpoint_duration_seconds',
      help: 'Duration of the WAL checkpoint after each commit',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    foldDuration: new Histogram({
      name: 'generator_fold_duration_seconds',
      help: 'Duration of one fold step (staged ticks copied into samples) after a commit',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    rowsFolded: new Counter({
      name: 'generator_rows_folded_total',
      help: 'Sample rows copied from the staging tables into samples',
      registers,
    }),
    httpRequests: new Counter({
      name: 'generator_http_requests_total',
      help: 'HTTP requests by method, route and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    }),
    httpDuration: new Histogram({
      name: 'generator_http_request_duration_seconds',
      help: 'HTTP request duration by route (long polls include the wait)',
      labelNames: ['route'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5],
      registers,
    }),
    historyRejected: new Counter({
      name: 'generator_history_rejected_total',
      help: 'History reads refused with 503 because every reader was busy and the queue full',
      registers,
    }),
    historyQueued: new Gauge({
      name: 'generator_history_queued',
      help: 'History reads waiting for a reader worker',
      registers,
    }),
  };
}
