import type { Server } from 'node:http';
import type { Logger } from 'pino';

export interface ListenOptions {
  /** 0 picks a free port; the one bound is logged and returned. */
  port: number;
  /** Address to bind (`HOST`); default all interfaces, as `server.listen(port)` does. */
  host?: string;
  log: Logger;
  /** Runs once the port is bound, before `listening` is logged; returns more fields for it. */
  onListening?: (port: number) => Record<string, unknown> | void;
  /** Releases what the service already holds before it exits 1 for want of its port. */
  cleanup?: () => Promise<unknown>;
  exit?: (code: number) => void;
}

/**
 * Listens, then logs `{ port, host, ... } listening`: the line every launcher waits for
 * (scripts/lib/service-process.ts). A port that cannot be bound (EADDRINUSE, EACCES) is logged
 * as fatal `cannot listen` and the process exits 1 after `cleanup`.
 */
export async function listen(
  server: Server,
  { port, host, log, onListening, cleanup, exit = (code) => process.exit(code) }: ListenOptions,
): Promise<number> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    log.fatal({ err, port, host }, 'cannot listen');
    await cleanup?.().catch(() => undefined);
    exit(1);
    throw err;
  }
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const boundHost = typeof address === 'object' && address ? address.address : host;
  log.info({ port: bound, host: boundHost, ...onListening?.(bound) }, 'listening');
  return bound;
}

export interface CloseOptions {
  /** Runs once new connections are refused, e.g. answering requests the service holds. */
  drain?: () => Promise<void>;
  /** Connections still open this long after `drain` are cut; by default they are awaited. */
  graceMs?: number;
}

/**
 * Stops accepting connections and resolves once the server has closed. Idle keep-alive
 * connections are closed at once, and again after `drain` (whose answers leave more idle).
 */
export async function closeHttpServer(
  server: Server,
  { drain, graceMs }: CloseOptions = {},
): Promise<void> {
  // The callback's error (the server was not listening) means there is nothing left to close.
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  if (drain) {
    await drain();
    server.closeIdleConnections();
  }
  const grace =
    graceMs === undefined ? undefined : setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(grace);
}
