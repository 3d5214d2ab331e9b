/**
 * Server CPU of four ways to deliver one tick (10 samples per client) over socket.io, measured
 * in this process with `process.cpuUsage()` around each round, including the asynchronous
 * writes it triggers. Clients live in a forked load-client process.
 *
 * - `direct-framed`: what metric-broadcaster does: per client, one packet string built by
 *   concatenating the generator's sample JSON, framed as a WebSocket frame and written straight
 *   to the client's TCP socket (`writeFramed`, when engine.io has nothing queued).
 * - `engine-write`: the same packet written with `socket.conn.write()`, through engine.io's
 *   queue and ws's sender (the broadcaster's earlier path, and its fallback).
 * - `emit-object`: per client, `socket.emit('metrics', { data, timestamp })` with parsed sample
 *   objects (socket.io runs `JSON.stringify` per client).
 * - `emit-per-sample`: the naive shape: per sample, `io.to(room).emit(...)` (10 writes per
 *   client per tick; socket.io encodes once per room).
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
import { encodeMetricsPacket } from '../../metric-broadcaster/src/delivery.js';
import { textFrame } from '../../metric-broadcaster/src/ws-frame.js';
import type { Command, Reply } from './broadcaster-load-client.js';

export type Strategy = 'direct-framed' | 'engine-write' | 'emit-object' | 'emit-per-sample';

const STRATEGIES: readonly Strategy[] = [
  'direct-framed',
  'engine-write',
  'emit-object',
  'emit-per-sample',
];

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

  const results: StrategyResult[] = [];
  try {
    for (const strategy of STRATEGIES) {
      opts.loader.send({ type: 'start' } satisfies Command);
      const perRound: number[] = [];
      for (let round = 0; round < opts.rounds; round++) {
        const tick = Date.now() - (Date.now() % 1000) + round;
        const json = new Map<string, string>();
        const objects = new Map<string, Sample>();
        for (let i = 1; i <= opts.servers; i++) {
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
        const before = process.cpuUsage();
        const now = Date.now();
        if (strategy === 'emit-per-sample') {
          for (const id of json.keys()) {
            if (io.of('/').adapter.rooms.get(serverRoom(id))?.size) {
              io.to(serverRoom(id)).emit('metrics', { data: [objects.get(id)!], timestamp: now });
            }
          }
        } else {
          for (const socket of io.of('/').sockets.values()) {
            const ids: string[] = [];
            for (const room of socket.rooms)
              if (room.startsWith('server:')) ids.push(room.slice(7));
            const packet = () =>
              encodeMetricsPacket(
                ids.map((id) => json.get(id)!),
                now,
              );
            if (strategy === 'direct-framed') {
              const p = packet();
              writeFramed(socket.conn, { frames: [textFrame(`4${p}`)], packets: [p] });
            } else if (strategy === 'engine-write') {
              socket.conn.write(packet());
            } else {
              socket.emit('metrics', { data: ids.map((id) => objects.get(id)!), timestamp: now });
            }
          }
        }
        await new Promise((r) => setTimeout(r, ROUND_GAP_MS));
        const used = process.cpuUsage(before);
        perRound.push((used.user + used.system) / 1000);
      }
      const stats = await opts.ask(opts.loader, { type: 'stop' }, 'stats');
      perRound.sort((a, b) => a - b);
      const cpuMsPerTick = perRound[Math.floor(perRound.length / 2)]!;
      results.push({
        strategy,
        clients: opts.clients,
        samplesPerClient: opts.samplesPerClient,
        rounds: opts.rounds,
        cpuMsPerTick: Math.round(cpuMsPerTick * 10) / 10,
        cpuUsPerClient: Math.round((cpuMsPerTick * 1000) / opts.clients),
        delivered: stats.stats.samples,
        expected: opts.clients * opts.samplesPerClient * opts.rounds,
      });
    }
  } finally {
    await opts.ask(opts.loader, { type: 'close' }, 'closed');
    await io.close();
  }
  return results;
}
