import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { io as connect, type Socket } from 'socket.io-client';
import type {
  ClientToServerEvents,
  Sample,
  ServersPayload,
  ServerToClientEvents,
  StatusPayload,
} from '@metrics/protocol';
import { createBroadcaster, type Broadcaster } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

export type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface RunningBroadcaster {
  app: Broadcaster;
  url: string;
  close(): Promise<void>;
}

/** The broadcaster in this process (real socket.io, real HTTP) on a free loopback port. */
export async function startBroadcaster(env: Record<string, string>): Promise<RunningBroadcaster> {
  const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent', ...env });
  const app = createBroadcaster({ config, log: pino({ level: process.env.TEST_LOG ?? 'silent' }) });
  await app.start();
  app.server.listen(0, '127.0.0.1');
  await once(app.server, 'listening');
  const { port } = app.server.address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

const serversSeen = new WeakMap<Client, ServersPayload[]>();
const statusSeen = new WeakMap<Client, Array<StatusPayload & { at: number }>>();

/** Every `servers` event the client got, recorded from before it connected. */
export const serversOf = (socket: Client): ServersPayload[] => serversSeen.get(socket) ?? [];
/** Every `status` event the client got, with its local receive time. */
export const statusOf = (socket: Client): Array<StatusPayload & { at: number }> =>
  statusSeen.get(socket) ?? [];

export async function connectClient(
  url: string,
  extraHeaders?: Record<string, string>,
): Promise<Client> {
  const socket: Client = connect(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    ...(extraHeaders ? { extraHeaders } : {}),
  });
  const servers: ServersPayload[] = [];
  const status: Array<StatusPayload & { at: number }> = [];
  serversSeen.set(socket, servers);
  statusSeen.set(socket, status);
  socket.on('servers', (p) => servers.push(p));
  socket.on('status', (p) => status.push({ ...p, at: Date.now() }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

export interface Received {
  at: number;
  data: Sample[];
  timestamp: number;
}

/** Records every `metrics` event with its local receive time. */
export function recordMetrics(socket: Client): Received[] {
  const events: Received[] = [];
  socket.on('metrics', (p) =>
    events.push({ at: Date.now(), data: p.data, timestamp: p.timestamp }),
  );
  return events;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `predicate` holds, polling every 20 ms; throws with `what` after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
  return Date.now() - started;
}

/** Sum of a Prometheus counter's samples whose labels contain every `labels` pair. */
export async function counter(
  url: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
