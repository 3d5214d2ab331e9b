/**
 * Server CPU of three ways to deliver one tick (10 samples per client) over socket.io, measured
 * in this process with `process.cpuUsage()` around each round, including the asynchronous
 * writes it triggers; median over rounds. The strategies take turns within each round, in a
 * rotated order, so they are compared side by side. Clients live in a forked load-client process.
 *
 * - `direct-framed`: what metric-broadcaster does: per client, one packet string built by
 *   concatenating the generator's sample JSON, framed as a WebSocket frame and written straight
 *   to the client's TCP socket (`writeFramed`, when engine.io has nothing queued).
 * - `emit-object`: per client, `socket.emit('metrics', { data, timestamp })` with parsed sample
 *   objects (socket.io runs `JSON.stringify` per client).
 * - `emit-per-sample`: the naive shape: per sample, `io.to(room).emit(...)` (10 writes per
 *   client per tick; socket.io encodes once per room).
 *
 * The same packet through engine.io (`DIRECT_WRITES=false`) is measured under the full load
 * instead, as bench/broadcaster.ts's `broadcaster-engine` runs: with one metrics packet per client
 * the two paths cost about the same, and the difference lies in fleet members' three messages.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { Server } from 'socket.io';
import {
  serverRoom,
  type ClientToServerEvents,
  type Sample,
  type ServerToClientEvents,
} from '@metrics/protocol';
import { writeFramed } from '../../metric-broadcaster/src/batched-write.js';
import { encodeMetricsPacket } from '../../metric-broadcaster/src/socket-packets.js';
import type { Command, Reply } from './broadcaster-load-client.js';
import { sleep } from '../../scripts/lib/wait.js';

export type Strategy = 'direct-framed' | 'emit-object' | 'emit-per-sample';

const STRATEGIES: readonly Strategy[] = ['direct-framed', 'emit-object', 'emit-per-sample'];

export interface StrategyResult {
  strategy: Strategy;
  clients: number;
  samplesPerClient: number;
  rounds: number;
  /** Server CPU per round (one tick to every client), median over rounds. */
  cpuMsPerTick: number;
  /** The same divided by clients. */
  cpuUsPerClient: number;
  /** Samples the clients counted over all rounds (should be clients × samples × rounds). */
  delivered: number;
  expected: number;
}

const ROUND_GAP_MS = 250;
/** The load process gets its `start` before the round's writes reach it. */
const START_SETTLE_MS = 20;

export async function measureEmitStrategies(opts: {
  clients: number;
  samplesPerClient: number;
  rounds: number;
  servers: number;
  loader: ChildProcess;
  ask: <T extends Reply['type']>(
    child: ChildProcess,
    cmd: Command,
    expect: T,
  ) => Promise<Extract<Reply, { type: T }>>;
}): Promise<StrategyResult[]> {
  const server = http.createServer();
  const io = new Server<ClientToServerEvents, ServerToClientEvents>(server, {
    perMessageDeflate: false,
    serveClient: false,
  });
  io.on('connection', (socket) => {
    socket.on('subscribe', (req, ack) => {
      void socket.join(req.serverIds.map(serverRoom));
      ack({ ok: true, subscribed: req.serverIds, unknown: [] });
    });
    socket.on('fleet:subscribe', (ack) => ack({ ok: true }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const connected = await opts.ask(
    opts.loader,
    {
      type: 'connect',
      url,
      count: opts.clients,
      firstIndex: 0,
      servers: opts.servers,
      perClient: opts.samplesPerClient,
      fleetEvery: 1_000_000_000,
      seed: 7,
      deadlineMs: 60_000,
    },
    'connected',
  );
  if (connected.failed)
    throw new Error(`emit strategies: ${connected.failed} clients failed to connect`);

  const cpuMs = new Map<Strategy, number[]>(STRATEGIES.map((st) => [st, []]));
  const delivered = new Map<Strategy, number>(STRATEGIES.map((st) => [st, 0]));
  const base = Date.now() - (Date.now() % 1000);
  let ticks = 0;
  try {
    for (let round = 0; round < opts.rounds; round++) {
      // Rotated order: each strategy runs first, second, … in turn, so the machine's drift and
      // any warm-up are spread over all of them instead of landing on whichever runs first.
      const order = STRATEGIES.map((_, i) => STRATEGIES[(i + round) % STRATEGIES.length]!);
      for (const strategy of order) {
        opts.loader.send({ type: 'start' } satisfies Command);
        await sleep(START_SETTLE_MS);
        const samples = tickSamples(opts.servers, base + ticks++);
        const before = process.cpuUsage();
        deliverTick(io, strategy, samples, Date.now());
        await sleep(ROUND_GAP_MS);
        const used = process.cpuUsage(before);
        cpuMs.get(strategy)!.push((used.user + used.system) / 1000);
        const stats = await opts.ask(opts.loader, { type: 'stop' }, 'stats');
        delivered.set(strategy, delivered.get(strategy)! + stats.stats.samples);
      }
    }
  } finally {
    await opts.ask(opts.loader, { type: 'close' }, 'closed');
    await io.close();
  }
  return STRATEGIES.map((strategy) => {
    const sorted = [...cpuMs.get(strategy)!].sort((x, y) => x - y);
    const cpuMsPerTick = sorted[Math.floor(sorted.length / 2)]!;
    return {
      strategy,
      clients: opts.clients,
      samplesPerClient: opts.samplesPerClient,
      rounds: opts.rounds,
      cpuMsPerTick: Math.round(cpuMsPerTick * 10) / 10,
      cpuUsPerClient: Math.round((cpuMsPerTick * 1000) / opts.clients),
      delivered: delivered.get(strategy)!,
      expected: opts.clients * opts.samplesPerClient * opts.rounds,
    };
  });
}

interface TickSamples {
  json: Map<string, string>;
  objects: Map<string, Sample>;
}

/** One tick's sample of every server, as parsed objects and as the generator's JSON text. */
function tickSamples(servers: number, tick: number): TickSamples {
  const json = new Map<string, string>();
  const objects = new Map<string, Sample>();
  for (let i = 1; i <= servers; i++) {
    const id = `server-${i}`;
    const s: Sample = {
      serverId: id,
      timestamp: new Date(tick).toISOString(),
      cpuPct: 12.3,
      memPct: 45.6,
      diskPct: 78.9,
      netRxBps: 123456,
      netTxBps: 65432,
      load1: 1.23,
    };
    json.set(id, JSON.stringify(s));
    objects.set(id, s);
  }
  return { json, objects };
}

/** Sends one tick to every client (its rooms say which servers) the way `strategy` does. */
function deliverTick(
  io: Server<ClientToServerEvents, ServerToClientEvents>,
  strategy: Strategy,
  { json, objects }: TickSamples,
  now: number,
): void {
  if (strategy === 'emit-per-sample') {
    for (const id of json.keys()) {
      if (io.of('/').adapter.rooms.get(serverRoom(id))?.size) {
        io.to(serverRoom(id)).emit('metrics', { data: [objects.get(id)!], timestamp: now });
      }
    }
    return;
  }
  for (const socket of io.of('/').sockets.values()) {
    const ids: string[] = [];
    for (const room of socket.rooms) if (room.startsWith('server:')) ids.push(room.slice(7));
    if (strategy === 'emit-object') {
      socket.emit('metrics', { data: ids.map((id) => objects.get(id)!), timestamp: now });
      continue;
    }
    writeFramed(socket.conn, [
      {
        packets: [
          encodeMetricsPacket(
            ids.map((id) => json.get(id)!),
            now,
          ),
        ],
      },
    ]);
  }
}
