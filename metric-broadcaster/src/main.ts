import { createLogger, handleShutdown, listen, loadConfigOrExit } from '@metrics/service-kit';
import { createBroadcaster } from './app.js';
import { loadConfig } from './config.js';

const config = loadConfigOrExit(() => loadConfig(process.env), 'metric-broadcaster');

const log = createLogger({ level: config.logLevel, base: { service: 'metric-broadcaster' } });
const app = createBroadcaster({ config, log });

// app.close() stops pollers and discovery, then closes every socket and the HTTP server.
handleShutdown({ log, close: () => app.close() });

await app.start();
await listen(app.server, {
  port: config.port,
  host: config.host,
  log,
  onListening: () => ({ generatorUrl: config.generatorUrl }),
});
