/**
 * Tools shared by the fault and fuzz tests (`faults-*.test.ts`, `fuzz-*.test.ts`): real service
 * processes (the generator's also for every other test against the real one), their memory, a
 * delaying HTTP proxy, and socket.io clients that behave like the dashboard (reconnect by
 * themselves, re-subscribe, backfill with `history`).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { io as connect } from 'socket.io-client';
import type { Sample } from '@metrics/protocol';
import { startService, type ServiceProcess } from '../../../scripts/lib/service-process.js';
import type { Client } from './harness.js';

export { rssMiB as rssMb } from '../../../scripts/lib/proc-stats.js';

/** The real generator process on port 0, in memory, ticking each second unless `env` says otherwise. */
export function startGenerator(env: Record<string, string>): Promise<ServiceProcess> {
  return startService('metric-generator', {
    PORT: '0',
    DB_PATH: ':memory:',
    TICK_MS: '1000',
    SEED: '17',
    ...env,
  });
}

export function startBroadcasterProcess(env: Record<string, string>): Promise<ServiceProcess> {
  return startService('metric-broadcaster', { PORT: '0', ...env });
}

/** Pino JSON lines at `error` or worse (50, 60) a process has written so far. */
export const errorLines = (service: ServiceProcess): string[] =>
  service.output.filter((line) => /"level":(50|60)\b/.test(line));

export interface DelayingProxy {
  url: string;
  /** Delay added to every response once the generator has answered (ms). */
  delayMs: number;
  /** Requests accepted whose response is not finished and whose client is still there. */
  inFlight(path: string): number;
  /** The most `inFlight(path)` ever reached since the last `reset()`. */
  maxInFlight(path: string): number;
  /** Requests received for `path` since the last `reset()`. */
  requests(path: string): number;
  reset(): void;
  close(): Promise<void>;
}

/**
 * An HTTP proxy on loopback in front of the real generator that holds each answer `delayMs`
 * before relaying it: a slow generator (or a slow network) as the broadcaster sees it. It counts
 * requests in flight per path; a request leaves the count when its answer is sent or when the
 * client gives up (the upstream request is then aborted too).
 */
export async function startDelayingProxy(target: string): Promise<DelayingProxy> {
  const inFlight = new Map<string, number>();
  const maxInFlight = new Map<string, number>();
  const count = new Map<string, number>();
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    count.set(path, (count.get(path) ?? 0) + 1);
    const now = (inFlight.get(path) ?? 0) + 1;
    inFlight.set(path, now);
    maxInFlight.set(path, Math.max(now, maxInFlight.get(path) ?? 0));
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      inFlight.set(path, (inFlight.get(path) ?? 1) - 1);
    };
    const upstream = http.request(
      `${target}${req.url}`,
      { method: req.method, headers: { ...req.headers, host: new URL(target).host }, agent },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          setTimeout(() => {
            if (done) return;
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(Buffer.concat(chunks));
            finish();
          }, proxy.delayMs);
        });
      },
    );
    upstream.on('error', () => {
      if (done) return;
      res.writeHead(502).end();
      finish();
    });
    res.on('close', () => {
      if (!done) upstream.destroy();
      finish();
    });
    req.pipe(upstream);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  const proxy: DelayingProxy = {
    url: `http://127.0.0.1:${port}`,
    delayMs: 0,
    inFlight: (path) => inFlight.get(path) ?? 0,
    maxInFlight: (path) => maxInFlight.get(path) ?? 0,
    requests: (path) => count.get(path) ?? 0,
    reset() {
      maxInFlight.clear();
      count.clear();
      for (const [path, n] of inFlight) maxInFlight.set(path, n);
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      agent.destroy();
    },
  };
  return proxy;
}

/**
 * A client that behaves like the dashboard's detail view: on every (re)connection it subscribes
 * to `serverIds` and asks `history` for everything after the newest timestamp it holds, so a gap
 * left by a lost connection is filled. It records the set of timestamps it holds per server.
 */
