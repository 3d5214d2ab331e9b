import type { Sample } from './sample.js';

/** Response shapes of the metric-generator HTTP API (docs/architecture.md). */
export interface ServerInfo {
  id: string;
}

export interface HistoryResponse {
  serverId: string;
  samples: Sample[];
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

/** Routes, so the broadcaster, tests and benches never spell them by hand. */
export const ROUTES = {
  servers: '/v1/servers',
  serverLatest: (id: string) => `/v1/servers/${encodeURIComponent(id)}/latest`,
  serverHistory: (id: string) => `/v1/servers/${encodeURIComponent(id)}/history`,
  latest: '/v1/latest',
  health: '/healthz',
  metrics: '/metrics',
} as const;
