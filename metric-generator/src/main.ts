import { createServer } from 'node:http';
import {
  closeHttpServer,
  createLogger,
  handleShutdown,
  listen,
  loadConfigOrExit,
} from '@metrics/service-kit';
import { createApp, type GeneratorApp } from './app.js';
import { loadConfig } from './config.js';

const config = loadConfigOrExit(() => loadConfig(process.env), 'metric-generator');

const log = createLogger({ level: config.logLevel, base: { service: 'metric-generator' } });
let app: GeneratorApp;
try {
  app = createApp({ config, log });
} catch (err) {
  // Typically the database: a file or directory it may not write, a full disk, a corrupt file.
  log.fatal({ err, dbPath: config.dbPath }, 'cannot start');
  process.exit(1);
}
const server = createServer(app.express);
// Long polls last up to 2 × TICK_MS; keep-alive must outlive the gap between two polls.
server.keepAliveTimeout = Math.max(5_000, 3 * config.tickMs);
server.headersTimeout = server.keepAliveTimeout + 1_000;

handleShutdown({
  log,
  // app.close() finishes the tick in flight, answers held long polls and closes the database.
  close: () => closeHttpServer(server, { drain: () => app.close(), graceMs: 1_000 }),
});

await listen(server, {
  port: config.port,
  host: config.host,
  log,
  cleanup: () => app.close(),
  onListening: () => {
    app.start();
    return {
      servers: app.servers.length,
      tickMs: config.tickMs,
      dbPath: config.dbPath,
      seed: config.seed,
      seedFromEnv: config.seedFromEnv,
      historyReads: app.history.mode,
      historyWorkers: app.history.workers,
    };
  },
});
