import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '@metrics/protocol';
import type { TokenBucket } from './rate-limit.js';

/** Per-socket state, kept on `socket.data`. */
export interface SocketData {
  /** Watched server id → newest tick delivered to this socket (each sample goes out once). */
  subs: Map<string, number>;
  /** Tick of the newest `fleet` frame written to this socket (`NO_TICK` before the first). */
  fleetTick: number;
  /** Event rate limit. */
  bucket: TokenBucket;
  /** Refusals allowed before a flooding client is disconnected. */
  strikes: TokenBucket;
}

export type InterServerEvents = Record<string, never>;
export type IoServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;
export type BroadcasterSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;
