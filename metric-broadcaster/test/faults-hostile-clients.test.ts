import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceProcess } from '../../scripts/lib/service-process.js';
import { connectSocket } from '../../scripts/lib/socket-client.js';
import { errorLines, startBroadcasterProcess, startGenerator } from './helpers/fault-tools.js';
import { counter, waitFor, type Client } from './helpers/harness.js';

/**
 * Hostile clients against the real broadcaster process with its default rate limits: floods of
 * subscribe/unsubscribe, oversized messages, too many subscriptions or history requests, and
 * browsers from origins not in CORS_ORIGINS. Each is refused with a clear error (or the
 * connection is closed), while well-behaved clients keep getting every tick on time.
 */
const TICK_MS = 1_000;
const ALLOWED = 'http://dash.example';
let generator: ServiceProcess;
let broadcaster: ServiceProcess;
const sockets: Client[] = [];

beforeAll(async () => {
  generator = await startGenerator({ SERVER_COUNT: '100', TICK_MS: String(TICK_MS) });
  broadcaster = await startBroadcasterProcess({
    GENERATOR_URL: generator.url,
    POLL_INTERVAL_MS: String(TICK_MS),
    CORS_ORIGINS: ALLOWED,
    MAX_IDS_PER_SUBSCRIBE: '20',
    MAX_SUBSCRIPTIONS_PER_SOCKET: '40',
  });
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await broadcaster?.stop();
  await generator?.stop();
});

function open(origin?: string): Promise<Client> {
  return connectSocket(broadcaster.url, origin ? { extraHeaders: { origin } } : {}, (socket) =>
    sockets.push(socket),
  );
}

/** A well-behaved client: the ticks it got and how late each arrived. */
async function watcher(ids: string[]) {
  const socket = await open(ALLOWED);
  const ticks: Array<{ tick: number; lateMs: number }> = [];
  socket.on('metrics', (p) => {
    const at = Date.now();
    const tick = Date.parse(p.data[0]!.timestamp);
    ticks.push({ tick, lateMs: at - tick });
  });
  expect(await socket.emitWithAck('subscribe', { serverIds: ids })).toMatchObject({ ok: true });
  return { socket, ticks };
}

/** Every tick between `from` and `to` reached the watcher, each within `maxLateMs`. */
function expectEveryTick(
  ticks: Array<{ tick: number; lateMs: number }>,
  from: number,
  to: number,
  maxLateMs: number,
) {
  const window = ticks.filter((t) => t.tick >= from && t.tick <= to);
  const expected: number[] = [];
  for (let t = Math.ceil(from / TICK_MS) * TICK_MS; t <= to; t += TICK_MS) expected.push(t);
  expect(window.map((t) => t.tick)).toEqual(expected);
  for (const t of window) expect(t.lateMs).toBeLessThan(maxLateMs);
}

