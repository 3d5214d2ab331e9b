/**
 * The subset of the socket the dashboard uses, as one small interface: the real adapter over
 * socket.io-client (`createDashboardSocket`) and the unit tests' fake both implement it, so the
 * sessions are tested without a network.
 */
import { io, type Socket } from 'socket.io-client';
import {
  EVENTS,
  SOCKET_PATH,
  type Ack,
  type ClientToServerEvents,
  type HistoryAck,
  type HistoryBatchAck,
  type HistoryBatchRequest,
  type HistoryRequest,
  type ServerToClientEvents,
  type SubscribeAck,
} from '@metrics/protocol';

export interface DashboardSocketEvents extends ServerToClientEvents {
  connect: () => void;
  disconnect: (reason: string) => void;
  'reconnect-attempt': (attempt: number) => void;
  'connect-error': (message: string) => void;
}

export interface DashboardSocket {
  readonly connected: boolean;
  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof DashboardSocketEvents>(
    event: K,
    listener: DashboardSocketEvents[K],
  ): () => void;
  subscribe(serverIds: string[]): Promise<SubscribeAck>;
  unsubscribe(serverIds: string[]): Promise<Ack>;
  history(request: HistoryRequest): Promise<HistoryAck>;
  /** Several servers' history in one request and one answer (the backfill after a reconnect). */
  historyBatch(request: HistoryBatchRequest): Promise<HistoryBatchAck>;
  fleetSubscribe(): Promise<Ack>;
  fleetUnsubscribe(): Promise<Ack>;
  /** Drops the connection and connects again at once (a dead path the heartbeat missed). */
  reconnect(): void;
  close(): void;
}

/** An ack that does not come back within this time counts as failed. */
export const REQUEST_TIMEOUT_MS = 5000;

type IoSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Connects to the page's own origin (nginx routes `/socket.io/` to the broadcaster). */
export function createDashboardSocket(): DashboardSocket {
  const socket: IoSocket = io({
    path: SOCKET_PATH,
    // WebSocket from the start: no long-polling handshake, no upgrade round trips.
    transports: ['websocket'],
    reconnection: true,
    reconnectionDelay: 250,
    reconnectionDelayMax: 3000,
    randomizationFactor: 0.5,
    timeout: 5000,
  });

  const failed = (error: unknown) => ({
    ok: false as const,
    error: error instanceof Error ? error.message : String(error),
  });
  const notConnected = { ok: false as const, error: 'not connected' };

  async function request<T>(send: (s: IoSocket) => Promise<T>): Promise<T | typeof notConnected> {
    // Never let socket.io buffer a request while offline: every (re)connect resubscribes anyway.
    if (!socket.connected) return notConnected;
    try {
      return await send(socket.timeout(REQUEST_TIMEOUT_MS) as unknown as IoSocket);
    } catch (error) {
      return failed(error);
    }
  }

  // The server kicked us (`io server disconnect`): socket.io does not retry that by itself.
  socket.on('disconnect', (reason) => {
    if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 1000);
  });

  return {
    get connected() {
      return socket.connected;
    },
    on(event, listener) {
      const fn = listener as (...args: unknown[]) => void;
      if (event === 'reconnect-attempt') {
        socket.io.on('reconnect_attempt', fn);
        return () => socket.io.off('reconnect_attempt', fn);
      }
      if (event === 'connect-error') {
        const wrapped = (err: Error) => fn(err.message);
        socket.on('connect_error', wrapped);
        return () => socket.off('connect_error', wrapped);
      }
      (socket.on as (e: string, f: typeof fn) => void)(event, fn);
      return () => (socket.off as (e: string, f: typeof fn) => void)(event, fn);
    },
    subscribe: (serverIds) => request((s) => s.emitWithAck(EVENTS.subscribe, { serverIds })),
    unsubscribe: (serverIds) => request((s) => s.emitWithAck(EVENTS.unsubscribe, { serverIds })),
    // One event, two forms: the broadcaster answers the form it was sent.
    history: (req) => request((s) => s.emitWithAck(EVENTS.history, req) as Promise<HistoryAck>),
    historyBatch: (req) =>
      request((s) => s.emitWithAck(EVENTS.history, req) as Promise<HistoryBatchAck>),
    fleetSubscribe: () => request((s) => s.emitWithAck(EVENTS.fleetSubscribe)),
    fleetUnsubscribe: () => request((s) => s.emitWithAck(EVENTS.fleetUnsubscribe)),
    reconnect() {
      socket.disconnect();
      socket.connect();
    },
    close() {
      socket.disconnect();
    },
  };
}
