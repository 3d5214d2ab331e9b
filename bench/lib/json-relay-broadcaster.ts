/**
 * bench:broadcaster's `json-relay` variant: metric-broadcaster as shipped, except that its fleet
 * frames come the way they did before the generator published them: each tick one
 * `GET /v1/latest` of EVERY server (about 150 bytes of JSON per server), split by line, three
 * numbers read out of every sample (json-fleet-frame.ts). Watched servers still come from their
 * own `?ids=` request (before, they rode on the same full-fleet answer). Run as a process like
 * the broadcaster's main.ts; reads the same environment.
 */
import { createLogger, handleShutdown, listen, loadConfigOrExit } from '@metrics/service-kit';
import { createBroadcaster } from '../../metric-broadcaster/src/app.js';
import { loadConfig } from '../../metric-broadcaster/src/config.js';
import {
  createGeneratorClient,
  type GeneratorClient,
} from '../../metric-broadcaster/src/generator-client.js';
import { jsonFleetFrame, type FleetIndex } from './json-fleet-frame.js';

const config = loadConfigOrExit(() => loadConfig(process.env), 'json-relay-broadcaster');
const log = createLogger({ level: config.logLevel, base: { service: 'json-relay-broadcaster' } });

let index: FleetIndex = { version: 0, index: new Map(), count: 0 };
const real = createGeneratorClient({
  baseUrl: config.generatorUrl,
  // requests start with app.start(), once `app` exists
  observe: (kind, outcome, seconds) => app.metrics.observeRequest(kind, outcome, seconds),
});
const client: GeneratorClient = {
  ...real,
  async servers(timeoutMs) {
    const list = await real.servers(timeoutMs);
    if (list.version !== index.version || list.servers.length !== index.count) {
      index = {
        version: list.version,
        index: new Map(list.servers.map((s, i) => [s.id, i])),
        count: list.servers.length,
      };
    }
    return list;
  },
  async fleet({ after, timeoutMs, kind }) {
    const answer = await real.latest({
      ...(after !== undefined ? { after } : {}),
      timeoutMs,
      kind: kind === 'fleet_initial' ? 'fleet_initial' : 'latest',
    });
    return answer === 'no-tick' ? answer : jsonFleetFrame(index, answer.tick, answer.samples);
  },
};

const app = createBroadcaster({ config, log, client });
handleShutdown({ log, close: () => app.close() });
await app.start();
await listen(app.server, {
  port: config.port,
  log,
  onListening: () => ({ generatorUrl: config.generatorUrl, fleetPath: 'json-relay' }),
});
