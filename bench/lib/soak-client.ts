/**
 * Load-client process of `bench/soak.ts` (forked with IPC). Opens `count` socket.io clients
 * (`transports: ['websocket']`), each watching `perClient` servers (and every `fleetEvery`-th the
 * fleet), and accounts for every sample: one cell per client × watched server × tick of the
 * measurement window, counted as it arrives, so a loss is a cell left at 0 and a duplicate a cell
 * above 1. Clients reconnect by themselves like a browser (and subscribe again); the time they
 * spend disconnected is recorded so a loss can be attributed to it. Freshness (receive time −
 * the sample's tick) is kept as a 1 ms histogram per time bucket, so processes merge exactly.
 */
import { io } from 'socket.io-client';
import {
  connected,
  inBatches,
  subscribe,
  type LoadConnectCommand as ConnectCommand,
  type LoadSocket as Client,
} from './load-connect.js';
import { subscriptionOf } from './load-subscriptions.js';
import { HISTOGRAM_MS, msBin, toSparse } from './ms-histogram.js';
import { tickParser } from './tick-parser.js';

export interface WindowCommand {
  type: 'window';
  /** First tick (epoch ms) of the measurement window. */
  start: number;
  ticks: number;
  tickMs: number;
  bucketMs: number;
}

export type Command = ConnectCommand | WindowCommand | { type: 'report' } | { type: 'close' };

/** A (server, tick) cell some clients of this process missed, and why if known here. */
export interface MissedCell {
  serverId: string;
  tick: number;
  /** Clients that missed it while connected (the cause is looked for by the orchestrator). */
  connected: number;
  /** Clients that missed it while disconnected. */
  disconnected: number;
}

export interface Report {
  type: 'report';
  clients: number;
  fleetClients: number;
  /** Cells expected (client × watched server × window tick) and cells received at least once. */
  expected: number;
  received: number;
  duplicates: number;
  fleetExpected: number;
  fleetReceived: number;
  fleetDuplicates: number;
  /** Fleet frames missed while connected / while disconnected. */
  fleetMissedConnected: number;
  fleetMissedDisconnected: number;
  missed: MissedCell[];
  /** Missed cells beyond the detail kept (a broken run must not exhaust memory). */
  missedNotDetailed: number;
  /** Clients watching each server (to tell "nobody got it" from "some did not"). */
  watchers: Record<string, number>;
  disconnects: Array<{ client: number; at: number; reason: string; back: number | null }>;
  /** Per time bucket: sparse 1 ms histogram `[ms, count][]` of metrics and of fleet freshness. */
  freshness: Array<Array<[number, number]>>;
  fleetFreshness: Array<Array<[number, number]>>;
  samplesOutsideWindow: number;
  cpuMs: number;
  wallMs: number;
}

export type Reply =
  { type: 'connected'; ms: number; failed: number; errors: string[] } | Report | { type: 'closed' };

interface Watcher {
  index: number;
  socket: Client;
  ids: string[];
  slot: Map<string, number>;
  fleet: boolean;
  /** ids.length × window ticks counters, allocated when the window is set. */
  cells: Uint8Array;
  fleetCells: Uint8Array;
  /** Disconnected intervals `[from, to)` (to = Infinity while still down). */
  down: Array<[number, number]>;
}

const watchers: Watcher[] = [];
let window: WindowCommand | undefined;
let freshness: Uint32Array[] = [];
let fleetFreshness: Uint32Array[] = [];
let samplesOutsideWindow = 0;
let started = { cpu: process.cpuUsage(), at: performance.now() };
const disconnects: Report['disconnects'] = [];
const tickOf = tickParser(64);

/** How long each subscribe ack may take, also after a reconnection. */
const SUBSCRIBE_TIMEOUT_MS = 20_000;

const subscribeWatcher = (w: Watcher) =>
  subscribe(w.socket, w.ids, w.fleet, () => SUBSCRIBE_TIMEOUT_MS);

function attach(w: Watcher): void {
  const { socket } = w;
  socket.on('metrics', (payload) => {
    if (!window) return;
    const now = Date.now();
    for (const s of payload.data) {
      const tick = tickOf(s.timestamp);
      const t = (tick - window.start) / window.tickMs;
      const slot = w.slot.get(s.serverId);
      if (slot === undefined || t < 0 || t >= window.ticks || !Number.isInteger(t)) {
        samplesOutsideWindow++;
        continue;
      }
      const cell = slot * window.ticks + t;
      if (w.cells[cell]! < 255) w.cells[cell]!++;
      freshness[Math.floor((tick - window.start) / window.bucketMs)]![msBin(now - tick)]!++;
    }
  });
  socket.on('fleet', (frame) => {
    if (!window) return;
    const t = (frame.tick - window.start) / window.tickMs;
    if (t < 0 || t >= window.ticks || !Number.isInteger(t)) return;
    if (w.fleetCells[t]! < 255) w.fleetCells[t]!++;
    const bucket = Math.floor((frame.tick - window.start) / window.bucketMs);
    fleetFreshness[bucket]![msBin(Date.now() - frame.tick)]!++;
  });
  socket.on('disconnect', (reason) => {
    const at = Date.now();
    w.down.push([at, Infinity]);
    disconnects.push({ client: w.index, at, reason, back: null });
  });
  // A reconnection is a new session on the server: subscribe again, as the dashboard does.
  socket.io.on('reconnect', () => {
    const back = Date.now();
    const open = w.down.at(-1);
    if (open && open[1] === Infinity) open[1] = back;
    const record = disconnects.findLast((d) => d.client === w.index && d.back === null);
    if (record) record.back = back;
    void subscribeWatcher(w).catch(() => {});
  });
}

