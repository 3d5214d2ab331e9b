import { pino } from 'pino';
import { createBroadcaster } from './app.js';
import { ConfigError, loadConfig } from './config.js';

/** Graceful shutdown deadline: after it the process exits 1 whatever is still open. */
const SHUTDOWN_DEADLINE_MS = 10_000;

let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`metric-broadcaster: ${err.message}`);
    process.exit(1);
  }
  throw err;
}

const log = pino({ level: config.logLevel, base: { service: 'metric-broadcaster' } });
const app = createBroadcaster({ config, log });

let shuttingDown = false;
function shutdown(reason: string, code: number): void {
  if (shuttingDown) {
    log.warn({ reason }, 'second shutdown request: exiting now');
    process.exit(1);
  }
  shuttingDown = true;
  log.info({ reason }, 'shutting down');
  const deadline = setTimeout(() => {
    log.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, 'shutdown deadline passed: exiting');
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS);
  deadline.unref();
  app.close().then(
    () => {
      log.info('closed');
      process.exit(code);
    },
    (err: unknown) => {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    },
  );
}

process.on('SIGTERM', () => shutdown('SIGTERM', 0));
process.on('SIGINT', () => shutdown('SIGINT', 0));
process.on('uncaughtException', (err) => {
  log.fatal({ err }, 'uncaught exception');
  shutdown('uncaughtException', 1);
});
process.on('unhandledRejection', (err) => {
  log.fatal({ err }, 'unhandled rejection');
  shutdown('unhandledRejection', 1);
});

app.server.once('error', (err) => {
  log.fatal({ err, port: config.port }, 'cannot listen');
  process.exit(1);
});
await app.start();
app.server.listen(config.port, () => {
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info({ port, generatorUrl: config.generatorUrl }, 'listening');
});
