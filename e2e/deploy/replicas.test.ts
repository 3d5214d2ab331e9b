/**
 * `BROADCASTER_REPLICAS=3` as `npm start` runs it: three broadcaster processes behind the real
 * ingress (Debian's nginx, rendered from the template), supervised. Clients connect through
 * nginx like the dashboard (WebSocket only, reconnect by themselves, resubscribe, backfill with
 * `history`). One replica is killed with SIGKILL: its clients must be connected again within
 * 3 s through the ingress and hold every second, the other replicas' clients must notice
 * nothing, and once the supervisor has restarted the replica, new clients land on it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  missingSteps,
  watchingClient,
  type WatchingClient,
} from '../../metric-broadcaster/test/helpers/fault-tools.ts';
import { counter } from '../../scripts/lib/prom.ts';
import { findNginx } from '../../scripts/lib/nginx.ts';
import type { RestartEvent } from '../../scripts/lib/broadcaster-replicas.ts';
import { startStack, type Stack } from '../../scripts/lib/stack.ts';
import { sleep, waitFor } from '../../scripts/lib/wait.ts';

const REPLICAS = 3;
const TICK_MS = 1_000;
const SERVER_COUNT = 30;
const CLIENTS = 12;

let stack: Stack | undefined;
const restarts: RestartEvent[] = [];
const clients: WatchingClient[] = [];

/** Each replica's own `clients`, from its `/healthz` (not through the ingress). */
async function clientsPerReplica(s: Stack): Promise<number[]> {
  return Promise.all(
    s.broadcasters.map(async (b) => {
      const res = await fetch(`${b.url}/healthz`, { signal: AbortSignal.timeout(3_000) });
      return ((await res.json()) as { clients: number }).clients;
    }),
  );
}

/** Latest-sample requests the generator answered per tick over `windowMs`. */
async function generatorRequestsPerTick(s: Stack, windowMs: number): Promise<number> {
  const latest = (line: string) => /route="[^"]*latest[^"]*"/.test(line);
  const [requests0, ticks0] = await Promise.all([
    counter(s.generator.url, 'generator_http_requests_total', latest),
    counter(s.generator.url, 'generator_ticks_total', (line) => /result="ok"/.test(line)),
  ]);
  await sleep(windowMs);
  const [requests1, ticks1] = await Promise.all([
    counter(s.generator.url, 'generator_http_requests_total', latest),
    counter(s.generator.url, 'generator_ticks_total', (line) => /result="ok"/.test(line)),
  ]);
  return (requests1 - requests0) / Math.max(1, ticks1 - ticks0);
}

/** Connects `count` watching clients one after another, each once its first backfill is done. */
async function connectClients(s: Stack, count: number, first: number): Promise<WatchingClient[]> {
  const added: WatchingClient[] = [];
  for (let i = first; i < first + count; i++) {
    const ids = [`server-${(i % SERVER_COUNT) + 1}`, `server-${((i * 7) % SERVER_COUNT) + 1}`];
    const client = watchingClient(s.url, [...new Set(ids)]);
    clients.push(client);
    added.push(client);
    await waitFor(() => client.socket.connected, 10_000, `client ${i} to connect`);
    await client.backfilled;
  }
  return added;
}

const holdsEverySecond = (c: WatchingClient) =>
  [...c.held.entries()].map(([id, held]) => [id, missingSteps(held, TICK_MS)] as const);

