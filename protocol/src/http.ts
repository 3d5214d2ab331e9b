import type { Sample } from './sample.js';

/** Response shapes of the metric-generator HTTP API (docs/architecture.md). */
export interface ServerInfo {
  id: string;
  /** Where the server's samples come from; absent means `simulated` (keeps big fleets' lists short). */
  source?: ServerSource;
  /** Target labels of a real server (from `file_sd`), e.g. `{ role: "db", region: "eu" }`. */
  labels?: Record<string, string>;
  /** Scrape state of a `node_exporter` server. */
  scrape?: ScrapeState;
}

/** `simulated` (the default, omitted), `host` (this machine), `node_exporter` (a scraped target). */
export type ServerSource = 'simulated' | 'host' | 'node_exporter';

export const SERVER_SOURCES = ['simulated', 'host', 'node_exporter'] as const;

/** The last scrape of a real server: `up` is false when it failed (no answer, an error, garbage). */
export interface ScrapeState {
  up: boolean;
  /** Why the last scrape gave no sample (`timeout after 500 ms`, `connection refused`, …). */
  lastError?: string;
  /** Epoch ms since when `up` has had its value. */
  since: number;
  /** The scraped URL. */
  url: string;
}

export interface ServersResponse {
  servers: ServerInfo[];
  /** `serverListVersion` of the ids: the version `GET /v1/fleet` frames name. */
  version: number;
}

export interface HistoryResponse {
  serverId: string;
  samples: Sample[];
}

/** `GET /v1/history?ids=…`: one series per asked id, in the order asked (duplicates once). */
export interface HistoryBatchResponse {
  series: HistoryResponse[];
}

export interface HealthResponse {
  status: 'ok' | 'degraded' | 'error';
  [detail: string]: unknown;
}

export type ErrorCode =
  'bad_request' | 'not_found' | 'unavailable' | 'payload_too_large' | 'internal';

export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

/** Limits of the history endpoint. */
export const HISTORY_LIMIT_DEFAULT = 300;
export const HISTORY_LIMIT_MAX = 10_000;
/** Most ids one batched history request (`GET /v1/history`, socket `history`) may name. */
export const HISTORY_BATCH_IDS_MAX = 1_000;
/**
 * Most samples one batched history answer may hold: ids × limit ≤ this (about 20 MB of JSON),
 * so one request can never ask for an unbounded body.
 */
export const HISTORY_BATCH_SAMPLES_MAX = 100_000;

/**
 * Longest `ids=` value the broadcaster sends to `GET /v1/latest` (its tick plan asks for every
 * server beyond it). The generator accepts request heads of twice this size (Node's default
 * 16 KB would cut a watch list at about 1,300 ids).
 */
export const LATEST_IDS_MAX_CHARS = 256_000;

/** Routes, so the broadcaster, tests and benches never spell them by hand. */
export const ROUTES = {
  servers: '/v1/servers',
  serverLatest: (id: string) => `/v1/servers/${encodeURIComponent(id)}/latest`,
  serverHistory: (id: string) => `/v1/servers/${encodeURIComponent(id)}/history`,
  /** Batched history: `?ids=a,b&from=&to=&limit=` (limit per server). */
  history: '/v1/history',
  latest: '/v1/latest',
  fleet: '/v1/fleet',
  health: '/healthz',
  metrics: '/metrics',
} as const;
