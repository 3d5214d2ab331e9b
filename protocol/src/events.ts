import type { Sample } from './sample.js';
import type { ServerInfo } from './http.js';

/** socket.io event names (docs/architecture.md, "metric-broadcaster socket events"). */
export const EVENTS = {
  servers: 'servers',
  status: 'status',
  subscribe: 'subscribe',
  unsubscribe: 'unsubscribe',
  history: 'history',
  metrics: 'metrics',
  fleetSubscribe: 'fleet:subscribe',
  fleetUnsubscribe: 'fleet:unsubscribe',
  fleet: 'fleet',
} as const;

export const SOCKET_PATH = '/socket.io';
export const FLEET_ROOM = 'fleet';
export const serverRoom = (serverId: string): string => `server:${serverId}`;

export interface ServersPayload {
  servers: ServerInfo[];
  /** Version of this id list; `fleet` frames name the version whose order they follow. */
  version: number;
  /** Epoch ms when sent. */
  timestamp: number;
}

export type GeneratorStatus = 'up' | 'down';

export interface StatusPayload {
  generator: GeneratorStatus;
  timestamp: number;
}

export interface MetricsPayload {
  data: Sample[];
  /** Epoch ms when the broadcaster sent it. */
  timestamp: number;
}

export interface SubscribeRequest {
  serverIds: string[];
}

export interface HistoryRequest {
  serverId: string;
  /** Epoch ms or ISO 8601, inclusive. */
  from?: number | string;
  to?: number | string;
  limit?: number;
}

/**
 * Batched backfill: several servers' history in one request and one answer (one generator read).
 * `from`, `to` and `limit` apply to each server; ids × limit must stay within
 * `HISTORY_BATCH_SAMPLES_MAX`, and there may be at most as many ids as the socket may watch.
 */
export interface HistoryBatchRequest {
  serverIds: string[];
  from?: number | string;
  to?: number | string;
  limit?: number;
}

/** The one reply shape of every ack. */
export type Ack<T extends object = object> = ({ ok: true } & T) | { ok: false; error: string };

export type SubscribeAck = Ack<{ subscribed: string[]; unknown: string[] }>;

/**
 * A refused or failed `history` request. `retryAfterMs` is set when asking again later will
 * work (the request queue was full, or the generator was saturated): wait that long first.
 */
export interface HistoryFailure {
  ok: false;
  error: string;
  retryAfterMs?: number;
}

export type HistoryAck = { ok: true; samples: Sample[] } | HistoryFailure;

/** One server's samples in a batched answer, oldest first. */
export interface HistorySeries {
  serverId: string;
  samples: Sample[];
}

/**
 * Answer to a batched `history`: one series per known id, in the order asked (each id once);
 * ids the broadcaster does not know are listed in `unknown` instead (as `subscribe` does).
 */
export type HistoryBatchAck =
  { ok: true; series: HistorySeries[]; unknown: string[] } | HistoryFailure;

/**
 * A fleet frame on the wire: the binary `values` are decoded with `decodeFleetFrame`.
 * socket.io sends it as a binary attachment (Buffer on Node, ArrayBuffer in browsers).
 */
export interface FleetFramePayload {
  /** Epoch ms of the tick. */
  tick: number;
  /** The `servers` list version whose order the columns follow. */
  version: number;
  /** Number of servers (columns are this long). */
  count: number;
  values: ArrayBuffer | Uint8Array;
}

export interface ServerToClientEvents {
  servers: (payload: ServersPayload) => void;
  status: (payload: StatusPayload) => void;
  metrics: (payload: MetricsPayload) => void;
  fleet: (payload: FleetFramePayload) => void;
}

export interface ClientToServerEvents {
  subscribe: (req: SubscribeRequest, ack: (res: SubscribeAck) => void) => void;
  unsubscribe: (req: SubscribeRequest, ack: (res: Ack) => void) => void;
  /** The single form answers `HistoryAck`, the batched form (`serverIds`) `HistoryBatchAck`. */
  history: (
    req: HistoryRequest | HistoryBatchRequest,
    ack: (res: HistoryAck | HistoryBatchAck) => void,
  ) => void;
  'fleet:subscribe': (ack: (res: Ack) => void) => void;
  'fleet:unsubscribe': (ack: (res: Ack) => void) => void;
}
