import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceProcess } from '../../scripts/lib/service-process.js';
import { counter } from '../../scripts/lib/prom.js';
import {
  missingSteps,
  startBroadcasterProcess,
  startGenerator,
  watchingClient,
  type WatchingClient,
} from './helpers/fault-tools.js';
import { sleep, waitFor } from './helpers/harness.js';

/**
 * A reconnect herd at a size CI carries (issue 14): 60 clients watching the same 5 servers, the
 * broadcaster killed with SIGKILL and started again on its port. Every client reconnects by
 * itself and backfills all five servers with one batched `history` request; none may be refused
 * and no second may be missing. The generator reads history from its worker pool (file DB).
 */
const TICK_MS = 1_000;
const CLIENTS = 60;
const IDS = ['server-1', 'server-2', 'server-3', 'server-4', 'server-5'];
let dir: string;
let generator: ServiceProcess;
let broadcaster: ServiceProcess | undefined;
const clients: WatchingClient[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'herd-'));
  generator = await startGenerator({
    SERVER_COUNT: '5',
    TICK_MS: String(TICK_MS),
    DB_PATH: join(dir, 'metrics.db'),
  });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await broadcaster?.stop('SIGKILL');
  await generator?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const env = (generatorUrl: string, port = '0') => ({
  PORT: port,
  GENERATOR_URL: generatorUrl,
  POLL_INTERVAL_MS: String(TICK_MS),
});

describe('a reconnect herd after a broadcaster kill', () => {
  it('every client backfills with one batched request: none refused, no second missing', async () => {
    broadcaster = await startBroadcasterProcess(env(generator.url));
    const { port } = broadcaster;
    for (let i = 0; i < CLIENTS; i++) {
      clients.push(watchingClient(broadcaster.url, IDS, { batched: true }));
    }
    await waitFor(
      () => clients.every((c) => [...c.held.values()].every((s) => s.size >= 2)),
      20_000,
      'two live samples per server',
    );

    expect((await broadcaster.stop('SIGKILL')).signal).toBe('SIGKILL');
    const killedAt = Date.now();
    await waitFor(() => clients.every((c) => !c.socket.connected), 5_000, 'clients to notice');
    await sleep(2_500); // ticks go by with no broadcaster
    broadcaster = await startBroadcasterProcess(env(generator.url, String(port)));

    await waitFor(
      () => clients.every((c) => c.connections === 2 && c.socket.connected),
      20_000,
      'every client to reconnect',
    );
    await Promise.all(clients.map((c) => c.backfilled));
    const after = Date.now();
    await waitFor(
      () =>
        clients.every((c) => [...c.held.values()].every((s) => Math.max(...s) >= after + TICK_MS)),
      10_000,
      'live samples after the backfill',
    );

    const refused = clients.flatMap((c) => c.errors);
    expect(refused).toEqual([]);
    let missing = 0;
    for (const c of clients) {
      for (const [id, held] of c.held) {
        const sorted = [...held].sort((a, b) => a - b);
        expect(sorted[0]!, id).toBeLessThan(killedAt - TICK_MS);
        expect(sorted.at(-1)!, id).toBeGreaterThan(killedAt + 2_500);
        missing += missingSteps(held, TICK_MS).length;
      }
    }
    expect(missing, 'seconds missing over every client × server').toBe(0);
    // The herd asked the same thing many times: some of it is one generator read.
    const generatorReads = await counter(broadcaster.url, 'broadcaster_history_reads_total', {
      source: 'generator',
    });
    const shared = await counter(broadcaster.url, 'broadcaster_history_reads_total', {
      source: 'shared',
    });
    expect(generatorReads + shared).toBe(CLIENTS);
    // How many share depends on how the reconnects fall around tick boundaries (a read is shared
    // only until a newer tick is seen; 17–40 of 60 shared in runs here), so this asks only that
    // sharing happened; history-service.test.ts pins the rule itself.
    expect(shared).toBeGreaterThan(0);
  }, 120_000);
});
