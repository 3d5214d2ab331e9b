/**
 * The socket `history` event (issue 14: backfill that is never refused within limits).
 *
 * - Two forms: `{ serverId, … }` answers `{ ok, samples }` as before; `{ serverIds: [...], … }`
 *   answers `{ ok, series: [{ serverId, samples }], unknown }` from ONE generator request
 *   (`GET /v1/history?ids=`), up to the socket's subscription limit.
 * - Per socket, `inFlightPerSocket` requests run at once and up to `queuePerSocket` more wait
 *   in order (history-queue.ts); past that the ack is `{ ok: false, error, retryAfterMs }`.
 * - Towards the generator, at most `generatorInFlight` reads run at once for the whole
 *   broadcaster, however many sockets ask; the rest wait in one bounded queue.
 * - Identical reads share one generator request: the same ids, `from`, `to` and `limit` asked
 *   while such a read is in flight (or waiting for its turn) get its answer, as long as no newer
 *   tick has been seen since it was asked (a client that subscribed before asking, as the
 *   dashboard does, gets anything newer live). After a broadcaster restart every client
 *   backfills the same servers from the same tick: that herd is one read per distinct request.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import {
  HISTORY_BATCH_IDS_MAX,
  type HistoryBatchAck,
  type HistoryAck,
  type HistorySeries,
} from '@metrics/protocol';
import {
  formatZodError,
  historyBatchRequestSchema,
  historyRequestSchema,
} from '@metrics/protocol/schemas';
import { GeneratorError, type GeneratorClient, type HistoryQuery } from './generator-client.js';
import { createGate, GateClosedError, retryAfterMs, type Gate } from './history-queue.js';

export type HistoryReply = HistoryAck | HistoryBatchAck;

export interface HistoryLimits {
  /** History requests one socket may have running. */
  inFlightPerSocket: number;
  /** Requests of one socket that may wait behind those; more are refused with `retryAfterMs`. */
  queuePerSocket: number;
  /** Generator history reads the broadcaster runs at once, for all sockets together. */
  generatorInFlight: number;
  /** Most ids one batched request may carry (the socket's subscription limit). */
  maxBatchIds: number;
}

export const DEFAULT_HISTORY_LIMITS: Omit<HistoryLimits, 'maxBatchIds'> = {
  inFlightPerSocket: 4,
  queuePerSocket: 16,
  generatorInFlight: 8,
};

/** Generator reads that may wait for their turn: enough for every socket's queue at scale. */
const GENERATOR_QUEUE_MAX = 20_000;

export interface HistoryServiceOptions {
  client: Pick<GeneratorClient, 'historyBatch'>;
  /** Whether the broadcaster knows this server id (discovery). */
  knows(serverId: string): boolean;
  /** Tick of the newest samples seen (the poll loop's); a newer one ends read sharing. */
  currentTick(): number;
  limits: HistoryLimits;
  /** Deadline of one generator request. */
  timeoutMs: number;
  log: Logger;
  /** Counts refusals as the other handlers do (`invalid`, `unknown`, `too_many`). */
  onRejected(reason: 'invalid' | 'unknown' | 'too_many', count?: number): void;
  /** Registry for the service's own metrics. */
  registry?: Registry;
}

export interface HistorySession {
  /** Validates and answers one `history` payload; never rejects. */
  request(payload: unknown): Promise<HistoryReply>;
  /** The socket left: its waiting requests are dropped (never sent to the generator). */
  close(): void;
}

export interface HistoryService {
  /** One per socket. */
  openSession(): HistorySession;
  /** Generator reads running and waiting now, and reads shared since start. */
  stats(): { running: number; waiting: number; shared: number; generatorReads: number };
}

interface SharedRead {
  tick: number;
  answer: Promise<HistorySeries[]>;
}

/** A typical generator history read, for retry hints before any has been measured. */
const TYPICAL_READ_MS = 50;

