/** socket.io clients of the broadcaster, as tests, benches and scripts open them. */
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '@metrics/protocol';

export type MetricsSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Resolves on the socket's first `connect`, rejects with its first `connect_error`. */
export function connected(socket: Socket): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
}

/**
 * Opens a client on `url` and waits until it is connected: WebSocket only (no long-polling
 * upgrade), its own connection, no reconnection unless `options` say otherwise. A client that
 * cannot connect is closed and the error thrown. `setup` runs before connecting, so listeners
 * it adds see the events sent on connect (`servers`, `status`).
 */
export async function connectSocket(
  url: string,
  options: Partial<ManagerOptions & SocketOptions> = {},
  setup?: (socket: MetricsSocket) => void,
): Promise<MetricsSocket> {
  const socket: MetricsSocket = io(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    ...options,
  });
  setup?.(socket);
  try {
    await connected(socket);
  } catch (err) {
    socket.close();
    throw err;
  }
  return socket;
}
