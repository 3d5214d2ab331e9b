import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetFramePayload, Sample, ServersPayload, StatusPayload } from '@metrics/protocol';
import type { ServiceProcess } from '../../scripts/lib/service-process.js';
import { connected } from '../../scripts/lib/socket-client.js';
import { startBroadcasterProcess, startGenerator } from './helpers/fault-tools.js';
import { waitFor, type Client } from './helpers/harness.js';

/**
 * The generator process crashes (SIGKILL) and stays down for 10 s while clients watch through
 * the real broadcaster process, then comes back on the same port and database file. Clients must
 * hear `status down` within 3 s, get nothing during the outage, get fresh samples within 2 s of
 * the return, and the gap must stay a gap: no sample for the outage, live or in `history`. A
 * client that joins during the outage hears `down` on connect and gets no stale sample; the
 * generator comes back with another SERVER_COUNT, and every client gets the new server list.
 */
const TICK_MS = 1_000;
const OUTAGE_MS = 10_000;
const dir = mkdtempSync(join(tmpdir(), 'outage-'));
let generator: ServiceProcess;
let broadcaster: ServiceProcess;
const watchers: Watcher[] = [];

interface Watcher {
  socket: Client;
  samples: Array<{ at: number; sample: Sample }>;
  frames: Array<{ at: number; tick: number }>;
  status: Array<StatusPayload & { at: number }>;
  servers: ServersPayload[];
}

async function watch(url: string, ids: string[], fleet: boolean): Promise<Watcher> {
  const socket: Client = connect(url, { transports: ['websocket'], forceNew: true });
  const w: Watcher = { socket, samples: [], frames: [], status: [], servers: [] };
  socket.on('metrics', (p) => {
    const at = Date.now();
    for (const sample of p.data) w.samples.push({ at, sample });
  });
  socket.on('fleet', (p: FleetFramePayload) => w.frames.push({ at: Date.now(), tick: p.tick }));
  socket.on('status', (p) => w.status.push({ ...p, at: Date.now() }));
  socket.on('servers', (p) => w.servers.push(p));
  await connected(socket);
  expect(await socket.emitWithAck('subscribe', { serverIds: ids })).toMatchObject({ ok: true });
  if (fleet) expect(await socket.emitWithAck('fleet:subscribe')).toEqual({ ok: true });
  return w;
}

const generatorEnv = (port: number, serverCount = 40) => ({
  PORT: String(port),
  SERVER_COUNT: String(serverCount),
  TICK_MS: String(TICK_MS),
  DB_PATH: join(dir, 'metrics.db'),
});

beforeAll(async () => {
  generator = await startGenerator(generatorEnv(0));
  broadcaster = await startBroadcasterProcess({
    GENERATOR_URL: generator.url,
    POLL_INTERVAL_MS: String(TICK_MS),
  });
});
afterAll(async () => {
  for (const w of watchers) w.socket.close();
  await broadcaster?.stop();
  await generator?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('generator down for 10 s while clients watch', () => {
  it('says down within 3 s, emits nothing stale, resumes within 2 s of the return, invents nothing for the gap', async () => {
    watchers.push(
      await watch(broadcaster.url, ['server-1', 'server-2', 'server-3'], true),
      await watch(broadcaster.url, ['server-3', 'server-40'], false),
      await watch(broadcaster.url, ['server-7'], true),
    );
    await waitFor(
      () => watchers.every((w) => w.samples.length >= 4 && w.status.at(-1)?.generator === 'up'),
      6_000,
      'live samples before the outage',
    );

    const port = generator.port;
    expect((await generator.stop('SIGKILL')).signal).toBe('SIGKILL');
    const killedAt = Date.now();
    await waitFor(
      () => watchers.every((w) => w.status.at(-1)?.generator === 'down'),
      3_000,
      'status down at every client',
    );
    for (const w of watchers) expect(w.status.at(-1)!.at - killedAt).toBeLessThanOrEqual(3_000);
    const lastBefore = Math.max(
      ...watchers.flatMap((w) => w.samples.map((s) => Date.parse(s.sample.timestamp))),
    );
    expect(lastBefore).toBeLessThanOrEqual(killedAt);

    await new Promise((r) => setTimeout(r, OUTAGE_MS - (Date.now() - killedAt)));
    // Nothing at all reached a client after it was told `down`.
    for (const w of watchers) {
      const downAt = w.status.at(-1)!.at;
      expect(w.samples.filter((s) => s.at > downAt)).toEqual([]);
      expect(w.frames.filter((f) => f.at > downAt)).toEqual([]);
    }
    const health = (await (await fetch(`${broadcaster.url}/healthz`)).json()) as object;
    expect(health).toMatchObject({ generator: 'down' });

    // A client joining now hears `down` on connect and gets no stale sample for its subscribe;
    // from here on it is held to everything the others are.
    const late = await watch(broadcaster.url, ['server-4'], false);
    watchers.push(late);
    await waitFor(() => late.status.length > 0, 1_000, 'status on connect');
    expect(late.status[0]!.generator).toBe('down');
    await new Promise((r) => setTimeout(r, 500));
    expect(late.samples).toEqual([]);

    const restartedAt = Date.now();
    generator = await startGenerator(generatorEnv(port, 45));
    const backAt = Date.now();
    await waitFor(
      () =>
        watchers.every(
          (w) =>
            w.status.at(-1)?.generator === 'up' &&
            w.samples.some((s) => Date.parse(s.sample.timestamp) > backAt - TICK_MS),
        ),
      2_000,
      'fresh samples at every client within 2 s of the return',
    );

    // Back with another SERVER_COUNT: every dashboard follows the new list.
    await waitFor(
      () => watchers.every((w) => w.servers.at(-1)?.count === 45),
      3_000,
      'the new server list at every client',
    );

    // The gap is a gap: no timestamp between the crash and the restart, not live, and not in
    // history (the generator did not tick while it was down; nothing fills it in).
    const inGap = (t: number) => t > killedAt && t < restartedAt;
    for (const w of watchers) {
      const received = w.samples.map((s) => Date.parse(s.sample.timestamp));
      expect(received.filter(inGap)).toEqual([]);
      expect(new Set(w.samples.map((s) => `${s.sample.serverId}@${s.sample.timestamp}`)).size).toBe(
        w.samples.length,
      );
    }
    const reply = await watchers[0]!.socket.emitWithAck('history', {
      serverId: 'server-1',
      from: killedAt - 5 * TICK_MS,
    });
    expect(reply.ok).toBe(true);
    if (reply.ok && 'samples' in reply) {
      const times = reply.samples.map((s) => Date.parse(s.timestamp));
      expect(times.filter((t) => t <= lastBefore).length).toBeGreaterThanOrEqual(3);
      expect(times.filter(inGap)).toEqual([]);
      expect(times.some((t) => t >= backAt - TICK_MS)).toBe(true);
    }
  }, 60_000);
});
