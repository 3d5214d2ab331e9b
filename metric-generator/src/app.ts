import express, { type Express } from 'express';
import { LATEST_IDS_MAX_CHARS } from '@metrics/protocol';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { openDatabase, type MetricsDatabase } from './db.js';
import { errorHandler, notFoundHandler } from './http/error-handler.js';
import { requestMetrics } from './http/request-metrics.js';
import { createHistoryPool, type HistoryPool } from './history-pool.js';
import { createHostWorker } from './host-worker.js';
import { createLatestCache, type LatestCache } from './latest-cache.js';
import { createMetrics, type GeneratorMetrics } from './metrics.js';
import { createRetention } from './retention.js';
import { healthRouter } from './routes/health-router.js';
import { historyRouter } from './routes/history-router.js';
import { latestRouter } from './routes/latest-router.js';
import { metricsRouter } from './routes/metrics-router.js';
import { serversRouter } from './routes/servers-router.js';
import { createSampler, simulatedWorker, type ServerWorker } from './sampler.js';
import { fleetServers, HOST_KEY, type ServerRef } from './server-ids.js';
import { createFleetSimulation } from './simulation.js';
import { createFold } from './fold.js';
import { createRealServers } from './node-exporter/real-servers.js';
import { openTargetsFile, type TargetsFile } from './node-exporter/targets-file.js';
import type { ExporterTarget } from './node-exporter/targets.js';
import { createServerCatalog } from './server-catalog.js';
import { createTicker, type MaintenanceReport, type Ticker, type TickReport } from './ticker.js';

export type AppConfig = Pick<
  Config,
  'serverCount' | 'tickMs' | 'dbPath' | 'retentionSeconds' | 'seed' | 'includeHost'
> &
  Partial<
    Pick<
      Config,
      | 'exporterTargets'
      | 'exporterTargetsFile'
      | 'exporterTimeoutMs'
      | 'exporterMount'
      | 'historyWorkers'
      | 'historyQueueMax'
    >
  >;

/** `HISTORY_WORKERS` and `HISTORY_QUEUE_MAX` when the caller does not say (config.ts defaults). */
const HISTORY_DEFAULTS = { historyWorkers: 2, historyQueueMax: 64 };

export interface AppOptions {
  config: AppConfig;
  log: Logger;
  /** Wall clock; tests may shift it. */
  now?: () => number;
  /** Default process metrics (CPU, heap, event loop) in the registry; on by default. */
  defaultMetrics?: boolean;
  /** Called after each committed tick with its timings. */
  onTick?: (report: TickReport) => void;
  /** Called after each maintenance pass (fold, checkpoint, retention) with its timings. */
  onMaintenance?: (report: MaintenanceReport) => void;
}

export interface GeneratorApp {
  /** The request handler; the caller listens (see main.ts). */
  readonly express: Express;
  /** The servers of the current tick (real servers come and go with the file_sd file). */
  readonly servers: readonly ServerRef[];
  readonly db: MetricsDatabase;
  readonly latest: LatestCache;
  readonly metrics: GeneratorMetrics;
  readonly ticker: Ticker;
  /** Where history reads run (worker threads or the tick's thread). */
  readonly history: HistoryPool;
  /** Starts ticking. */
  start(): void;
  /**
   * Stops ticking (finishing the tick in flight), releases long polls, lets history reads in
   * flight finish and stops their workers, closes the database.
   */
  close(): Promise<void>;
}

/**
 * Options of the generator's HTTP server: request heads up to twice the broadcaster's longest
 * `ids=` list (`LATEST_IDS_MAX_CHARS`), so a watch list of thousands of ids is one request.
 */
export const HTTP_SERVER_OPTIONS = { maxHeaderSize: 2 * LATEST_IDS_MAX_CHARS } as const;

