/**
 * Entry point of the dashboard's static server: the only file that reads the environment,
 * listens and installs shutdown.
 */
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { createApp } from './app.js';
import { loadConfig, type Config } from './config.js';

const SHUTDOWN_DEADLINE_MS = 10_000;

let config: Readonly<Config>;
try {
  config = loadConfig(process.env);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}

const log = pino({ level: config.logLevel });
// Both `server/main.ts` (tsx) and `dist-server/main.js` sit one level below the package.
const root = fileURLToPath(new URL('../dist/', import.meta.url));

let app;
try {
  app = createApp({ root, log });
} catch (error) {
  log.fatal({ err: error }, (error as Error).message);
  process.exit(1);
}

const server = app.listen(config.port, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info({ port }, 'listening');
});
server.on('error', (err) => {
  log.fatal({ err }, 'cannot listen');
  process.exit(1);
});

let stopping = false;
function shutdown(reason: string, code = 0): void {
  if (stopping) {
    log.warn({ reason }, 'second signal: exiting now');
    process.exit(1);
  }
  stopping = true;
  log.info({ reason }, 'shutting down');
  setTimeout(() => {
    log.error('shutdown deadline passed');
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS).unref();
  server.close(() => {
    log.info('stopped');
    process.exit(code);
  });
  server.closeIdleConnections();
}

process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('uncaughtException', (err) => {
  log.fatal({ err }, 'uncaught exception');
  shutdown('uncaughtException', 1);
});
process.on('unhandledRejection', (err) => {
  log.fatal({ err }, 'unhandled rejection');
  shutdown('unhandledRejection', 1);
});