export function createHistoryService(options: HistoryServiceOptions): HistoryService {
  const { limits, log } = options;
  const maxIds = Math.min(limits.maxBatchIds, HISTORY_BATCH_IDS_MAX);
  const batchSchema = historyBatchRequestSchema(maxIds);
  const generatorGate = createGate({
    maxRunning: limits.generatorInFlight,
    maxWaiting: GENERATOR_QUEUE_MAX,
  });
  const inFlight = new Map<string, SharedRead>();
  let typicalMs = TYPICAL_READ_MS;
  let shared = 0;
  let generatorReads = 0;

  const reads = options.registry
    ? new Counter({
        name: 'broadcaster_history_reads_total',
        help: 'History requests answered, by source: generator (a read of its own) or shared (joined an identical read in flight)',
        labelNames: ['source'] as const,
        registers: [options.registry],
      })
    : undefined;
  const waitSeconds = options.registry
    ? new Histogram({
        name: 'broadcaster_history_wait_seconds',
        help: 'Time a history request waited in the queues before its read started or was joined',
        buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [options.registry],
      })
    : undefined;

  /** The generator read for `ids` and `query`, shared with identical ones in flight. */
  function read(ids: readonly string[], query: HistoryQuery): Promise<HistorySeries[]> {
    const key = `${ids.join(',')}|${query.from ?? ''}|${query.to ?? ''}|${query.limit ?? ''}`;
    const tick = options.currentTick();
    const existing = inFlight.get(key);
    if (existing && existing.tick === tick) {
      shared++;
      reads?.inc({ source: 'shared' });
      return existing.answer;
    }
    const entered = generatorGate.enter();
    if (!entered) {
      const ms = retryAfterMs(generatorGate.state, generatorGate.limits, typicalMs);
      return Promise.reject(
        new BusyError('the broadcaster has too many history reads waiting', ms),
      );
    }
    const answer = (async () => {
      const release = await entered;
      const started = performance.now();
      try {
        generatorReads++;
        reads?.inc({ source: 'generator' });
        const res = await options.client.historyBatch(ids, query, options.timeoutMs);
        typicalMs = 0.8 * typicalMs + 0.2 * (performance.now() - started);
        return res.series;
      } finally {
        release();
      }
    })();
    const entry: SharedRead = { tick, answer };
    inFlight.set(key, entry);
    const forget = () => {
      if (inFlight.get(key) === entry) inFlight.delete(key);
    };
    answer.then(forget, forget);
    return answer;
  }

  return {
    stats: () => ({
      running: generatorGate.state.running,
      waiting: generatorGate.state.waiting,
      shared,
      generatorReads,
    }),

    openSession() {
      const gate: Gate = createGate({
        maxRunning: limits.inFlightPerSocket,
        maxWaiting: limits.queuePerSocket,
      });

      async function request(payload: unknown): Promise<HistoryReply> {
        const batch = typeof payload === 'object' && payload !== null && 'serverIds' in payload;
        let ids: string[];
        let unknown: string[] = [];
        let query: HistoryQuery;
        if (batch) {
          const parsed = batchSchema.safeParse(payload);
          if (!parsed.success) return invalid(formatZodError(parsed.error));
          const { from, to, limit } = parsed.data;
          query = { from, to, limit };
          ids = parsed.data.serverIds.filter((id) => options.knows(id));
          unknown = parsed.data.serverIds.filter((id) => !options.knows(id));
          if (unknown.length) options.onRejected('unknown', unknown.length);
          if (ids.length === 0) return { ok: true, series: [], unknown };
        } else {
          const parsed = historyRequestSchema.safeParse(payload);
          if (!parsed.success) return invalid(formatZodError(parsed.error));
          const { serverId, from, to, limit } = parsed.data;
          if (from !== undefined && to !== undefined && from > to) {
            return invalid('`from` must not be after `to`');
          }
          if (!options.knows(serverId)) {
            options.onRejected('unknown');
            return { ok: false, error: `unknown server "${serverId}"` };
          }
          ids = [serverId];
          query = { from, to, limit };
        }
        query = Object.fromEntries(
          Object.entries(query).filter(([, v]) => v !== undefined),
        ) as HistoryQuery;

        const asked = performance.now();
        const entered = gate.enter();
        if (!entered) {
          options.onRejected('too_many');
          const ms = retryAfterMs(gate.state, gate.limits, typicalMs);
          return {
            ok: false,
            error: `too many history requests: ${gate.state.running} in flight and ${gate.state.waiting} waiting on this socket (at most ${limits.inFlightPerSocket} + ${limits.queuePerSocket}); retry in ${ms} ms`,
            retryAfterMs: ms,
          };
        }
        let release: () => void;
        try {
          release = await entered;
        } catch (err) {
          if (err instanceof GateClosedError) return { ok: false, error: 'disconnected' };
          throw err;
        }
        try {
          const pending = read(ids, query);
          waitSeconds?.observe((performance.now() - asked) / 1000);
          const series = await pending;
          if (!batch) return { ok: true, samples: series[0]?.samples ?? [] };
          return { ok: true, series, unknown };
        } catch (err) {
          return failure(err, batch ? undefined : ids[0]);
        } finally {
          release();
        }
      }

      return {
        request: (payload) =>
          request(payload).catch((err: unknown) => {
            log.error({ err }, 'history request failed unexpectedly');
            return { ok: false as const, error: 'internal error' };
          }),
        close: () => gate.close(),
      };
    },
  };

  function invalid(message: string): HistoryReply {
    options.onRejected('invalid');
    return { ok: false, error: `invalid request: ${message}` };
  }

  function failure(err: unknown, singleId: string | undefined): HistoryReply {
    if (err instanceof BusyError) {
      return {
        ok: false,
        error: `${err.message}; retry in ${err.retryAfterMs} ms`,
        retryAfterMs: err.retryAfterMs,
      };
    }
    if (err instanceof GeneratorError && err.kind === 'http_error') {
      if (err.status === 404) {
        return { ok: false, error: singleId ? `unknown server "${singleId}"` : err.message };
      }
      if (err.status === 400) return { ok: false, error: err.message };
      if (err.status === 503) {
        const ms = err.retryAfterMs ?? 1_000;
        return { ok: false, error: `generator busy, retry in ${ms} ms`, retryAfterMs: ms };
      }
    }
    log.warn({ err: (err as Error).message }, 'history request failed');
    return { ok: false, error: 'generator unavailable, try again later', retryAfterMs: 1_000 };
  }
}

class BusyError extends Error {
  override name = 'BusyError';
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}
