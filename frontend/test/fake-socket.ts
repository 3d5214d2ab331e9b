/**
 * Test double of `DashboardSocket`: an EventEmitter for server → client events and a recorder
 * for requests, answered by per-event handlers the test sets (or left pending to simulate a
 * slow ack).
 */
import { EventEmitter } from 'node:events';
import type {
  Ack,
  HistoryAck,
  HistoryBatchRequest,
  HistoryRequest,
  HistorySeries,
  Sample,
  SubscribeAck,
} from '@metrics/protocol';
import {
  formatZodError,
  historyBatchRequestSchema,
  historyRequestSchema,
  subscribeRequestSchema,
} from '@metrics/protocol/schemas';
import type { DashboardSocket, DashboardSocketEvents } from '../src/dashboard-socket.js';

export type Request =
  | { event: 'subscribe' | 'unsubscribe'; serverIds: string[] }
  | { event: 'history'; request: HistoryRequest | HistoryBatchRequest }
  | { event: 'fleet:subscribe' | 'fleet:unsubscribe' };

export interface FakeSocket extends DashboardSocket {
  requests: Request[];
  /**
   * Answers `history` requests (a batched one: once per id, failing if any fails); defaults to
   * the samples of `store` in [from, to].
   */
  store: Sample[];
  historyHandler: (req: HistoryRequest) => HistoryAck | Promise<HistoryAck>;
  subscribeHandler: (ids: string[]) => SubscribeAck | Promise<SubscribeAck>;
  serverEmit<K extends keyof DashboardSocketEvents>(
    event: K,
    ...args: Parameters<DashboardSocketEvents[K]>
  ): void;
  connect(): void;
  drop(reason?: string): void;
  listenerCount(event: keyof DashboardSocketEvents): number;
}

export function createFakeSocket(connected = true): FakeSocket {
  const emitter = new EventEmitter();
  let isConnected = connected;
  const ok: Ack = { ok: true };
  const fake: FakeSocket = {
    requests: [],
    store: [],
    historyHandler(req) {
      const from = toMs(req.from) ?? -Infinity;
      const to = toMs(req.to) ?? Infinity;
      const hits = fake.store.filter((s) => {
        const t = Date.parse(s.timestamp);
        return s.serverId === req.serverId && t >= from && t <= to;
      });
      return { ok: true, samples: req.limit ? hits.slice(-req.limit) : hits };
    },
    subscribeHandler: (ids) => ({ ok: true, subscribed: ids, unknown: [] }),
    get connected() {
      return isConnected;
    },
    on(event, listener) {
      emitter.on(event, listener as (...args: unknown[]) => void);
      return () => emitter.off(event, listener as (...args: unknown[]) => void);
    },
    async subscribe(serverIds) {
      fake.requests.push({ event: 'subscribe', serverIds });
      // Validated like the broadcaster does, so a malformed request fails the test.
      const parsed = subscribeRequestSchema(100).safeParse({ serverIds });
      if (!parsed.success) return { ok: false, error: formatZodError(parsed.error) };
      return fake.subscribeHandler(serverIds);
    },
    async unsubscribe(serverIds) {
      fake.requests.push({ event: 'unsubscribe', serverIds });
      return ok;
    },
    async history(request) {
      fake.requests.push({ event: 'history', request });
      const parsed = historyRequestSchema.safeParse(request);
      if (!parsed.success) return { ok: false, error: formatZodError(parsed.error) };
      return fake.historyHandler(request);
    },
    async historyBatch(request) {
      fake.requests.push({ event: 'history', request });
      const parsed = historyBatchRequestSchema(100).safeParse(request);
      if (!parsed.success) return { ok: false, error: formatZodError(parsed.error) };
      const { serverIds, ...range } = request;
      const series: HistorySeries[] = [];
      for (const serverId of serverIds) {
        const ack = await fake.historyHandler({ serverId, ...range });
        if (!ack.ok) return ack;
        series.push({ serverId, samples: ack.samples });
      }
      return { ok: true, series, unknown: [] };
    },
    async fleetSubscribe() {
      fake.requests.push({ event: 'fleet:subscribe' });
      return ok;
    },
    async fleetUnsubscribe() {
      fake.requests.push({ event: 'fleet:unsubscribe' });
      return ok;
    },
    reconnect() {
      fake.drop('forced');
      fake.connect();
    },
    close() {
      isConnected = false;
    },
    serverEmit(event, ...args) {
      emitter.emit(event, ...args);
    },
    connect() {
      isConnected = true;
      emitter.emit('connect');
    },
    drop(reason = 'transport close') {
      isConnected = false;
      emitter.emit('disconnect', reason);
    },
    listenerCount: (event) => emitter.listenerCount(event),
  };
  return fake;
}

function toMs(v: number | string | undefined): number | undefined {
  if (v === undefined) return undefined;
  return typeof v === 'number' ? v : Date.parse(v);
}

/** A sample of `serverId` at epoch ms `t` with values derived from `t` (distinct per tick). */
export function sampleAt(serverId: string, t: number): Sample {
  const k = (t / 1000) % 100;
  return {
    serverId,
    timestamp: new Date(t).toISOString(),
    cpuPct: k,
    memPct: 50,
    diskPct: 40,
    netRxBps: 1000 * k,
    netTxBps: 500 * k,
    load1: k / 50,
  };
}

/** Resolves once every queued promise callback has run. */
export const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
