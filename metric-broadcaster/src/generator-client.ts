import http from 'node:http';
import https from 'node:https';
import {
  ROUTES,
  readFleetHeader,
  type FleetFrameHeader,
  type HistoryBatchResponse,
  type HistoryResponse,
  type ServersResponse,
} from '@metrics/protocol';
import {
  historyBatchResponseSchema,
  historyResponseSchema,
  serversResponseSchema,
} from '@metrics/protocol/schemas';
import { httpGet, type HttpAnswer } from './http-get.js';
import { parseLatestBody, type LatestTick } from './latest-body.js';

/**
 * `latest`: the watched servers' samples of a tick; `fleet`: the tick's fleet frame;
 * `fleet_initial`: a `/v1/fleet` for the frame a socket gets when it joins the fleet room.
 */
export type RequestKind = 'latest' | 'fleet' | 'fleet_initial' | 'servers' | 'history';
export type RequestOutcome = 'ok' | 'no_tick' | 'http_error' | 'timeout' | 'network' | 'bad_body';

/** Why a generator request failed; `status` is set for HTTP errors. */
export class GeneratorError extends Error {
  override name = 'GeneratorError';
  constructor(
    readonly kind: Exclude<RequestOutcome, 'ok' | 'no_tick'>,
    message: string,
    readonly status?: number,
    /** From a 503's `Retry-After`: when the generator expects to have room again. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** A failed request's error as a `GeneratorError` (anything else thrown counts as `network`). */
export const asGeneratorError = (err: unknown): GeneratorError =>
  err instanceof GeneratorError ? err : new GeneratorError('network', String(err));

export interface LatestRequest {
  /** Server ids to ask for; `undefined` asks for every server. */
  ids?: readonly string[];
  /** Long poll: answer once a tick newer than this (epoch ms) is committed. */
  after?: number;
  timeoutMs: number;
  /** The metrics label of the request (default `latest`). */
  kind?: 'latest' | 'fleet_initial';
}

export interface FleetRequest {
  /** Long poll: answer once a tick newer than this (epoch ms) is committed. */
  after?: number;
  timeoutMs: number;
  /** The metrics label of the request (default `fleet`). */
  kind?: 'fleet' | 'fleet_initial';
}

/** A `/v1/fleet` answer: the encoded frame as the generator sent it, and its header. */
export interface FleetBytes extends FleetFrameHeader {
  bytes: Buffer;
}

export interface HistoryQuery {
  from?: number;
  to?: number;
  limit?: number;
}

export interface GeneratorClient {
  /** The server list and its version. */
  servers(timeoutMs: number): Promise<ServersResponse>;
  /** The committed tick the generator answers with, or `no-tick` for a 204 (long poll ran out). */
  latest(req: LatestRequest): Promise<LatestTick | 'no-tick'>;
  /** The committed tick's fleet frame (header checked, bytes untouched), or `no-tick`. */
  fleet(req: FleetRequest): Promise<FleetBytes | 'no-tick'>;
  history(serverId: string, query: HistoryQuery, timeoutMs: number): Promise<HistoryResponse>;
  /** Several servers' history in one request (`GET /v1/history?ids=`), in the order asked. */
  historyBatch(
    serverIds: readonly string[],
    query: HistoryQuery,
    timeoutMs: number,
  ): Promise<HistoryBatchResponse>;
  /** Aborts requests in flight and closes the keep-alive sockets. */
  close(): void;
}

export interface GeneratorClientOptions {
  baseUrl: string;
  /** Called once per request with its outcome and duration, for metrics. */
  observe?: (kind: RequestKind, outcome: RequestOutcome, seconds: number) => void;
  /** Keep-alive sockets per origin: the loop, subscribe fetches and history share them. */
  maxSockets?: number;
}

/** A generator answer as the readers below see it. */
class Answer {
  constructor(
    private readonly raw: HttpAnswer,
    readonly url: string,
  ) {}
  get status(): number {
    return this.raw.status;
  }
  get ok(): boolean {
    return this.raw.status >= 200 && this.raw.status < 300;
  }
  get statusText(): string {
    return this.raw.statusText;
  }
  header(name: string): string | undefined {
    const value = this.raw.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }
  get bytes(): Buffer {
    return this.raw.body;
  }
  text(): string {
    return this.raw.body.toString('utf8');
  }
}

/**
 * HTTP client of metric-generator (Node's http client, `http-get.ts`, over a keep-alive agent, so
 * each tick's request reuses a warm connection). Every call has a deadline; every failure is a
 * `GeneratorError`.
 */
export function createGeneratorClient({
  baseUrl,
  observe,
  maxSockets = 16,
}: GeneratorClientOptions): GeneratorClient {
  const base = baseUrl.replace(/\/+$/, '');
  const agentOptions = {
    keepAlive: true,
    maxSockets,
    maxFreeSockets: 4,
    scheduling: 'lifo' as const,
  };
  const agent = base.startsWith('https:')
    ? new https.Agent(agentOptions)
    : new http.Agent(agentOptions);
  const inFlight = new Set<AbortController>();
  let closed = false;

  async function request<T>(
    kind: RequestKind,
    path: string,
    timeoutMs: number,
    read: (res: Answer) => T,
  ): Promise<T> {
    if (closed) throw new GeneratorError('network', 'generator client is closed');
    const controller = new AbortController();
    inFlight.add(controller);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const started = performance.now();
    let outcome: RequestOutcome = 'network';
    try {
      const url = `${base}${path}`;
      const res = new Answer(
        await httpGet(url, {
          agent,
          signal: controller.signal,
          headers: { accept: 'application/json, application/octet-stream' },
        }),
        url,
      );
      if (!res.ok) {
        const message = errorMessage(res);
        outcome = 'http_error';
        const retryAfter = res.header('retry-after');
        const retryAfterMs =
          res.status === 503 && retryAfter && /^\d{1,5}$/.test(retryAfter)
            ? Number(retryAfter) * 1000
            : undefined;
        throw new GeneratorError('http_error', message, res.status, retryAfterMs);
      }
      const value = read(res);
      outcome = res.status === 204 ? 'no_tick' : 'ok';
      return value;
    } catch (err) {
      if (err instanceof GeneratorError) {
        outcome = err.kind;
        throw err;
      }
      if (timedOut) {
        outcome = 'timeout';
        throw new GeneratorError(
          'timeout',
          `generator did not answer ${path} within ${timeoutMs} ms`,
        );
      }
      outcome = 'network';
      throw new GeneratorError('network', `generator unreachable: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
      inFlight.delete(controller);
      observe?.(kind, outcome, (performance.now() - started) / 1000);
    }
  }

  function readJson(res: Answer): unknown {
    try {
      return JSON.parse(res.text());
    } catch {
      throw new GeneratorError('bad_body', `generator sent invalid JSON for ${res.url}`);
    }
  }

  return {
    servers(timeoutMs) {
      return request('servers', ROUTES.servers, timeoutMs, (res) => {
        if (res.status === 204) {
          throw new GeneratorError('bad_body', 'generator answered /v1/servers with no content');
        }
        const parsed = serversResponseSchema.safeParse(readJson(res));
        if (!parsed.success) {
          throw new GeneratorError('bad_body', 'generator sent a /v1/servers body without servers');
        }
        return parsed.data;
      });
    },

    fleet({ after, timeoutMs, kind = 'fleet' }) {
      const query = after !== undefined ? `?after=${after}` : '';
      return request(kind, `${ROUTES.fleet}${query}`, timeoutMs, (res) => {
        if (res.status === 204) return 'no-tick' as const;
        const bytes = res.bytes;
        try {
          return { ...readFleetHeader(bytes), bytes };
        } catch (err) {
          throw new GeneratorError(
            'bad_body',
            `generator sent a bad fleet frame: ${(err as Error).message}`,
          );
        }
      });
    },

    latest({ ids, after, timeoutMs, kind = 'latest' }) {
      const params = new URLSearchParams();
      if (ids) params.set('ids', ids.join(','));
      if (after !== undefined) params.set('after', String(after));
      const query = params.size ? `?${params.toString().replace(/%2C/g, ',')}` : '';
      return request(kind, `${ROUTES.latest}${query}`, timeoutMs, (res) => {
        if (res.status === 204) return 'no-tick' as const;
        const body = res.text();
        const header = res.header('x-tick');
        const headerTick = header && /^\d{1,16}$/.test(header) ? Number(header) : undefined;
        try {
          return parseLatestBody(body, headerTick);
        } catch (err) {
          throw new GeneratorError('bad_body', (err as Error).message);
        }
      });
    },

    history(serverId, query, timeoutMs) {
      const params = new URLSearchParams();
      if (query.from !== undefined) params.set('from', String(query.from));
      if (query.to !== undefined) params.set('to', String(query.to));
      if (query.limit !== undefined) params.set('limit', String(query.limit));
      const qs = params.size ? `?${params}` : '';
      return request('history', `${ROUTES.serverHistory(serverId)}${qs}`, timeoutMs, (res) => {
        if (res.status === 204) {
          throw new GeneratorError('bad_body', 'generator answered history with no content');
        }
        const parsed = historyResponseSchema.safeParse(readJson(res));
        if (!parsed.success) {
          throw new GeneratorError('bad_body', 'generator sent a history body without samples');
        }
        return parsed.data;
      });
    },

    historyBatch(serverIds, query, timeoutMs) {
      const params = new URLSearchParams({ ids: serverIds.join(',') });
      if (query.from !== undefined) params.set('from', String(query.from));
      if (query.to !== undefined) params.set('to', String(query.to));
      if (query.limit !== undefined) params.set('limit', String(query.limit));
      const qs = params.toString().replace(/%2C/g, ',');
      return request('history', `${ROUTES.history}?${qs}`, timeoutMs, (res) => {
        if (res.status === 204) {
          throw new GeneratorError('bad_body', 'generator answered history with no content');
        }
        const parsed = historyBatchResponseSchema.safeParse(readJson(res));
        if (!parsed.success) {
          throw new GeneratorError('bad_body', 'generator sent a history body without series');
        }
        return parsed.data;
      });
    },

    close() {
      closed = true;
      for (const c of inFlight) c.abort();
      inFlight.clear();
      agent.destroy();
    },
  };
}

/** The generator's `{error:{message}}` when it sent one, else the status line. */
function errorMessage(res: Answer): string {
  const text = res.text();
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } };
    if (typeof body.error?.message === 'string') return body.error.message;
  } catch {
    // not JSON: fall through
  }
  return `generator answered ${res.status} ${res.statusText}`.trim();
}