async function connectOne(cmd: ConnectCommand, index: number): Promise<string | undefined> {
  const socket: Client = io(cmd.url, {
    transports: ['websocket'],
    forceNew: true,
    timeout: 30_000,
    reconnectionDelay: 500,
    reconnectionDelayMax: 2_000,
  });
  const ids = subscriptionOf(index, cmd.servers, cmd.perClient, cmd.seed);
  const w: Watcher = {
    index,
    socket,
    ids,
    slot: new Map(ids.map((id, i) => [id, i])),
    fleet: index % cmd.fleetEvery === 0,
    cells: new Uint8Array(0),
    fleetCells: new Uint8Array(0),
    down: [],
  };
  try {
    await connected(socket);
    attach(w);
    await subscribeWatcher(w);
    watchers.push(w);
    return undefined;
  } catch (err) {
    socket.close();
    return (err as Error).message;
  }
}

async function connectAll(cmd: ConnectCommand): Promise<Reply> {
  const t0 = performance.now();
  const { results } = await inBatches(cmd.count, 200, (j) => connectOne(cmd, cmd.firstIndex + j));
  const errors = results.filter((error): error is string => !!error);
  return {
    type: 'connected',
    ms: Math.round(performance.now() - t0),
    failed: errors.length,
    errors: [...new Set(errors)].slice(0, 5),
  };
}

function setWindow(cmd: WindowCommand): void {
  const buckets = Math.ceil((cmd.ticks * cmd.tickMs) / cmd.bucketMs);
  freshness = Array.from({ length: buckets }, () => new Uint32Array(HISTOGRAM_MS));
  fleetFreshness = Array.from({ length: buckets }, () => new Uint32Array(HISTOGRAM_MS));
  for (const w of watchers) {
    w.cells = new Uint8Array(w.ids.length * cmd.ticks);
    w.fleetCells = new Uint8Array(w.fleet ? cmd.ticks : 0);
  }
  samplesOutsideWindow = 0;
  started = { cpu: process.cpuUsage(), at: performance.now() };
  window = cmd;
}

const MAX_MISSED_DETAIL = 100_000;

/** Whether client `w` was disconnected at any moment the sample of `tick` was due. */
function wasDown(w: Watcher, tick: number, tickMs: number): boolean {
  // The sample of a tick is due from the tick until the next one is committed and relayed.
  const from = tick;
  const to = tick + 2 * tickMs;
  return w.down.some(([a, b]) => a < to && b > from);
}

function report(): Report {
  const win = window!;
  const cpu = process.cpuUsage(started.cpu);
  const missed = new Map<string, MissedCell>();
  const watchersOf: Record<string, number> = {};
  let expected = 0;
  let received = 0;
  let duplicates = 0;
  let fleetExpected = 0;
  let fleetReceived = 0;
  let fleetDuplicates = 0;
  let fleetMissedConnected = 0;
  let fleetMissedDisconnected = 0;
  let missedNotDetailed = 0;
  for (const w of watchers) {
    w.ids.forEach((id, slot) => {
      watchersOf[id] = (watchersOf[id] ?? 0) + 1;
      for (let t = 0; t < win.ticks; t++) {
        const n = w.cells[slot * win.ticks + t]!;
        expected++;
        if (n > 0) received++;
        if (n > 1) duplicates += n - 1;
        if (n > 0) continue;
        const tick = win.start + t * win.tickMs;
        const key = `${id}@${tick}`;
        let cell = missed.get(key);
        if (!cell) {
          if (missed.size >= MAX_MISSED_DETAIL) {
            missedNotDetailed++;
            continue;
          }
          missed.set(key, (cell = { serverId: id, tick, connected: 0, disconnected: 0 }));
        }
        if (wasDown(w, tick, win.tickMs)) cell.disconnected++;
        else cell.connected++;
      }
    });
    if (w.fleet) {
      for (let t = 0; t < win.ticks; t++) {
        const n = w.fleetCells[t]!;
        fleetExpected++;
        if (n > 0) fleetReceived++;
        if (n > 1) fleetDuplicates += n - 1;
        if (n === 0) {
          if (wasDown(w, win.start + t * win.tickMs, win.tickMs)) fleetMissedDisconnected++;
          else fleetMissedConnected++;
        }
      }
    }
  }
  return {
    type: 'report',
    clients: watchers.length,
    fleetClients: watchers.filter((w) => w.fleet).length,
    expected,
    received,
    duplicates,
    fleetExpected,
    fleetReceived,
    fleetDuplicates,
    fleetMissedConnected,
    fleetMissedDisconnected,
    missed: [...missed.values()],
    missedNotDetailed,
    watchers: watchersOf,
    disconnects,
    freshness: freshness.map(toSparse),
    fleetFreshness: fleetFreshness.map(toSparse),
    samplesOutsideWindow,
    cpuMs: (cpu.user + cpu.system) / 1000,
    wallMs: performance.now() - started.at,
  };
}

const send = (reply: Reply) => process.send!(reply);

process.on('message', (cmd: Command) => {
  switch (cmd.type) {
    case 'connect':
      void connectAll(cmd).then(send);
      break;
    case 'window':
      setWindow(cmd);
      break;
    case 'report':
      send(report());
      window = undefined;
      break;
    case 'close':
      for (const w of watchers) w.socket.close();
      watchers.length = 0;
      send({ type: 'closed' });
      setTimeout(() => process.exit(0), 100);
      break;
  }
});
process.on('disconnect', () => process.exit(0)); // the orchestrator is gone
