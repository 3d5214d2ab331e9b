/**
 * Load-client process of `bench/herd.ts` (forked with IPC): opens `count` socket.io clients that
 * behave like the dashboard after a reconnect. Each watches the same servers; on every
 * (re)connection it subscribes, then backfills everything after the newest sample it holds with
 * ONE batched `history` request. It reconnects by itself (socket.io-client's own backoff, the
 * dashboard's settings). Each client records the ticks it holds per server, so the orchestrator
 * can count missing seconds, refused backfills and when each backfill completed.
 */
import { io } from 'socket.io-client';
import type { HistoryBatchAck, Sample } from '@metrics/protocol';
import { connected, inBatches, type LoadSocket as Client } from './load-connect.js';
import { tickParser } from './tick-parser.js';

export type Command =
  | { type: 'connect'; url: string; count: number; serverIds: string[] }
  | { type: 'report'; tickMs: number }
  | { type: 'close' };

export interface HerdReport {
  clients: number;
  /** Clients connected now. */
  connected: number;
  /** Clients whose latest connection is their `n`-th or later, keyed by n. */
  connections: Record<number, number>;
  /** Clients that have at least `n` live samples of every server (n = 2). */
  warm: number;
  /** Epoch ms each client's latest backfill completed (undefined: not yet or none). */
  backfilledAt: (number | null)[];
  /** Epoch ms each client's latest connection came. */
  connectedAt: (number | null)[];
  /** Backfills answered `ok: false` (with their errors, first few) or not answered. */
  refused: number;
  errors: string[];
  /** Over every client × server: ticks missing between the first and last held. */
  missingSeconds: number;
  /** Over every client × server: the earliest newest-tick held (is everyone live?). */
  oldestNewest: number;
  backfillRequests: number;
  backfilledSamples: number;
}

export type Reply =
  | { type: 'connected'; failed: number }
  | { type: 'report'; report: HerdReport }
  | { type: 'closed' };

interface Herder {
  socket: Client;
  held: Map<string, Set<number>>;
  connections: number;
  connectedAt: number | null;
  backfilledAt: number | null;
}

const herd: Herder[] = [];
const tickOf = tickParser(10_000);
let refused = 0;
let backfillRequests = 0;
let backfilledSamples = 0;
const errors: string[] = [];
const send = (reply: Reply) => process.send!(reply);

function keep(h: Herder, samples: readonly Sample[]): number {
  let added = 0;
  for (const s of samples) {
    const set = h.held.get(s.serverId);
    if (!set) continue;
    const before = set.size;
    set.add(tickOf(s.timestamp));
    added += set.size - before;
  }
  return added;
}

function open(url: string, serverIds: string[]): Herder {
  const socket: Client = io(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: true,
    // The dashboard's settings (frontend/src/dashboard-socket.ts).
    reconnectionDelay: 250,
    reconnectionDelayMax: 3000,
    randomizationFactor: 0.5,
    timeout: 10_000,
  });
  const h: Herder = {
    socket,
    held: new Map(serverIds.map((id) => [id, new Set<number>()])),
    connections: 0,
    connectedAt: null,
    backfilledAt: null,
  };
  socket.on('metrics', (p) => keep(h, p.data));
  socket.on('connect', () => {
    h.connections++;
    h.connectedAt = Date.now();
    h.backfilledAt = null;
    // Taken before subscribing: the sample the subscription sends at once must not hide the gap.
    const newest = [...h.held.values()].map((s) => (s.size ? Math.max(...s) : -1));
    void (async () => {
      const ack = await socket.timeout(20_000).emitWithAck('subscribe', { serverIds });
      if (!ack.ok) errors.push(`subscribe: ${ack.error}`);
      if (newest.some((t) => t < 0)) {
        h.backfilledAt = Date.now(); // first connection: nothing to fill
        return;
      }
      backfillRequests++;
      const reply = (await socket.timeout(20_000).emitWithAck('history', {
        serverIds,
        from: Math.min(...newest) + 1,
        limit: Math.floor(10_000 / serverIds.length),
      })) as HistoryBatchAck;
      if (!reply.ok) {
        refused++;
        if (errors.length < 10) errors.push(`history: ${reply.error}`);
        return;
      }
      for (const s of reply.series) backfilledSamples += keep(h, s.samples);
      h.backfilledAt = Date.now();
    })().catch((err: Error) => {
      refused++;
      if (errors.length < 10) errors.push(err.message);
    });
  });
  return h;
}

function report(tickMs: number): HerdReport {
  const connections: Record<number, number> = {};
  let missingSeconds = 0;
  let oldestNewest = Infinity;
  let warm = 0;
  for (const h of herd) {
    for (let n = 1; n <= h.connections; n++) connections[n] = (connections[n] ?? 0) + 1;
    let isWarm = true;
    for (const set of h.held.values()) {
      if (set.size < 2) isWarm = false;
      if (set.size === 0) continue;
      let lo = Infinity;
      let hi = -Infinity;
      for (const t of set) {
        if (t < lo) lo = t;
        if (t > hi) hi = t;
      }
      missingSeconds += Math.round((hi - lo) / tickMs) + 1 - set.size;
      oldestNewest = Math.min(oldestNewest, hi);
    }
    if (isWarm) warm++;
  }
  return {
    clients: herd.length,
    connected: herd.filter((h) => h.socket.connected).length,
    connections,
    warm,
    backfilledAt: herd.map((h) => h.backfilledAt),
    connectedAt: herd.map((h) => h.connectedAt),
    refused,
    errors,
    missingSeconds,
    oldestNewest,
    backfillRequests,
    backfilledSamples,
  };
}

process.on('message', (cmd: Command) => {
  void (async () => {
    if (cmd.type === 'connect') {
      let failed = 0;
      await inBatches(cmd.count, 50, async () => {
        const h = open(cmd.url, cmd.serverIds);
        herd.push(h);
        await connected(h.socket).catch(() => failed++);
      });
      send({ type: 'connected', failed });
    } else if (cmd.type === 'report') {
      send({ type: 'report', report: report(cmd.tickMs) });
    } else {
      for (const h of herd) h.socket.close();
      send({ type: 'closed' });
      process.exit(0);
    }
  })();
});
