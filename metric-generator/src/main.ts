import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { createApp, type GeneratorApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';

/** Shutdown must be over by then; otherwise the process exits 1. */
const SHUTDOWN_DEADLINE_MS = 10_000;

let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`metric-generator: ${err.message}`);
  process.exit(1);
}

const log = pino({ level: config.logLevel, base: { service: 'metric-generator' } });
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

let shuttingDown = false;
async function shutdown(reason: string, code: number): Promise<void> {
  if (shuttingDown) {
    log.warn({ reason }, 'second signal: exiting now');
    process.exit(1);
  }
  shuttingDown = true;
  log.info({ reason }, 'shutting down');
  const deadline = setTimeout(() => {
    log.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, 'shutdown deadline passed: exiting');
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS);
  try {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await app.close(); // finishes the tick in flight, answers held long polls, closes the DB
    server.closeIdleConnections();
    const grace = setTimeout(() => server.closeAllConnections(), 1_000);
    await closed;
    clearTimeout(grace);
    clearTimeout(deadline);
    log.info('stopped');
    process.exit(code);
  } catch (err) {
    log.error({ err }, 'shutdown failed');
    process.exit(1);
  }
}

process.on('SIGTERM', () => void shutdown('SIGTERM', 0));
process.on('SIGINT', () => void shutdown('SIGINT', 0));
process.on('uncaughtException', (err) => {
  log.fatal({ err }, 'uncaught exception');
  void shutdown('uncaughtException', 1);
});
process.on('unhandledRejection', (err) => {
  log.fatal({ err }, 'unhandled rejection');
  void shutdown('unhandledRejection', 1);
});

server.on('error', (err) => {
  log.fatal({ err, port: config.port }, 'cannot listen');
  void app.close().finally(() => process.exit(1));
});
server.listen(config.port, () => {
  const { port } = server.address() as AddressInfo;
  app.start();
  log.info(
    {
      port,
      servers: app.servers.length,
      tickMs: config.tickMs,
      dbPath: config.dbPath,
      seed: config.seed,
      seedFromEnv: config.seedFromEnv,
    },
    'listening',
  );
});
