/**
 * Opening many socket.io load clients: what both load clients (bench/lib/broadcaster-load-client.ts,
 * bench/lib/soak-client.ts) do the same way. Each keeps its own socket options and bookkeeping.
 */
import type { MetricsSocket } from '../../scripts/lib/socket-client.js';

export type LoadSocket = MetricsSocket;

/** The orchestrator's order to open `count` clients against `url`. */
export interface LoadConnectCommand {
  type: 'connect';
  url: string;
  count: number;
  /** Global index of this process's first client (subscriptions depend on the index only). */
  firstIndex: number;
  servers: number;
  perClient: number;
  /** Every `fleetEvery`-th client (by index) also subscribes to the fleet. */
  fleetEvery: number;
  seed: number;
}

export { connected } from '../../scripts/lib/socket-client.js';

/**
 * Subscribes a connected client to `serverIds` and, if `fleet`, to the fleet, as the dashboard
 * does; throws if either is refused. Each ack waits `timeoutMs()` ms, read when it is sent.
 */
export async function subscribe(
  socket: LoadSocket,
  serverIds: string[],
  fleet: boolean,
  timeoutMs: () => number,
): Promise<void> {
  const ack = await socket.timeout(timeoutMs()).emitWithAck('subscribe', { serverIds });
  if (!ack.ok) throw new Error(`subscribe: ${ack.error}`);
  if (fleet) {
    const fleetAck = await socket.timeout(timeoutMs()).emitWithAck('fleet:subscribe');
    if (!fleetAck.ok) throw new Error(`fleet:subscribe: ${fleetAck.error}`);
  }
}

/**
 * Runs `connectOne(0 … count − 1)`, `batch` at a time so the server is not hit by thousands of
 * handshakes at once. Before each batch, `stop()` may end the run: the rest are `notStarted`.
 */
export async function inBatches<R>(
  count: number,
  batch: number,
  connectOne: (i: number) => Promise<R>,
  stop: () => boolean = () => false,
): Promise<{ results: R[]; notStarted: number }> {
  const results: R[] = [];
  for (let i = 0; i < count; i += batch) {
    if (stop()) return { results, notStarted: count - i };
    const pending: Array<Promise<R>> = [];
    for (let j = i; j < Math.min(count, i + batch); j++) pending.push(connectOne(j));
    results.push(...(await Promise.all(pending)));
  }
  return { results, notStarted: 0 };
}
