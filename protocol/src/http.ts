import type { Sample } from './sample.js';

/** Response shapes of the metric-generator HTTP API (docs/architecture.md). */
export interface ServerInfo {
  id: string;
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
  status: 'ok' | 'error';
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

/** Routes, so the broadcaster, tests and benches never spell them by hand. */
export const ROUTES = {
  servers: '/v1/servers',
  serverLatest: (id: string) => `/v1/servers/${encodeURIComponent(id)}/latest`,
  serverHistory: (id: string) => `/v1/servers/${encodeURIComponent(id)}/history`,
  /** Batched history: `?ids=a,b&from=&to=&limit=` (limit per server). */
  history: '/v1/history',
  latest: '/v1/latest',
  health: '/healthz',
  metrics: '/metrics',
} as const;
