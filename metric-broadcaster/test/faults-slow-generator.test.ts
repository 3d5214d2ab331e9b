import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceProcess } from '../../scripts/lib/service-process.js';
import { connected } from '../../scripts/lib/socket-client.js';
import {
  errorLines,
  rssMb,
  startBroadcasterProcess,
  startDelayingProxy,
  startGenerator,
  type DelayingProxy,
} from './helpers/fault-tools.js';
import { waitFor, type Client } from './helpers/harness.js';

/**
 * A slow generator: a proxy in front of the real generator holds every answer past the tick
 * (1.5 s at TICK_MS = 1000), then past the broadcaster's request timeout (3.5 s), then not at
 * all. Throughout, the broadcaster keeps at most one `GET /v1/latest` in flight, requests do not
 * pile up, what clients get never goes backwards or repeats, and its memory stays flat.
 */
const TICK_MS = 1_000;
const LATEST = '/v1/latest';
let generator: ServiceProcess;
let proxy: DelayingProxy;
let broadcaster: ServiceProcess;
const sockets: Client[] = [];

beforeAll(async () => {
  generator = await startGenerator({ SERVER_COUNT: '200', TICK_MS: String(TICK_MS) });
  proxy = await startDelayingProxy(generator.url);
  broadcaster = await startBroadcasterProcess({
    GENERATOR_URL: proxy.url,
    POLL_INTERVAL_MS: String(TICK_MS),
    // Discovery is not under test: keep its requests out of the way.
    DISCOVERY_INTERVAL_MS: '60000',
  });
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await broadcaster?.stop();
  await proxy?.close();
  await generator?.stop();
});

interface Got {
  at: number;
  tick: number;
  serverId: string;
}

async function client(ids: string[], fleet: boolean, got: Got[]): Promise<Client> {
  const socket: Client = connect(broadcaster.url, { transports: ['websocket'], forceNew: true });
  sockets.push(socket);
  socket.on('metrics', (p) => {
    const at = Date.now();
    for (const s of p.data) got.push({ at, tick: Date.parse(s.timestamp), serverId: s.serverId });
  });
  await connected(socket);
  expect(await socket.emitWithAck('subscribe', { serverIds: ids })).toMatchObject({ ok: true });
  if (fleet) await socket.emitWithAck('fleet:subscribe');
  return socket;
}

/** Samples per server arrive in tick order, each at most once. */
function expectOrderedOnce(got: Got[]) {
  const last = new Map<string, number>();
  for (const g of got) {
    expect(g.tick, `${g.serverId} went backwards or repeated`).toBeGreaterThan(
      last.get(g.serverId) ?? -Infinity,
    );
    last.set(g.serverId, g.tick);
  }
}

describe('a generator slower than the tick', () => {
  it('gets one request at a time, no pile-up, ordered samples, flat memory, and recovers', async () => {
    const gotA: Got[] = [];
    const gotB: Got[] = [];
    await client(['server-1', 'server-2', 'server-50'], true, gotA);
    await client(['server-2', 'server-200'], false, gotB);
    const got = gotA; // the assertions on timing look at the first client
    await waitFor(() => got.length >= 6 && gotB.length >= 4, 5_000, 'samples at normal speed');
    const rssStart = rssMb(broadcaster.pid);

    // Answers 1.5 s late: past the tick, within the broadcaster's long-poll timeout.
    proxy.delayMs = 1_500;
    proxy.reset();
    const slowFrom = Date.now();
    const slowStart = got.length;
    await new Promise((r) => setTimeout(r, 7_000));
    const slowMs = Date.now() - slowFrom;
    expect(proxy.maxInFlight(LATEST)).toBe(1);
    // One answer per 1.5 s at most (plus the one in flight at the switch, and a catch-up
    // request when a subscriber joins mid-poll, which is answered at once).
    expect(proxy.requests(LATEST)).toBeLessThanOrEqual(Math.ceil(slowMs / 1_500) + 2);
    const slow = got.slice(slowStart);
    expect(slow.length).toBeGreaterThan(0); // still delivering, just later
    for (const g of slow) expect(g.at - g.tick).toBeLessThan(1_500 + TICK_MS + 1_000);

    // Answers 3.5 s late: past the broadcaster's timeout. It gives up on each, backs off, says
    // the generator is down; still never more than one request open.
    proxy.delayMs = 3_500;
    proxy.reset();
    const stuckFrom = Date.now();
    await new Promise((r) => setTimeout(r, 8_000));
    const stuckMs = Date.now() - stuckFrom;
    expect(proxy.maxInFlight(LATEST)).toBe(1);
    expect(proxy.requests(LATEST)).toBeLessThanOrEqual(Math.ceil(stuckMs / 2_000) + 2);
    const health = (await (await fetch(`${broadcaster.url}/healthz`)).json()) as object;
    expect(health).toMatchObject({ generator: 'down' });
    const rssEnd = rssMb(broadcaster.pid);

    // Back to normal speed: fresh samples within a few seconds (the backoff is at most ~5 s).
    proxy.delayMs = 0;
    const fastFrom = Date.now();
    await waitFor(
      () => got.some((g) => g.tick >= fastFrom && g.at - g.tick < TICK_MS),
      8_000,
      'fresh samples after the generator is fast again',
    );
    expect(proxy.maxInFlight(LATEST)).toBe(1);
    expectOrderedOnce(gotA);
    expectOrderedOnce(gotB);
    expect(rssEnd - rssStart, `RSS ${rssStart.toFixed(1)} → ${rssEnd.toFixed(1)} MiB`).toBeLessThan(
      25,
    );
    expect(errorLines(broadcaster)).toEqual([]);
  }, 60_000);
});
