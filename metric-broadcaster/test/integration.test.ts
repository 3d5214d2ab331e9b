import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ROUTES,
  decodeFleetFrame,
  expandServerIds,
  type FleetFramePayload,
} from '@metrics/protocol';
import { sampleSchema } from '@metrics/protocol/schemas';
import type { ServiceProcess } from '../../scripts/lib/service-process.js';
import { startGenerator } from './helpers/fault-tools.js';
import {
  connectClient,
  counter,
  recordMetrics,
  serversOf,
  sleep,
  statusOf,
  startBroadcaster,
  waitFor,
  type Client,
  type RunningBroadcaster,
} from './helpers/harness.js';

/**
 * The broadcaster against the REAL generator (its main.ts in a child process, port 0,
 * TICK_MS=1000 because "one sample per second" is what is asserted) and real socket.io clients.
 */
const SERVER_COUNT = 300;
let generator: ServiceProcess;
let broadcaster: RunningBroadcaster | undefined;
const clients: Client[] = [];

const latestRequests = () =>
  counter(generator.url, 'generator_http_requests_total', { route: '/v1/latest' });

beforeAll(async () => {
  generator = await startGenerator({ SERVER_COUNT: String(SERVER_COUNT), SEED: '7' });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await broadcaster?.close();
  await generator?.stop();
});

async function client(url: string): Promise<Client> {
  const c = await connectClient(url);
  clients.push(c);
  return c;
}

