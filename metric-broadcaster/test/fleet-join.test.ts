import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFleetFrame, type FleetFramePayload } from '@metrics/protocol';
import type { ServiceProcess } from '../../scripts/lib/service-process.js';
import { createGeneratorClient } from '../src/generator-client.js';
import { startGenerator } from './helpers/fault-tools.js';
import {
  connectClient,
  counter,
  sleep,
  startBroadcaster,
  statusOf,
  waitFor,
  type Client,
  type RunningBroadcaster,
} from './helpers/harness.js';

/**
 * `fleet:subscribe` sends the joining socket one fleet frame at once, after the ack, against the
 * REAL generator (child process, port 0). TICK_MS=1000 so "before the next tick" is measurable:
 * every join below happens 150–450 ms after a tick boundary, so the next frame the tick loop
 * would bring is at least half a second away.
 */
const SERVER_COUNT = 200;
const TICK_MS = 1000;
let generator: ServiceProcess;
let broadcaster: RunningBroadcaster;
const clients: Client[] = [];

/** What a socket saw, in order: its ack, then every fleet frame with its local receive time. */
interface Seen {
  ackAt: number;
  frames: Array<{ at: number; tick: number; payload: FleetFramePayload }>;
  order: Array<'ack' | 'fleet'>;
}

const fleetInitialRequests = () =>
  counter(broadcaster.url, 'broadcaster_generator_requests_total', { kind: 'fleet_initial' });

beforeAll(async () => {
  generator = await startGenerator({
    SERVER_COUNT: String(SERVER_COUNT),
    TICK_MS: String(TICK_MS),
    SEED: '11',
  });
  broadcaster = await startBroadcaster({ GENERATOR_URL: generator.url });
  // Someone watches a server, so the loop knows the newest tick: without the join's own frame a
  // new fleet member would wait for the next tick's frame.
  const watcher = await client();
  await watcher.emitWithAck('subscribe', { serverIds: ['server-1'] });
  await waitFor(() => broadcaster.app.loop.currentTick > 0, 5_000, 'a first tick');
});

afterAll(async () => {
  for (const c of clients) c.close();
  await broadcaster?.close();
  await generator?.stop();
});

async function client(url = broadcaster.url): Promise<Client> {
  const c = await connectClient(url);
  clients.push(c);
  return c;
}

/** Waits until the wall clock is `from`–`to` ms past a tick boundary. */
async function phase(from: number, to: number): Promise<void> {
  for (let i = 0; i < 3 * TICK_MS; i += 5) {
    const p = Date.now() % TICK_MS;
    if (p >= from && p <= to) return;
    await sleep(5);
  }
  throw new Error(`never reached phase ${from}–${to} ms`);
}

/** The newest tick committed at `t` (the generator commits a few ms after each boundary). */
const lastTickAt = (t: number) => Math.floor(t / TICK_MS) * TICK_MS;

/** Joins the fleet room and records the ack and every frame from then on. */
async function join(c: Client): Promise<Seen> {
  const seen: Seen = { ackAt: NaN, frames: [], order: [] };
  c.on('fleet', (payload) => {
    seen.order.push('fleet');
    seen.frames.push({ at: Date.now(), tick: payload.tick, payload });
  });
  // recorded in the ack callback itself: an `await` would resume only after a frame that came
  // in the same TCP read had been handled
  const ack = await new Promise<unknown>((resolve) =>
    c.emit('fleet:subscribe', (res) => {
      seen.order.push('ack');
      seen.ackAt = Date.now();
      resolve(res);
    }),
  );
  expect(ack).toEqual({ ok: true });
  return seen;
}

function expectIncreasingTicks(seen: Seen): void {
  for (let i = 1; i < seen.frames.length; i++) {
    expect(seen.frames[i]!.tick).toBeGreaterThan(seen.frames[i - 1]!.tick);
  }
}

function expectFullFrame(payload: FleetFramePayload): void {
  const frame = decodeFleetFrame(payload);
  expect(frame.count).toBe(SERVER_COUNT);
  for (let i = 0; i < SERVER_COUNT; i++) {
    for (const v of [frame.cpuPct[i]!, frame.memPct[i]!, frame.diskPct[i]!]) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(100);
    }
  }
}

