import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceProcess } from '../../scripts/lib/service-process.js';
import {
  missingSteps,
  startBroadcasterProcess,
  startGenerator,
  watchingClient,
  type WatchingClient,
} from './helpers/fault-tools.js';
import { sleep, waitFor } from './helpers/harness.js';

/**
 * The broadcaster process is killed with SIGKILL while clients watch, then started again on its
 * port (as compose's restart policy does). The clients reconnect by themselves, subscribe again
 * and backfill the gap with `history`; each counts the timestamps it holds per server, one per
 * second, and must find none missing.
 */
const TICK_MS = 1_000;
let generator: ServiceProcess;
let broadcaster: ServiceProcess | undefined;
const clients: WatchingClient[] = [];

beforeAll(async () => {
  generator = await startGenerator({ SERVER_COUNT: '30', TICK_MS: String(TICK_MS) });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await broadcaster?.stop('SIGKILL');
  await generator?.stop();
});

const env = (generatorUrl: string, port = '0') => ({
  PORT: port,
  GENERATOR_URL: generatorUrl,
  POLL_INTERVAL_MS: String(TICK_MS),
});

describe('broadcaster killed with SIGKILL while clients watch', () => {
  it('clients reconnect by themselves and backfill: no second is missing per server', async () => {
    broadcaster = await startBroadcasterProcess(env(generator.url));
    const { port } = broadcaster;
    for (let i = 0; i < 6; i++) {
      const ids = [`server-${i + 1}`, `server-${i + 10}`, `server-${30 - i}`];
      clients.push(watchingClient(broadcaster.url, ids));
    }
    await Promise.all(clients.map((c) => c.backfilled));
    // Watch live for three ticks.
    await waitFor(
      () => clients.every((c) => [...c.held.values()].every((s) => s.size >= 3)),
      8_000,
      'three live samples per server',
    );

    expect((await broadcaster.stop('SIGKILL')).signal).toBe('SIGKILL');
    const killedAt = Date.now();
    await waitFor(() => clients.every((c) => !c.socket.connected), 3_000, 'clients to notice');
    const beforeGap = new Map(clients.map((c) => [c, maxHeld(c)]));
    await sleep(2_500); // ticks go by with no broadcaster
    broadcaster = await startBroadcasterProcess(env(generator.url, String(port)));

    // Reconnection is the client library's own (we never call connect again).
    await waitFor(
      () => clients.every((c) => c.connections === 2 && c.socket.connected),
      10_000,
      'every client to reconnect',
    );
    await Promise.all(clients.map((c) => c.backfilled));
    // A few live ticks after the backfill.
    const after = Date.now();
    await waitFor(
      () => clients.every((c) => minOfMax(c) >= after + TICK_MS),
      8_000,
      'live samples after the backfill',
    );

    for (const c of clients) {
      expect(c.errors).toEqual([]);
      for (const [id, held] of c.held) {
        const sorted = [...held].sort((a, b) => a - b);
        // The gap really was there: ticks from before the kill to after the restart.
        expect(sorted[0]!, id).toBeLessThan(killedAt - TICK_MS);
        expect(sorted.at(-1)!, id).toBeGreaterThan(killedAt + 2_500);
        expect(beforeGap.get(c)!, id).toBeLessThan(killedAt + TICK_MS);
        expect(missingSteps(held, TICK_MS), `${id}: seconds missing`).toEqual([]);
      }
    }
  }, 60_000);
});

const maxHeld = (c: WatchingClient) => Math.max(...[...c.held.values()].flatMap((s) => [...s]));
const minOfMax = (c: WatchingClient) =>
  Math.min(...[...c.held.values()].map((s) => Math.max(-1, ...s)));
