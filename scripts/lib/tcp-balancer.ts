/**
 * The embedded fallback ingress's answer to nginx's `least_conn` + `proxy_next_upstream error`
 * for broadcaster replicas: a TCP listener on loopback that hands each new connection to the
 * replica holding the fewest, and to the next one when that one refuses. Bytes are piped
 * untouched (HTTP and WebSocket alike), so Vite's proxy (http-proxy) still does all the HTTP work
 * in front of it; this only chooses where a connection goes. Used by `npm start` without nginx
 * when BROADCASTER_REPLICAS > 1.
 */
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface Balancer {
  url: string;
  /** Open connections per target, in the order given. */
  connections(): number[];
  close(): Promise<void>;
}

export interface BalancerTarget {
  host: string;
  port: number;
}

/** Index of the target with the fewest open connections, skipping `tried`; -1 if none is left. */
export function leastConnected(open: readonly number[], tried: ReadonlySet<number>): number {
  let best = -1;
  for (let i = 0; i < open.length; i++) {
    if (tried.has(i)) continue;
    if (best < 0 || open[i]! < open[best]!) best = i;
  }
  return best;
}

export async function startBalancer(targets: readonly BalancerTarget[]): Promise<Balancer> {
  if (targets.length === 0) throw new Error('the balancer needs at least one target');
  const open = targets.map(() => 0);
  const sockets = new Set<Socket>();

  const server = createServer((client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.pause();
    const tried = new Set<number>();
    const attempt = () => {
      const index = leastConnected(open, tried);
      if (index < 0) {
        client.destroy();
        return;
      }
      tried.add(index);
      open[index]!++;
      const upstream = connect(targets[index]!);
      sockets.add(upstream);
      let connected = false;
      upstream.once('connect', () => {
        connected = true;
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      upstream.once('error', () => {
        if (!connected) attempt();
        else client.destroy();
      });
      upstream.once('close', () => {
        open[index]!--;
        sockets.delete(upstream);
        if (connected) client.destroy();
      });
      client.once('error', () => upstream.destroy());
      client.once('close', () => upstream.destroy());
    };
    attempt();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => [...open],
    async close() {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