/** Builds the generator from its configuration; never listens and never reads the environment. */
export function createApp({
  config,
  log,
  now = Date.now,
  defaultMetrics,
  onTick,
  onMaintenance,
}: AppOptions): GeneratorApp {
  const servers = fleetServers(config.serverCount, config.includeHost);
  const db = openDatabase({ path: config.dbPath, log });
  try {
    db.registerServers(servers);
  } catch (err) {
    db.close();
    throw err;
  }
  const simulated = servers.filter((s) => s.key !== HOST_KEY);
  const simulation = createFleetSimulation({
    seed: config.seed,
    servers: simulated.map((s) => s.key),
    tickMs: config.tickMs,
  });
  const workers: ServerWorker[] = simulated.map((s, i) => simulatedWorker(s, simulation, i));
  const host = config.includeHost ? createHostWorker({ dbPath: config.dbPath }) : undefined;
  if (host) workers.push(host);
  const metrics = createMetrics({ defaultMetrics });
  let real: ReturnType<typeof createRealServers> | undefined;
  let targetsFile: TargetsFile | undefined;
  const envTargets = config.exporterTargets ?? [];
  if (envTargets.length || config.exporterTargetsFile) {
    real = createRealServers({
      db,
      metrics,
      log,
      now,
      tickMs: config.tickMs,
      timeoutMs: config.exporterTimeoutMs ?? 250,
      mountPoint: config.exporterMount ?? '/',
    });
  }
  const sampler = createSampler(workers);
  const useTargets = (fromFile: readonly ExporterTarget[]) => {
    if (!real?.apply([...envTargets, ...fromFile])) return;
    const next = [...workers, ...real.workers];
    sampler.setWorkers(next);
    metrics.servers.set(next.length);
  };
  try {
    if (config.exporterTargetsFile) {
      targetsFile = openTargetsFile({
        path: config.exporterTargetsFile,
        taken: new Set([...servers.map((s) => s.id), ...envTargets.map((t) => t.id)]),
        log,
        onChange: useTargets,
      });
    }
    useTargets(targetsFile?.targets ?? []);
  } catch (err) {
    void real?.close();
    db.close();
    throw err;
  }
  // The first tick samples the initial set: apply it now rather than at the first tick.
  const catalog = createServerCatalog(() => sampler.workers);
  metrics.servers.set(catalog.servers().length);
  const latest = createLatestCache();
  const retention = createRetention({
    db,
    retentionMs: config.retentionSeconds * 1000,
    log,
    onPruned: (rows) => metrics.rowsPruned.inc(rows),
  });
  const fold = createFold({ db, tickMs: config.tickMs, log });
  const ticker = createTicker({
    tickMs: config.tickMs,
    sampler,
    db,
    latest,
    metrics,
    retention,
    fold,
    log,
    now,
    onTick,
    onMaintenance,
  });

  const history = createHistoryPool({
    db,
    workers: config.historyWorkers ?? HISTORY_DEFAULTS.historyWorkers,
    queueMax: config.historyQueueMax ?? HISTORY_DEFAULTS.historyQueueMax,
    log,
    onRejected: () => metrics.historyRejected.inc(),
  });

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');
  app.use(requestMetrics(metrics));
  app.use(serversRouter({ catalog, db, latest }));
  app.use(historyRouter({ find: (id) => catalog.find(id), pool: history }));
  app.use(latestRouter({ latest, tickMs: config.tickMs }));
  app.use(
    healthRouter({
      ticker,
      tickMs: config.tickMs,
      serverCount: () => catalog.servers().length,
      now,
    }),
  );
  app.use(
    metricsRouter(metrics, () => {
      metrics.longPollWaiters.set(latest.waiting);
      metrics.historyQueued.set(history.queued);
    }),
  );
  app.use(notFoundHandler);
  app.use(errorHandler(log.child({ module: 'http' })));

  let closing: Promise<void> | undefined;
  return {
    express: app,
    get servers() {
      return catalog.servers();
    },
    db,
    latest,
    metrics,
    ticker,
    history,
    start: () => ticker.start(),
    close() {
      closing ??= (async () => {
        targetsFile?.close();
        await ticker.stop();
        await real?.close();
        latest.close();
        await history.close();
        db.close();
      })();
      return closing;
    },
  };
}
