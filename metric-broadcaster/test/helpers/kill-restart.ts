/**
 * What the broadcaster-kill fault tests (`faults-broadcaster-kill.test.ts`,
 * `faults-reconnect-herd.test.ts`) set up alike: a real generator, a broadcaster process that
 * polls at the tick and is started again on its own port after a SIGKILL (as compose's restart
 * policy does), and dashboard-like clients (`watchingClient`) whose waits are named steps. The
 * kill itself and every assertion stay in the tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { ServiceProcess } from '../../../scripts/lib/service-process.js';
import { startBroadcasterProcess, startGenerator, type WatchingClient } from './fault-tools.js';
import { waitFor } from './harness.js';

export interface KillRestartOptions {
  tickMs: number;
  servers: number;
  /** The generator keeps its database in a file (a temporary directory) instead of memory. */
  fileDb?: boolean;
}

export interface KillRestartScenario {
  /** The generator, started in `beforeAll`. */
  readonly generator: ServiceProcess;
  /** The clients to watch with; closed in `afterAll`. */
  readonly clients: WatchingClient[];
  /** Starts the broadcaster, on `port` to stand in for a killed one; stopped in `afterAll`. */
  startBroadcaster(port?: number): Promise<ServiceProcess>;
  /** Waits until every client holds `count` samples of each of its servers. */
  liveSamples(count: number, timeoutMs: number): Promise<void>;
  /** Waits until no client is connected any more. */
  noticed(timeoutMs: number): Promise<void>;
  /** Waits until every client has reconnected by itself (the library's own reconnection). */
  reconnected(timeoutMs: number): Promise<void>;
  /** Waits until every client holds, for each of its servers, a sample at or after `at`. */
  liveSince(at: number, timeoutMs: number): Promise<void>;
}

/** Installs the scenario's `beforeAll` and `afterAll`; call it at the top of a test file. */
export function killRestartScenario(options: KillRestartOptions): KillRestartScenario {
  const clients: WatchingClient[] = [];
  let dir: string | undefined;
  let generator: ServiceProcess | undefined;
  let broadcaster: ServiceProcess | undefined;
  const every = (check: (c: WatchingClient) => boolean) => () => clients.every(check);
  const held = (c: WatchingClient) => [...c.held.values()];
  const started = (): ServiceProcess => {
    if (!generator) throw new Error('the generator starts in beforeAll');
    return generator;
  };

  beforeAll(async () => {
    if (options.fileDb) dir = mkdtempSync(join(tmpdir(), 'kill-restart-'));
    generator = await startGenerator({
      SERVER_COUNT: String(options.servers),
      TICK_MS: String(options.tickMs),
      ...(dir ? { DB_PATH: join(dir, 'metrics.db') } : {}),
    });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await broadcaster?.stop('SIGKILL');
    await generator?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  return {
    get generator() {
      return started();
    },
    clients,
    async startBroadcaster(port = 0) {
      broadcaster = await startBroadcasterProcess({
        PORT: String(port),
        GENERATOR_URL: started().url,
        POLL_INTERVAL_MS: String(options.tickMs),
      });
      return broadcaster;
    },
    async liveSamples(count, timeoutMs) {
      await waitFor(
        every((c) => held(c).every((s) => s.size >= count)),
        timeoutMs,
        `${count} live samples per server`,
      );
    },
    async noticed(timeoutMs) {
      await waitFor(
        every((c) => !c.socket.connected),
        timeoutMs,
        'clients to notice',
      );
    },
    async reconnected(timeoutMs) {
      await waitFor(
        every((c) => c.connections === 2 && c.socket.connected),
        timeoutMs,
        'every client to reconnect',
      );
    },
    async liveSince(at, timeoutMs) {
      await waitFor(
        every((c) => held(c).every((s) => Math.max(-1, ...s) >= at)),
        timeoutMs,
        'live samples after the backfill',
      );
    },
  };
}