describe.skipIf(!findNginx())('broadcaster replicas behind the ingress', () => {
  beforeAll(async () => {
    stack = await startStack({
      serverCount: SERVER_COUNT,
      broadcasterReplicas: REPLICAS,
      superviseBroadcasters: true,
      onRestart: (event) => restarts.push(event),
      onLine: process.env.E2E_ECHO
        ? (name, line, replica) => console.log(`[${name}${replica ?? ''}] ${line}`)
        : undefined,
      env: {
        'metric-generator': { TICK_MS: String(TICK_MS), SEED: '11' },
        'metric-broadcaster': { POLL_INTERVAL_MS: String(TICK_MS) },
      },
      timeoutMs: 90_000,
    });
  }, 180_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    await stack?.stop();
  }, 60_000);

  it('spreads new connections over every replica (least connections)', async () => {
    const s = stack!;
    await connectClients(s, CLIENTS, 0);
    const counts = await clientsPerReplica(s);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(CLIENTS);
    expect(Math.min(...counts), `clients per replica ${counts.join('/')}`).toBeGreaterThan(0);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  }, 120_000);

  it('costs the generator about one long poll per tick per replica, whatever the clients', async () => {
    const perTick = await generatorRequestsPerTick(stack!, 5 * TICK_MS);
    expect(perTick).toBeGreaterThanOrEqual(REPLICAS * 0.75);
    expect(perTick).toBeLessThanOrEqual(REPLICAS * 1.5);
  }, 30_000);

  it('survives kill -9 of one replica: its clients are back within 3 s, nobody misses a second', async () => {
    const s = stack!;
    await waitFor(
      () => clients.every((c) => [...c.held.values()].every((h) => h.size >= 3)),
      15_000,
      'three live samples per server on every client',
    );
    const victim = 1;
    const before = await clientsPerReplica(s);
    const victimClients = before[victim]!;
    expect(victimClients).toBeGreaterThan(0);
    const victimPid = s.broadcasters[victim]!.pid;

    process.kill(victimPid, 'SIGKILL');
    const killedAt = Date.now();
    await waitFor(
      () =>
        clients.filter((c) => c.transitions.some((t) => t.event === 'disconnect')).length >=
        victimClients,
      5_000,
      "the killed replica's clients to notice",
    );
    const affected = clients.filter((c) => c.transitions.some((t) => t.event === 'disconnect'));
    expect(affected.length, 'exactly the killed replica’s clients lost their connection').toBe(
      victimClients,
    );
    await waitFor(() => affected.every((c) => c.socket.connected), 10_000, 'reconnection');
    for (const c of affected) {
      const lost = c.transitions.find((t) => t.event === 'disconnect')!.at;
      const back = c.transitions.find((t) => t.event === 'connect' && t.at > lost)!.at;
      expect(back - lost, 'reconnected through the ingress within 3 s').toBeLessThanOrEqual(3_000);
    }
    await Promise.all(affected.map((c) => c.backfilled));

    // Live ticks after the backfill, for everybody.
    const after = Date.now();
    await waitFor(
      () =>
        clients.every((c) =>
          [...c.held.values()].every((h) => Math.max(-1, ...h) >= after + TICK_MS),
        ),
      15_000,
      'live samples after the fail-over',
    );
    for (const c of clients) {
      expect(c.errors).toEqual([]);
      expect(c.liveDuplicates, 'no sample delivered twice').toBe(0);
      for (const [id, missing] of holdsEverySecond(c)) {
        expect(missing, `${id}: seconds missing`).toEqual([]);
        expect(Math.min(...c.held.get(id)!), `${id} held from before the kill`).toBeLessThan(
          killedAt - TICK_MS,
        );
      }
      if (!affected.includes(c)) {
        expect(c.connections, 'a client of another replica never reconnected').toBe(1);
        expect(c.transitions.map((t) => t.event)).toEqual(['connect']);
      } else {
        expect(c.connections).toBe(2);
      }
    }
    // The supervisor noticed and started the replica again, on its port.
    await waitFor(
      () => restarts.some((e) => e.replica === victim && e.kind === 'restarted'),
      60_000,
      'the supervisor to restart the replica',
    );
    expect(restarts.find((e) => e.kind === 'exited')).toMatchObject({
      replica: victim,
      exit: { signal: 'SIGKILL' },
    });
    expect(s.broadcasters[victim]!.pid).not.toBe(victimPid);
  }, 150_000);

  it('sends new clients to the restarted replica once it is back', async () => {
    const s = stack!;
    const victim = 1;
    const before = await clientsPerReplica(s);
    expect(before[victim]).toBe(0);
    const added = await connectClients(s, REPLICAS * 2, 100);
    const after = await clientsPerReplica(s);
    expect(after.reduce((a, b) => a + b, 0)).toBe(clients.length);
    // Least connections: the restarted replica, holding none, gets the new clients until it
    // holds as many as the others (6 each).
    expect(after[victim], `clients per replica ${after.join('/')}`).toBe(added.length);
    expect(await generatorRequestsPerTick(s, 4 * TICK_MS)).toBeGreaterThanOrEqual(REPLICAS * 0.75);
  }, 90_000);
});