describe('hostile clients', () => {
  it('refuses socket connections from origins not in CORS_ORIGINS, over WebSocket and polling', async () => {
    const ok = await open(ALLOWED);
    expect(ok.connected).toBe(true);
    // Not a browser (no Origin header): allowed, as documented.
    expect((await open()).connected).toBe(true);
    for (const origin of [
      'http://evil.example',
      'https://dash.example',
      'http://dash.example:8080',
      'http://dash.example.evil.example',
      'null',
      broadcaster.url, // same origin, but a list is configured: only the list counts
    ]) {
      await expect(open(origin), origin).rejects.toThrow();
    }
    const handshake = (origin: string) =>
      fetch(`${broadcaster.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin } });
    const refused = await handshake('http://evil.example');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    await refused.arrayBuffer();
    const allowed = await handshake(ALLOWED);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    await allowed.arrayBuffer();
    expect(
      await counter(broadcaster.url, 'broadcaster_rejected_events_total', { reason: 'origin' }),
    ).toBeGreaterThanOrEqual(7);
  });

  it('refuses floods of subscribe/unsubscribe with rate-limit acks and cuts the flooder off, while others get every tick on time', async () => {
    const watchers = await Promise.all([
      watcher(['server-1', 'server-2']),
      watcher(['server-50']),
      watcher(['server-100', 'server-1']),
    ]);
    await waitFor(() => watchers.every((w) => w.ticks.length >= 2), 4_000, 'live ticks');
    const from = Date.now();
    let refusals = 0;
    let disconnects = 0;
    // One hostile client at a time, reconnecting and flooding again, for four seconds.
    while (Date.now() - from < 4_000) {
      const flooder = await open(ALLOWED);
      const gone = new Promise<void>((resolve) => flooder.once('disconnect', () => resolve()));
      for (let i = 0; i < 400 && flooder.connected; i++) {
        const event = i % 2 ? 'unsubscribe' : 'subscribe';
        const onReply = (reply: { ok: true } | { ok: false; error: string }) => {
          if (!reply.ok && /rate limited: at most \d+ events per second/.test(reply.error))
            refusals++;
        };
        flooder.emit(event, { serverIds: [`server-${(i % 100) + 1}`] }, onReply);
        if (i % 50 === 0) await new Promise((r) => setImmediate(r));
      }
      await Promise.race([gone, new Promise((r) => setTimeout(r, 2_000))]);
      if (!flooder.connected) disconnects++;
      flooder.close();
    }
    const to = Date.now();
    await new Promise((r) => setTimeout(r, 1_200)); // the last tick of the window arrives
    expect(refusals).toBeGreaterThan(10);
    expect(disconnects).toBeGreaterThanOrEqual(1);
    for (const w of watchers) {
      expect(w.socket.connected).toBe(true);
      expectEveryTick(w.ticks, from, to - TICK_MS, 1_500);
    }
    expect(
      await counter(broadcaster.url, 'broadcaster_rejected_events_total', {
        reason: 'rate_limited',
      }),
    ).toBeGreaterThan(10);
  });

  it('closes the connection of a client sending an oversized message, and only that one', async () => {
    const w = await watcher(['server-7']);
    await waitFor(() => w.ticks.length >= 1, 3_000, 'a live tick');
    const big = await open(ALLOWED);
    const gone = new Promise<string>((resolve) => big.once('disconnect', resolve));
    const from = Date.now();
    // 70 KB in one message, above MAX_MESSAGE_BYTES (64 KiB by default).
    big.emit(
      'subscribe',
      { serverIds: Array.from({ length: 2_000 }, (_, i) => `s-${i}-${'x'.repeat(30)}`) },
      () => {},
    );
    expect(await gone).toMatch(/transport (close|error)/);
    await new Promise((r) => setTimeout(r, 2 * TICK_MS + 300));
    expect(w.socket.connected).toBe(true);
    expectEveryTick(w.ticks, from, Date.now() - TICK_MS - 300, 1_500);
    expect((await fetch(`${broadcaster.url}/healthz`)).status).toBe(200);
  });

  it('refuses more ids per request or subscriptions per socket than allowed; queues history requests past the in-flight limit', async () => {
    const socket = await open(ALLOWED);
    const ids = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => `server-${from + i}`);
    const tooMany = await socket.emitWithAck('subscribe', { serverIds: ids(1, 21) });
    expect(tooMany).toMatchObject({
      ok: false,
      error: expect.stringMatching(/invalid request: serverIds/),
    });
    expect(await socket.emitWithAck('subscribe', { serverIds: ids(1, 20) })).toMatchObject({
      ok: true,
    });
    expect(await socket.emitWithAck('subscribe', { serverIds: ids(21, 20) })).toMatchObject({
      ok: true,
    });
    expect(await socket.emitWithAck('subscribe', { serverIds: ids(41, 1) })).toEqual({
      ok: false,
      error: 'too many subscriptions: this socket watches 40, at most 40 allowed',
    });
    // Leaving some makes room again.
    expect(await socket.emitWithAck('unsubscribe', { serverIds: ids(1, 5) })).toEqual({ ok: true });
    expect(await socket.emitWithAck('subscribe', { serverIds: ids(41, 5) })).toMatchObject({
      ok: true,
    });

    // Four run, sixteen wait their turn (queued, not refused); past that, a refusal that says
    // when to retry.
    const replies = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        socket.emitWithAck('history', { serverId: `server-${i + 1}`, limit: 10_000 }),
      ),
    );
    const refused = replies.filter((r) => !r.ok);
    expect(replies.filter((r) => r.ok).length).toBeGreaterThanOrEqual(20);
    for (const r of refused) {
      expect(r).toEqual({
        ok: false,
        error: expect.stringMatching(
          /^too many history requests: \d+ in flight and \d+ waiting on this socket \(at most 4 \+ 16\); retry in \d+ ms$/,
        ),
        retryAfterMs: expect.any(Number),
      });
    }
    expect(errorLines(broadcaster)).toEqual([]);
  });
});