describe('metric-broadcaster with the real generator', () => {
  it('sends no /v1/latest request while nobody subscribes', async () => {
    broadcaster = await startBroadcaster({ GENERATOR_URL: generator.url });
    const c = await client(broadcaster.url);
    const before = await latestRequests();
    await sleep(2_500);
    expect(await latestRequests()).toBe(before);
    // subscribe, then leave: polling stops once the long poll in flight ends
    await c.emitWithAck('subscribe', { serverIds: ['server-1'] });
    await sleep(1_200);
    await c.emitWithAck('unsubscribe', { serverIds: ['server-1'] });
    await sleep(1_200);
    const idle = await latestRequests();
    await sleep(2_500);
    expect(await latestRequests()).toBe(idle);
    expect(await (await fetch(`${broadcaster.url}/healthz`)).json()).toMatchObject({
      status: 'ok',
      generator: 'up',
      servers: SERVER_COUNT,
      pollers: 0,
      clients: 1,
    });
  });

  it('sends the latest sample at once, then one metrics event per tick holding every watched server, each sample once', async () => {
    const few = await client(broadcaster!.url);
    const many = await client(broadcaster!.url);
    const fewEvents = recordMetrics(few);
    const manyEvents = recordMetrics(many);
    const watched3 = ['server-1', 'server-2', 'server-3'];
    const watched100 = Array.from({ length: 100 }, (_, i) => `server-${i + 101}`);

    const subscribedAt = Date.now();
    const ack = await few.emitWithAck('subscribe', { serverIds: [...watched3, 'server-99999'] });
    expect(ack).toEqual({ ok: true, subscribed: watched3, unknown: ['server-99999'] });
    // the immediate sample arrives before the ack
    expect(fewEvents).toHaveLength(1);
    expect(fewEvents[0]!.at - subscribedAt).toBeLessThan(500);
    expect(fewEvents[0]!.data.map((s) => s.serverId).sort()).toEqual(watched3);
    expect((await many.emitWithAck('subscribe', { serverIds: watched100 })).ok).toBe(true);

    const requestsBefore = await latestRequests();
    const measuredFrom = Date.now();
    await sleep(4_200);
    const ticks = (Date.now() - measuredFrom) / 1000;
    // 100 watched servers (plus 3 on another client): at most 2 generator requests per tick
    expect(await latestRequests()).toBeLessThanOrEqual(requestsBefore + Math.ceil(ticks) * 2);

    for (const [events, ids] of [
      [fewEvents, watched3],
      [manyEvents, watched100],
    ] as const) {
      const steady = events.slice(1);
      expect(steady.length).toBeGreaterThanOrEqual(4);
      const seen = new Set<string>();
      let previousTick = 0;
      for (const e of events) {
        for (const s of e.data) {
          sampleSchema.parse(s);
          const key = `${s.serverId}@${s.timestamp}`;
          expect(seen.has(key), `duplicate ${key}`).toBe(false);
          seen.add(key);
        }
      }
      for (const e of steady) {
        // one event per tick, holding the tick's sample of every watched server
        const tickTimes = new Set(e.data.map((s) => s.timestamp));
        expect(tickTimes.size).toBe(1);
        expect(e.data.map((s) => s.serverId).sort()).toEqual([...ids].sort());
        const tick = Date.parse(e.data[0]!.timestamp);
        if (previousTick) expect(tick - previousTick).toBe(1000);
        previousTick = tick;
        // phase-locked: received within tens of ms of the tick
        expect(e.at - tick).toBeLessThan(250);
      }
      const freshness = steady
        .map((e) => e.at - Date.parse(e.data[0]!.timestamp))
        .sort((a, b) => a - b);
      expect(freshness[Math.floor(freshness.length / 2)]).toBeLessThan(100);
    }
    few.removeAllListeners('metrics');
    many.removeAllListeners('metrics');
    await few.emitWithAck('unsubscribe', { serverIds: watched3 });
    await many.emitWithAck('unsubscribe', { serverIds: watched100 });
  });

  it('sends one binary fleet frame per tick to the fleet room, in the order of the servers list', async () => {
    const c = await client(broadcaster!.url);
    await waitFor(
      () => serversOf(c).length > 0 && statusOf(c).length > 0,
      2000,
      'servers and status on connect',
    );
    expect(statusOf(c)[0]!.generator).toBe('up');
    const servers = serversOf(c)[0]!;
    // the list is compact on the wire: one range for server-1 … server-300
    expect(servers.servers).toEqual([{ prefix: 'server-', from: 1, to: SERVER_COUNT }]);
    expect(servers.count).toBe(SERVER_COUNT);
    const ids = expandServerIds(servers.servers);
    const generatorList = (await (await fetch(generator.url + ROUTES.servers)).json()) as {
      servers: Array<{ id: string }>;
      version: number;
    };
    expect(ids).toEqual(generatorList.servers.map((s) => s.id));
    expect(servers.version).toBe(generatorList.version);
    const frames: Array<FleetFramePayload & { at: number }> = [];
    c.on('fleet', (f) => frames.push({ ...f, at: Date.now() }));
    expect(await c.emitWithAck('fleet:subscribe')).toEqual({ ok: true });
    const ackAt = Date.now();
    await sleep(3_300);
    // the newest frame at once on joining (fleet-join.test.ts), then one per tick
    expect(frames.length).toBeGreaterThanOrEqual(3);
    expect(frames.length).toBeLessThanOrEqual(5);
    expect(frames[0]!.at - ackAt).toBeLessThan(300);
    for (const [i, f] of frames.entries()) {
      expect(f.version).toBe(servers.version);
      expect(f.count).toBe(SERVER_COUNT);
      expect((f.frame as Uint8Array).byteLength).toBe(24 + SERVER_COUNT * 6);
      const decoded = decodeFleetFrame(f);
      expect(decoded.cpuPct.every((v) => v >= 0 && v <= 100)).toBe(true);
      if (i > 0) expect(f.at - f.tick).toBeLessThan(250);
    }
    expect(new Set(frames.map((f) => f.tick)).size).toBe(frames.length);
    // byte for byte the generator's frame of that tick
    const last = frames.at(-1)!;
    const res = await fetch(`${generator.url}${ROUTES.fleet}?after=${last.tick - 1}`);
    const fromGenerator = Buffer.from(await res.arrayBuffer());
    if (Number(res.headers.get('x-tick')) === last.tick) {
      expect(Buffer.compare(Buffer.from(last.frame as Uint8Array), fromGenerator)).toBe(0);
    } else {
      // the generator moved on: compare the next frame with its tick instead
      await waitFor(() => frames.at(-1)!.tick > last.tick, 2000, 'the next fleet frame');
      const next = frames.find((f) => f.tick === Number(res.headers.get('x-tick')))!;
      expect(Buffer.compare(Buffer.from(next.frame as Uint8Array), fromGenerator)).toBe(0);
    }
    expect(await c.emitWithAck('fleet:unsubscribe')).toEqual({ ok: true });
  });

  it('proxies history requests and refuses every bad payload with an ack error, staying up', async () => {
    const c = await client(broadcaster!.url);
    const history = await c.emitWithAck('history', { serverId: 'server-2', limit: 3 });
    expect(history).toMatchObject({ ok: true, samples: expect.any(Array) });
    if (history.ok && 'samples' in history) {
      expect(history.samples.length).toBeGreaterThanOrEqual(1);
      expect(history.samples.length).toBeLessThanOrEqual(3);
      for (const s of history.samples) expect(sampleSchema.parse(s).serverId).toBe('server-2');
    }
    const emit = c.emitWithAck.bind(c) as (event: string, ...args: unknown[]) => Promise<unknown>;
    const bad: Array<[string, unknown, RegExp]> = [
      ['subscribe', undefined, /invalid request/],
      ['subscribe', null, /invalid request/],
      ['subscribe', 'server-1', /invalid request/],
      ['subscribe', { serverIds: [] }, /invalid request/],
      ['subscribe', { serverIds: 'server-1' }, /invalid request/],
      ['subscribe', { serverIds: [1, 2] }, /invalid request/],
      ['subscribe', { serverIds: ['x'.repeat(65)] }, /invalid request/],
      [
        'subscribe',
        { serverIds: Array.from({ length: 501 }, (_, i) => `server-${i}`) },
        /invalid request/,
      ],
      ['subscribe', { serverIds: ['server-1'], extra: true }, /invalid request/],
      ['unsubscribe', { serverIds: {} }, /invalid request/],
      ['history', {}, /invalid request/],
      ['history', { serverId: 'server-1', limit: 0 }, /invalid request/],
      ['history', { serverId: 'server-1', limit: 1e9 }, /invalid request/],
      ['history', { serverId: 'server-1', from: 'yesterday' }, /invalid request/],
      ['history', { serverId: 'server-1', from: 2000, to: 1000 }, /invalid request/],
      ['history', { serverId: 'server-424242' }, /unknown server/],
      ['fleet:subscribe', { please: true }, /invalid request/],
    ];
    for (const [event, payload, error] of bad) {
      const reply = (await emit(event, payload)) as { ok: boolean; error?: string };
      expect(reply.ok, `${event} ${JSON.stringify(payload)?.slice(0, 60)}`).toBe(false);
      expect(reply.error).toMatch(error);
      await sleep(30); // stay under the rate limit
    }
    expect(c.connected).toBe(true);
    expect(await c.emitWithAck('subscribe', { serverIds: ['server-5'] })).toMatchObject({
      ok: true,
    });
    expect((await fetch(`${broadcaster!.url}/healthz`)).status).toBe(200);
  });

  it('refuses floods with rate-limit acks and disconnects a client that keeps flooding', async () => {
    const c = await client(broadcaster!.url);
    const replies = await Promise.all(
      Array.from({ length: 60 }, () =>
        c
          .timeout(2000)
          .emitWithAck('unsubscribe', { serverIds: ['server-1'] })
          .catch(() => ({ ok: false, error: 'no ack' })),
      ),
    );
    const limited = replies.filter((r) => !r.ok && /rate limited/.test(r.error));
    expect(limited.length).toBeGreaterThanOrEqual(15);
    const disconnected = new Promise((resolve) => c.once('disconnect', resolve));
    for (let i = 0; i < 200 && c.connected; i++)
      c.emit('unsubscribe', { serverIds: ['server-1'] }, () => {});
    await disconnected;
    expect(c.connected).toBe(false);
    // others are unaffected
    const other = await client(broadcaster!.url);
    expect(await other.emitWithAck('subscribe', { serverIds: ['server-9'] })).toMatchObject({
      ok: true,
    });
  });

  it('closes the connection of a client that sends an oversized message', async () => {
    const c = await client(broadcaster!.url);
    const disconnected = new Promise<string>((resolve) => c.once('disconnect', resolve));
    c.emit('subscribe', { serverIds: ['x'.repeat(70_000)] }, () => {});
    expect(await disconnected).toMatch(/transport (close|error)/);
    expect((await fetch(`${broadcaster!.url}/healthz`)).status).toBe(200);
  });

  it('refuses a foreign Origin and accepts the same origin', async () => {
    const url = broadcaster!.url;
    await expect(connectClient(url, { origin: 'http://evil.example' })).rejects.toThrow();
    const same = await connectClient(url, { origin: url });
    clients.push(same);
    expect(same.connected).toBe(true);
  });

  it('serves Prometheus metrics', async () => {
    const res = await fetch(`${broadcaster!.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const name of [
      'broadcaster_connected_clients',
      'broadcaster_active_pollers',
      'broadcaster_generator_requests_total',
      'broadcaster_generator_request_duration_seconds_bucket',
      'broadcaster_emitted_messages_total',
      'broadcaster_sample_freshness_seconds_bucket',
    ]) {
      expect(text).toContain(name);
    }
    expect(
      await counter(broadcaster!.url, 'broadcaster_emitted_messages_total', { event: 'fleet' }),
    ).toBeGreaterThan(0);
    // The tick fan-out above went out on the direct path (pre-built frames to the TCP socket);
    // an engine.io or ws upgrade that closed it would leave only `engine` writes.
    const direct = await counter(broadcaster!.url, 'broadcaster_client_writes_total', {
      path: 'direct',
    });
    const viaEngine = await counter(broadcaster!.url, 'broadcaster_client_writes_total', {
      path: 'engine',
    });
    expect(direct).toBeGreaterThan(0);
    expect(direct).toBeGreaterThan(viaEngine);
    expect((await fetch(`${broadcaster!.url}/nope`)).status).toBe(404);
  });
});
