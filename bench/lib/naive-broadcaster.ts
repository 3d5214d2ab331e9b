/**
 * The naive broadcaster `bench/broadcaster.ts` compares against: the obvious first version of the
 * same contract. One 1 s timer per watched server, started at a seeded random phase (the
 * "arbitrary phase" of a timer nobody aligned), each firing one `GET /v1/servers/:id/latest` and
 * one room `emit` per sample; a 1 s timer for the fleet frame. Same socket.io options, event
 * names and payloads as the real one, so the load clients cannot tell them apart.
 *
 * Run as a process: PORT, GENERATOR_URL, NAIVE_SEED. Logs `{"msg":"listening","port":N}`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { createRandom } from '../../metric-generator/src/simulation.js';
import {
  FLEET_ROOM,
  createFleetFrame,
  serverRoom,
  setFleetValues,
  type ClientToServerEvents,
  type Sample,
  type ServerToClientEvents,
} from '@metrics/protocol';

const PORT = Number(process.env.PORT ?? 0);
const GENERATOR_URL = process.env.GENERATOR_URL ?? 'http://127.0.0.1:3001';
const PERIOD_MS = 1000;
const random = createRandom(Number(process.env.NAIVE_SEED ?? 1));

const server = http.createServer((_req, res) => res.writeHead(404).end());
const io = new Server<ClientToServerEvents, ServerToClientEvents>(server, {
  perMessageDeflate: false,
  serveClient: false,
});

const serverIds: string[] = [];
const timers = new Map<string, NodeJS.Timeout>();
let fleetTimer: NodeJS.Timeout | undefined;

async function getJson<T>(path: string): Promise<T | undefined> {
  try {
    const res = await fetch(`${GENERATOR_URL}${path}`);
    if (!res.ok) return undefined;
    return (await res.json()) as T;
  } catch {
    return undefined;
  }
}

function startPolling(id: string): void {
  if (timers.has(id)) return;
  const poll = async () => {
    if (!io.of('/').adapter.rooms.get(serverRoom(id))?.size) {
      clearInterval(timers.get(id));
      timers.delete(id);
      return;
    }
    const sample = await getJson<Sample>(`/v1/servers/${id}/latest`);
    if (sample) io.to(serverRoom(id)).emit('metrics', { data: [sample], timestamp: Date.now() });
  };
  const phase = Math.floor(random() * PERIOD_MS);
  timers.set(
    id,
    setTimeout(() => timers.set(id, setInterval(poll, PERIOD_MS)), phase),
  );
}

function startFleet(): void {
  if (fleetTimer) return;
  const frame = async () => {
    const body = await getJson<{ tick?: number; samples: Sample[] }>('/v1/latest');
    if (!body) return;
    const index = new Map(serverIds.map((id, i) => [id, i]));
    const tick = Date.parse(body.samples[0]?.timestamp ?? '') || Date.now();
    const count = serverIds.length;
    const frame = createFleetFrame({ tick, version: 0, count });
    for (const s of body.samples) {
      const i = index.get(s.serverId);
      if (i !== undefined) setFleetValues(frame.values, count, i, s.cpuPct, s.memPct, s.diskPct);
    }
    io.to(FLEET_ROOM).emit('fleet', { tick, version: 0, count, frame: Buffer.from(frame.bytes) });
  };
  fleetTimer = setTimeout(
    () => (fleetTimer = setInterval(frame, PERIOD_MS)),
    Math.floor(random() * PERIOD_MS),
  );
}

io.on('connection', (socket) => {
  socket.emit('servers', {
    servers: serverIds.map((id) => ({ id })),
    count: serverIds.length,
    version: 0,
    timestamp: Date.now(),
  });
  socket.on('subscribe', (req, ack) => {
    const ids = req.serverIds.filter((id) => serverIds.includes(id));
    void socket.join(ids.map(serverRoom));
    for (const id of ids) startPolling(id);
    ack({ ok: true, subscribed: ids, unknown: [] });
  });
  socket.on('unsubscribe', (req, ack) => {
    for (const id of req.serverIds) void socket.leave(serverRoom(id));
    ack({ ok: true });
  });
  socket.on('fleet:subscribe', (ack) => {
    void socket.join(FLEET_ROOM);
    startFleet();
    ack({ ok: true });
  });
  socket.on('fleet:unsubscribe', (ack) => {
    void socket.leave(FLEET_ROOM);
    ack({ ok: true });
  });
});

const list = await getJson<{ servers: Array<{ id: string }> }>('/v1/servers');
serverIds.push(...(list?.servers.map((s) => s.id) ?? []));
server.listen(PORT, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(JSON.stringify({ level: 30, msg: 'listening', port }));
});
process.on('SIGTERM', () => {
  for (const t of timers.values()) clearInterval(t);
  if (fleetTimer) clearInterval(fleetTimer);
  void io.close().then(() => process.exit(0));
});