describe('fleet:subscribe sends the newest fleet frame at once', () => {
  it('with nobody in the fleet room: a frame of the last committed tick within 300 ms of the ack, one generator request', async () => {
    const c = await client();
    await phase(150, 450);
    const before = await fleetInitialRequests();
    const joinedAt = Date.now();
    const seen = await join(c);
    await waitFor(() => seen.frames.length > 0, 2_000, 'the first fleet frame');
    const first = seen.frames[0]!;
    expect(seen.order.slice(0, 2)).toEqual(['ack', 'fleet']);
    expect(first.at - seen.ackAt).toBeLessThanOrEqual(300);
    // the tick committed before the join, not the next one
    expect(first.tick).toBe(lastTickAt(joinedAt));
    expectFullFrame(first.payload);
    expect(await fleetInitialRequests()).toBe(before + 1);

    // then one frame per tick from the fan-out, never an older one, never the same twice
    await waitFor(() => seen.frames.length >= 3, 4_000, 'two more ticks');
    expectIncreasingTicks(seen);
    expect(seen.frames[1]!.tick).toBe(first.tick + TICK_MS);
    await c.emitWithAck('fleet:unsubscribe');
  });

  it('while the fleet room has members: the frame the last tick built, no generator request', async () => {
    const member = await client();
    const memberSeen = await join(member);
    await waitFor(() => memberSeen.frames.length >= 2, 4_000, 'frames from the fan-out');
    const c = await client();
    await phase(150, 450);
    const before = await fleetInitialRequests();
    const seen = await join(c);
    await waitFor(() => seen.frames.length > 0, 2_000, 'the first fleet frame');
    expect(seen.frames[0]!.at - seen.ackAt).toBeLessThanOrEqual(300);
    expect(seen.frames[0]!.tick).toBe(memberSeen.frames.at(-1)!.tick);
    expectFullFrame(seen.frames[0]!.payload);
    expect(await fleetInitialRequests()).toBe(before);
    await waitFor(() => seen.frames.length >= 2, 2_000, 'the next tick');
    expectIncreasingTicks(seen);
    await Promise.all([member, c].map((s) => s.emitWithAck('fleet:unsubscribe')));
  });

  it('20 sockets joining at once share one generator request and each get a frame at once', async () => {
    // leave the fleet room empty for a tick so the kept frame is outdated
    await sleep(TICK_MS + 200);
    const sockets = await Promise.all(Array.from({ length: 20 }, () => client()));
    await phase(150, 450);
    const before = await fleetInitialRequests();
    const joinedAt = Date.now();
    const seen = await Promise.all(sockets.map((s) => join(s)));
    await waitFor(() => seen.every((s) => s.frames.length > 0), 2_000, 'a frame on every socket');
    for (const s of seen) {
      expect(s.order.slice(0, 2)).toEqual(['ack', 'fleet']);
      expect(s.frames[0]!.at - s.ackAt).toBeLessThanOrEqual(300);
      expect(s.frames[0]!.tick).toBe(lastTickAt(joinedAt));
    }
    expectFullFrame(seen[0]!.frames[0]!.payload);
    // the kept frame is outdated, so exactly one fetch, shared by all 20
    expect(await fleetInitialRequests()).toBe(before + 1);
    await waitFor(() => seen.every((s) => s.frames.length >= 2), 3_000, 'the next tick');
    for (const s of seen) expectIncreasingTicks(s);
    await Promise.all(sockets.map((s) => s.emitWithAck('fleet:unsubscribe')));
  });

  it('a join racing a tick never gets an older frame after a newer one', async () => {
    const sockets = await Promise.all(Array.from({ length: 6 }, () => client()));
    const seen: Seen[] = [];
    // join around the boundary: the join's frame and the tick's fan-out cross
    for (const [i, s] of sockets.entries()) {
      await phase(930 + i * 8, 999);
      seen.push(await join(s));
    }
    await sleep(2 * TICK_MS + 300);
    for (const s of seen) {
      expect(s.frames.length).toBeGreaterThanOrEqual(2);
      expectIncreasingTicks(s);
    }
  });

  it("a join frame that arrives after the next tick's frame is dropped, never sent out of order", async () => {
    // A broadcaster whose join fetch is answered at once but handed over 1.3 s later: by then
    // the fan-out has sent the next tick's frame to the new member.
    const real = createGeneratorClient({ baseUrl: generator.url });
    const { app, url, close } = await startBroadcaster(
      { GENERATOR_URL: generator.url },
      {
        ...real,
        async fleet(req) {
          const answer = await real.fleet(req);
          if (req.kind === 'fleet_initial') await sleep(1_300);
          return answer;
        },
      },
    );
    try {
      const watcher = await client(url);
      await watcher.emitWithAck('subscribe', { serverIds: ['server-2'] });
      await waitFor(() => app.loop.currentTick > 0, 5_000, 'a first tick');
      const c = await client(url);
      await phase(150, 450);
      const joinedAt = Date.now();
      const seen = await join(c);
      await sleep(2 * TICK_MS + 200);
      // the first frame is the next tick's, from the fan-out; the late join frame (the tick
      // before) never follows it
      expect(seen.frames[0]!.tick).toBe(lastTickAt(joinedAt) + TICK_MS);
      expect(seen.frames.length).toBeGreaterThanOrEqual(2);
      expectIncreasingTicks(seen);
      const sent = await counter(url, 'broadcaster_emitted_messages_total', { event: 'fleet' });
      expect(sent).toBe(seen.frames.length);
    } finally {
      await close();
    }
  });

  it('with the generator down: ack ok, no frame, status says down', async () => {
    const c = await client();
    await generator.stop();
    await waitFor(
      () => statusOf(c).at(-1)?.generator === 'down',
      5_000,
      'status down after the generator stopped',
    );
    const seen = await join(c);
    await sleep(500);
    expect(seen.frames).toEqual([]);
  });
});
