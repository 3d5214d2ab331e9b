import { describe, expect, it } from 'vitest';
import { missingSteps, watchingClient, type WatchingClient } from './helpers/fault-tools.js';
import { sleep } from './helpers/harness.js';
import { killRestartScenario } from './helpers/kill-restart.js';

/**
 * The broadcaster process is killed with SIGKILL while clients watch, then started again on its
 * port (as compose's restart policy does). The clients reconnect by themselves, subscribe again
 * and backfill the gap with `history`; each counts the timestamps it holds per server, one per
 * second, and must find none missing.
 */
const TICK_MS = 1_000;
const scenario = killRestartScenario({ tickMs: TICK_MS, servers: 30 });
const { clients } = scenario;

describe('broadcaster killed with SIGKILL while clients watch', () => {
  it('clients reconnect by themselves and backfill: no second is missing per server', async () => {
    const broadcaster = await scenario.startBroadcaster();
    const { port } = broadcaster;
    for (let i = 0; i < 6; i++) {
      const ids = [`server-${i + 1}`, `server-${i + 10}`, `server-${30 - i}`];
      clients.push(watchingClient(broadcaster.url, ids));
    }
    await Promise.all(clients.map((c) => c.backfilled));
    // Watch live for three ticks.
    await scenario.liveSamples(3, 8_000);

    expect((await broadcaster.stop('SIGKILL')).signal).toBe('SIGKILL');
    const killedAt = Date.now();
    await scenario.noticed(3_000);
    const beforeGap = new Map(clients.map((c) => [c, maxHeld(c)]));
    await sleep(2_500); // ticks go by with no broadcaster
    await scenario.startBroadcaster(port);

    // Reconnection is the client library's own (we never call connect again).
    await scenario.reconnected(10_000);
    await Promise.all(clients.map((c) => c.backfilled));
    // A few live ticks after the backfill.
    const after = Date.now();
    await scenario.liveSince(after + TICK_MS, 8_000);

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