export interface WatchingClient {
  socket: Client;
  /** Timestamps (epoch ms) held per server, live and backfilled. */
  held: Map<string, Set<number>>;
  /** How many times it connected (1 + automatic reconnections). */
  connections: number;
  /** Resolves when the backfill after the latest connection is complete. */
  backfilled: Promise<void>;
  /** Backfill requests that failed, with their error. */
  errors: string[];
  /** Local times of every connect and disconnect, in order. */
  transitions: Array<{ event: 'connect' | 'disconnect'; at: number }>;
  /** Samples a `metrics` event brought that an earlier one of the same connection had brought. */
  liveDuplicates: number;
  close(): void;
}

export interface WatchingOptions {
  /**
   * Backfill every server with ONE batched `history` request (from the oldest of the newest
   * timestamps held), as the dashboard and the example client do; default one request per server.
   */
  batched?: boolean;
}

export function watchingClient(
  url: string,
  serverIds: readonly string[],
  options: WatchingOptions = {},
): WatchingClient {
  const socket: Client = connect(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: true,
    reconnectionDelay: 200,
    reconnectionDelayMax: 1_000,
  });
  const held = new Map<string, Set<number>>(serverIds.map((id) => [id, new Set<number>()]));
  const keep = (samples: readonly Sample[]) => {
    for (const s of samples) held.get(s.serverId)?.add(Date.parse(s.timestamp));
  };
  /** Samples this connection brought; a new connection starts afresh (a new replica may send
   * the latest sample again with its `subscribe` answer, which is the contract). */
  const live = new Set<string>();
  socket.on('metrics', (p) => {
    for (const s of p.data) {
      const key = `${s.serverId}@${s.timestamp}`;
      if (live.has(key)) state.liveDuplicates++;
      live.add(key);
    }
    keep(p.data);
  });
  const state: WatchingClient = {
    socket,
    held,
    connections: 0,
    backfilled: Promise.resolve(),
    errors: [],
    transitions: [],
    liveDuplicates: 0,
    close: () => socket.close(),
  };
  socket.on('disconnect', () => state.transitions.push({ event: 'disconnect', at: Date.now() }));
  let markBackfilled: () => void = () => {};
  const nextBackfill = () => {
    state.backfilled = new Promise<void>((resolve) => (markBackfilled = resolve));
  };
  nextBackfill();
  socket.on('connect', () => {
    state.transitions.push({ event: 'connect', at: Date.now() });
    live.clear();
    state.connections++;
    if (state.connections > 1) nextBackfill();
    const done = markBackfilled;
    // What was held when the connection came: everything after it is asked for. (Taken before
    // subscribing, whose immediate sample would otherwise hide the gap.)
    const newestHeld = new Map(serverIds.map((id) => [id, Math.max(-1, ...held.get(id)!)]));
    void (async () => {
      const ack = await socket
        .timeout(5_000)
        .emitWithAck('subscribe', { serverIds: [...serverIds] });
      if (!ack.ok) state.errors.push(`subscribe: ${ack.error}`);
      const held = [...newestHeld.values()].filter((t) => t >= 0);
      if (options.batched && held.length) {
        const reply = await socket.timeout(10_000).emitWithAck('history', {
          serverIds: [...serverIds],
          from: Math.min(...held) + 1,
          limit: 10_000 / serverIds.length,
        });
        if (reply.ok && 'series' in reply) for (const s of reply.series) keep(s.samples);
        else if (!reply.ok) state.errors.push(`history: ${reply.error}`);
        done();
        return;
      }
      for (const id of serverIds) {
        const newest = newestHeld.get(id)!;
        if (newest < 0) continue; // nothing held yet: nothing to fill
        const reply = await socket
          .timeout(5_000)
          .emitWithAck('history', { serverId: id, from: newest + 1, limit: 10_000 });
        if (reply.ok && 'samples' in reply) keep(reply.samples);
        else if (!reply.ok) state.errors.push(`history ${id}: ${reply.error}`);
      }
      done();
    })().catch((err: Error) => {
      state.errors.push(err.message);
      done();
    });
  });
  return state;
}

/** Timestamps missing between the first and the last held one, on a `stepMs` grid. */
export function missingSteps(held: ReadonlySet<number>, stepMs: number): number[] {
  if (held.size === 0) return [];
  const sorted = [...held].sort((a, b) => a - b);
  const missing: number[] = [];
  for (let t = sorted[0]!; t <= sorted.at(-1)!; t += stepMs) if (!held.has(t)) missing.push(t);
  return missing;
}
