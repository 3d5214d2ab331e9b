import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { Sample, ServersPayload, StatusPayload } from '@metrics/protocol';
import { createBroadcaster, type Broadcaster } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { GeneratorClient } from '../../src/generator-client.js';
import { connectSocket, type MetricsSocket } from '../../../scripts/lib/socket-client.js';

export type Client = MetricsSocket;

export interface RunningBroadcaster {
  app: Broadcaster;
  url: string;
  close(): Promise<void>;
}

/**
 * The broadcaster in this process (real socket.io, real HTTP) on a free loopback port; `client`
 * replaces its generator client (to record or alter requests).
 */
export async function startBroadcaster(
  env: Record<string, string>,
  client?: GeneratorClient,
): Promise<RunningBroadcaster> {
  const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent', ...env });
  const log = pino({ level: process.env.TEST_LOG ?? 'silent' });
  const app = createBroadcaster({ config, log, ...(client ? { client } : {}) });
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

/** A client that records `servers` and `status` from before it connected (see `serversOf`). */
export function connectClient(url: string, extraHeaders?: Record<string, string>): Promise<Client> {
  return connectSocket(url, extraHeaders ? { extraHeaders } : {}, (socket) => {
    const servers: ServersPayload[] = [];
    const status: Array<StatusPayload & { at: number }> = [];
    serversSeen.set(socket, servers);
    statusSeen.set(socket, status);
    socket.on('servers', (p) => servers.push(p));
    socket.on('status', (p) => status.push({ ...p, at: Date.now() }));
  });
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

export { sleep, waitFor } from '../../../scripts/lib/wait.js';
export { counter } from '../../../scripts/lib/prom.js';
