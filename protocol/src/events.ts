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

/** The one reply shape of every ack. */
export type Ack<T extends object = object> = ({ ok: true } & T) | { ok: false; error: string };

export type SubscribeAck = Ack<{ subscribed: string[]; unknown: string[] }>;
export type HistoryAck = Ack<{ samples: Sample[] }>;

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
  history: (req: HistoryRequest, ack: (res: HistoryAck) => void) => void;
  'fleet:subscribe': (ack: (res: Ack) => void) => void;
  'fleet:unsubscribe': (ack: (res: Ack) => void) => void;
}
