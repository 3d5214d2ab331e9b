/**
 * Load-client process of `bench/broadcaster.ts` (forked with IPC): opens many socket.io clients
 * (`transports: ['websocket']`), subscribes each to a few servers and half of them to the fleet,
 * and measures what arrives. Freshness is receive time − the sample's tick, in whole ms, kept
 * as a histogram so several processes' results merge exactly.
 */
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '@metrics/protocol';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

export const HISTOGRAM_MS = 10_000;

export interface ConnectCommand {
  type: 'connect';
  url: string;
  count: number;
  /** Index of this process's first client (subscriptions are a function of the index). */
  firstIndex: number;
  servers: number;
  perClient: number;
  /** Every `fleetEvery`-th client (by index) also subscribes to the fleet. */
  fleetEvery: number;
  seed: number;
  /** No new connection is started after this long; the run goes on with those connected. */
  deadlineMs: number;
}

export type Command = ConnectCommand | { type: 'start' } | { type: 'stop' } | { type: 'close' };

export interface LoadStats {
  clients: number;
  samples: number;
  metricsEvents: number;
  fleetFrames: number;
  duplicates: number;
  disconnects: number;
  /** freshness histogram of samples: index = ms (last bucket = that or more). */
  freshness: number[];
  fleetFreshness: number[];
  cpuMs: number;
  wallMs: number;
}

export type Reply =
  | { type: 'connected'; ms: number; failed: number }
  | { type: 'stats'; stats: LoadStats }
  | { type: 'closed' };

/** mulberry32: a small seeded PRNG, so every run subscribes the same way. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The servers client `index` watches: `perClient` distinct ids of `server-1…server-N`. */
export function subscriptionOf(
  index: number,
  servers: number,
  perClient: number,
  seed: number,
): string[] {
  const rand = prng(seed * 100_003 + index);
  const ids = new Set<string>();
  while (ids.size < Math.min(perClient, servers))
    ids.add(`server-${1 + Math.floor(rand() * servers)}`);
  return [...ids];
}

const clients: Client[] = [];
let measuring = false;
let stats = emptyStats();
let started = { cpu: process.cpuUsage(), at: performance.now() };
const seen = new Map<Client, Map<string, number>>();
const parsed = new Map<string, number>();

function emptyStats(): LoadStats {
  return {
    clients: clients.length,
    samples: 0,
    metricsEvents: 0,
    fleetFrames: 0,
    duplicates: 0,
    disconnects: 0,
    freshness: new Array<number>(HISTOGRAM_MS).fill(0),
    fleetFreshness: new Array<number>(HISTOGRAM_MS).fill(0),
    cpuMs: 0,
    wallMs: 0,
  };
}

function tickOf(timestamp: string): number {
  let t = parsed.get(timestamp);
  if (t === undefined) {
    if (parsed.size > 1000) parsed.clear();
    t = Date.parse(timestamp);
    parsed.set(timestamp, t);
  }
  return t;
}

function bucket(ms: number): number {
  return Math.max(0, Math.min(HISTOGRAM_MS - 1, Math.round(ms)));
}

function attach(client: Client): void {
  const last = new Map<string, number>();
  seen.set(client, last);
  client.on('metrics', (payload) => {
    const now = Date.now();
    if (!measuring) {
      for (const s of payload.data) last.set(s.serverId, tickOf(s.timestamp));
      return;
    }
    stats.metricsEvents++;
    for (const s of payload.data) {
      const tick = tickOf(s.timestamp);
      const prev = last.get(s.serverId);
      if (prev !== undefined && prev >= tick) stats.duplicates++;
      last.set(s.serverId, tick);
      stats.samples++;
      stats.freshness[bucket(now - tick)]!++;
    }
  });
  client.on('fleet', (frame) => {
    if (!measuring) return;
    stats.fleetFrames++;
    stats.fleetFreshness[bucket(Date.now() - frame.tick)]!++;
  });
  client.on('disconnect', () => {
    if (measuring) stats.disconnects++;
  });
}

async function connectOne(
  cmd: ConnectCommand,
  index: number,
  deadlineAt: number,
): Promise<boolean> {
  // every wait ends by the connect deadline, so a broadcaster that cannot keep up only runs short
  const left = () => Math.max(500, deadlineAt - performance.now());
  const client: Client = io(cmd.url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: left(),
  });
  attach(client);
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('connect_error', reject);
    });
    const ids = subscriptionOf(index, cmd.servers, cmd.perClient, cmd.seed);
    const ack = await client.timeout(left()).emitWithAck('subscribe', { serverIds: ids });
    if (!ack.ok) throw new Error(ack.error);
    if (index % cmd.fleetEvery === 0) {
      const fleetAck = await client.timeout(left()).emitWithAck('fleet:subscribe');
      if (!fleetAck.ok) throw new Error(fleetAck.error);
    }
    clients.push(client);
    return true;
  } catch {
    client.close();
    return false;
  }
}

async function connectAll(cmd: ConnectCommand): Promise<Reply> {
  const t0 = performance.now();
  const deadlineAt = t0 + cmd.deadlineMs;
  let failed = 0;
  const BATCH = 250;
  for (let i = 0; i < cmd.count; i += BATCH) {
    if (performance.now() - t0 > cmd.deadlineMs) {
      failed += cmd.count - i;
      break;
    }
    const batch = [];
    for (let j = i; j < Math.min(cmd.count, i + BATCH); j++)
      batch.push(connectOne(cmd, cmd.firstIndex + j, deadlineAt));
    failed += (await Promise.all(batch)).filter((ok) => !ok).length;
  }
  return { type: 'connected', ms: Math.round(performance.now() - t0), failed };
}

function send(reply: Reply): void {
  process.send!(reply);
}

process.on('message', (cmd: Command) => {
  switch (cmd.type) {
    case 'connect':
      void connectAll(cmd).then(send);
      break;
    case 'start':
      stats = emptyStats();
      started = { cpu: process.cpuUsage(), at: performance.now() };
      measuring = true;
      break;
    case 'stop': {
      measuring = false;
      const cpu = process.cpuUsage(started.cpu);
      stats.cpuMs = (cpu.user + cpu.system) / 1000;
      stats.wallMs = performance.now() - started.at;
      stats.clients = clients.length;
      send({ type: 'stats', stats });
      break;
    }
    case 'close':
      for (const c of clients) c.close();
      clients.length = 0;
      setTimeout(() => send({ type: 'closed' }), 200);
      break;
  }
});

process.on('disconnect', () => process.exit(0));
