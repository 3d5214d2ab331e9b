/**
 * Load-client process of `bench/broadcaster.ts` (forked with IPC): opens many socket.io clients
 * (`transports: ['websocket']`), subscribes each to a few servers and half of them to the fleet,
 * and measures what arrives. Freshness is receive time − the sample's tick, in whole ms, kept
 * as a histogram so several processes' results merge exactly.
 */
import { io } from 'socket.io-client';
import {
  connected,
  inBatches,
  subscribe,
  type LoadConnectCommand,
  type LoadSocket as Client,
} from './load-connect.js';
import { subscriptionOf } from './load-subscriptions.js';
import { HISTOGRAM_MS, msBin } from './ms-histogram.js';
import { tickParser } from './tick-parser.js';

export interface ConnectCommand extends LoadConnectCommand {
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

const clients: Client[] = [];
let measuring = false;
let stats = emptyStats();
let started = { cpu: process.cpuUsage(), at: performance.now() };
const seen = new Map<Client, Map<string, number>>();
const tickOf = tickParser(1000);

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
      stats.freshness[msBin(now - tick)]!++;
    }
  });
  client.on('fleet', (frame) => {
    if (!measuring) return;
    stats.fleetFrames++;
    stats.fleetFreshness[msBin(Date.now() - frame.tick)]!++;
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
    await connected(client);
    const ids = subscriptionOf(index, cmd.servers, cmd.perClient, cmd.seed);
    await subscribe(client, ids, index % cmd.fleetEvery === 0, left);
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
  const { results, notStarted } = await inBatches(
    cmd.count,
    250,
    (j) => connectOne(cmd, cmd.firstIndex + j, deadlineAt),
    () => performance.now() - t0 > cmd.deadlineMs,
  );
  const failed = notStarted + results.filter((ok) => !ok).length;
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
