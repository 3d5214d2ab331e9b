import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetFramePayload } from '@metrics/protocol';
import type { ServiceProcess } from '../../scripts/lib/service-process.js';
import {
  createGeneratorClient,
  type FleetRequest,
  type GeneratorClient,
  type LatestRequest,
} from '../src/generator-client.js';
import { startGenerator } from './helpers/fault-tools.js';
import {
  connectClient,
  counter,
  sleep,
  startBroadcaster,
  waitFor,
  type Client,
  type RunningBroadcaster,
} from './helpers/harness.js';

/**
 * The broadcaster's two feeds against the REAL generator (child process, port 0): the watched
 * servers from `/v1/latest?ids=` for the watched ids only, the fleet room from `/v1/fleet`,
 * whatever the fleet size; and a frame is never sent against another server list version.
 */
const SERVER_COUNT = 2_000;
let generator: ServiceProcess;
const clients: Client[] = [];
const broadcasters: RunningBroadcaster[] = [];

interface Recorded {
  latest: LatestRequest[];
  fleet: FleetRequest[];
  servers: number;
}

/** A broadcaster in this process whose generator client records (and may alter) requests. */
async function start(alter?: Partial<GeneratorClient>): Promise<{ url: string; seen: Recorded }> {
  const real = createGeneratorClient({ baseUrl: generator.url });
  const seen: Recorded = { latest: [], fleet: [], servers: 0 };
  const client: GeneratorClient = {
    ...real,
    servers(timeoutMs) {
      seen.servers++;
      return real.servers(timeoutMs);
    },
    latest(req) {
      seen.latest.push(req);
      return real.latest(req);
    },
    fleet(req) {
      seen.fleet.push(req);
      return (alter?.fleet ?? real.fleet)(req);
    },
  };
  const broadcaster = await startBroadcaster({ GENERATOR_URL: generator.url }, client);
  broadcasters.push(broadcaster);
  return { url: broadcaster.url, seen };
}

async function client(url: string): Promise<Client> {
  const c = await connectClient(url);
  clients.push(c);
  return c;
}

beforeAll(async () => {
  generator = await startGenerator({ SERVER_COUNT: String(SERVER_COUNT), SEED: '5' });
});

afterAll(async () => {
  for (const c of clients) c.close();
  for (const b of broadcasters) await b.close();
  await generator?.stop();
});

describe('the fleet path', () => {
  it('asks /v1/latest for the watched ids only and feeds the fleet room from /v1/fleet', async () => {
    const { url, seen } = await start();
    const watcher = await client(url);
    const both = await client(url);
    const overview = await client(url);
    const watchedA = ['server-1', 'server-500', 'server-1999'];
    const watchedB = ['server-7', 'server-8', 'server-9'];
    expect((await watcher.emitWithAck('subscribe', { serverIds: watchedA })).ok).toBe(true);
    expect((await both.emitWithAck('subscribe', { serverIds: watchedB })).ok).toBe(true);
    const frames: FleetFramePayload[] = [];
    both.on('fleet', (f) => frames.push(f));
    overview.on('fleet', (f) => frames.push(f));
    expect(await both.emitWithAck('fleet:subscribe')).toEqual({ ok: true });
    expect(await overview.emitWithAck('fleet:subscribe')).toEqual({ ok: true });
    const from = { latest: seen.latest.length, fleet: seen.fleet.length };
    await sleep(3_300);

    const watched = new Set([...watchedA, ...watchedB]);
    const latest = seen.latest.slice(from.latest);
    expect(latest.length).toBeGreaterThanOrEqual(3);
    for (const r of latest) {
      expect(r.ids, 'never the whole fleet as JSON').toBeDefined();
      for (const id of r.ids!) expect(watched.has(id)).toBe(true);
    }
    // one long poll per tick on each path
    const fleet = seen.fleet.slice(from.fleet).filter((r) => r.kind !== 'fleet_initial');
    expect(fleet.length).toBeGreaterThanOrEqual(3);
    expect(fleet.length).toBeLessThanOrEqual(5);
    expect(latest.filter((r) => r.after !== undefined).length).toBeLessThanOrEqual(5);
    expect(frames.length).toBeGreaterThanOrEqual(6);
    for (const f of frames) expect(f.count).toBe(SERVER_COUNT);
  });

  it('never sends a frame against another server list version, and fetches the list again', async () => {
    const real = createGeneratorClient({ baseUrl: generator.url });
    const { url, seen } = await start({
      // as if the generator's list had changed since the last discovery
      async fleet(req) {
        const answer = await real.fleet(req);
        return answer === 'no-tick' ? answer : { ...answer, version: answer.version ^ 1 };
      },
    });
    const c = await client(url);
    const frames: FleetFramePayload[] = [];
    c.on('fleet', (f) => frames.push(f));
    const serversBefore = seen.servers;
    expect(await c.emitWithAck('fleet:subscribe')).toEqual({ ok: true });
    await waitFor(() => seen.fleet.length >= 3, 5_000, 'three fleet answers');
    await sleep(200);
    expect(frames).toEqual([]);
    expect(seen.servers).toBeGreaterThan(serversBefore);
    expect(
      await counter(url, 'broadcaster_dropped_messages_total', { reason: 'list_version' }),
    ).toBeGreaterThanOrEqual(2);
    real.close();
  });
});
