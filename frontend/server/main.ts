/**
 * Entry point of the dashboard's static server: the only file that reads the environment,
 * listens and installs shutdown.
 */
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import {
  closeHttpServer,
  createLogger,
  handleShutdown,
  listen,
  loadConfigOrExit,
} from '@metrics/service-kit';
import { createApp } from './app.js';
import { loadConfig } from './config.js';

const config = loadConfigOrExit(() => loadConfig(process.env));

const log = createLogger({ level: config.logLevel });
// Both `server/main.ts` (tsx) and `dist-server/main.js` sit one level below the package.
const root = fileURLToPath(new URL('../dist/', import.meta.url));

let app;
try {
  app = createApp({ root, log });
} catch (error) {
  log.fatal({ err: error }, (error as Error).message);
  process.exit(1);
}

const server = createServer(app);
handleShutdown({ log, close: () => closeHttpServer(server) });
await listen(server, { port: config.port, host: config.host, log });
