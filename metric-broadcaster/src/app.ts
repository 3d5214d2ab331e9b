import { once } from 'node:events';
import http from 'node:http';
import type { Logger } from 'pino';
import { Server } from 'socket.io';
import {
  EVENTS,
  FLEET_ROOM,
  SOCKET_PATH,
  type ClientToServerEvents,
  type GeneratorStatus,
  type ServerToClientEvents,
  type ServersPayload,
  type StatusPayload,
} from '@metrics/protocol';
import { subscribeRequestSchema } from '@metrics/protocol/schemas';
import type { Config } from './config.js';
import { createDiscovery, type ServerList } from './discovery.js';
import { encodeServersPacket, serversJson } from './delivery.js';
import { createFanout } from './fanout.js';
import type { FleetIndex } from './fleet-builder.js';
import { createFleetInitial } from './fleet-initial.js';
import { createGeneratorClient, type GeneratorClient } from './generator-client.js';
import { createHistoryService } from './history-service.js';
import { createRequestHandler } from './http-routes.js';
import { createLatestFetcher } from './latest-fetcher.js';
import { createMetrics, type BroadcasterMetrics } from './metrics.js';
import { createIngressCheck } from './ingress-secret.js';
import { isOriginAllowed } from './origin.js';
import { createPollLoop, type PollLoop } from './poll-loop.js';
import { defaultTiming } from './poller.js';
import { registerHandlers } from './socket-handlers.js';
import type { InterServerEvents, IoServer, SocketData } from './socket-types.js';
import { FLEET_POLLER } from './tick-plan.js';

export interface BroadcasterDeps {
  config: Readonly<Config>;
  log: Logger;
  /** Injected in tests; by default a node-fetch client of `config.generatorUrl`. */
  client?: GeneratorClient;
}

export interface Broadcaster {
  /** The HTTP server socket.io is attached to; `main.ts` listens on it. */
  server: http.Server;
  io: IoServer;
  loop: PollLoop;
  metrics: BroadcasterMetrics;
  /** First discovery (failure tolerated: the broadcaster serves and keeps retrying), then timers. */
  start(): Promise<void>;
  /** Stops pollers and discovery, then `io.close()` (every socket, then the HTTP server). */
  close(): Promise<void>;
}

/**
 * Builds the broadcaster from its configuration: HTTP server with `/healthz` and `/metrics`,
 * socket.io on it, discovery, the tick loop and the per-client fan-out. Never listens.
 */
export function createBroadcaster({ config, log, client: injected }: BroadcasterDeps): Broadcaster {
  let generator: GeneratorStatus = 'down';
  let servers: ServerList = { ids: [], version: 0 };
  let serversListJson = '[]';
  let fleetIndex: FleetIndex = { version: 0, index: new Map(), count: 0 };
  let closing: Promise<void> | undefined;

  // Collectors and handlers below read `io` and `loop` lazily, once both exist.
  const metrics = createMetrics({
    clients: () => io.engine.clientsCount,
    activePollers: () => loop.activePollers(),
    generatorUp: () => generator === 'up',
  });
  const client =
    injected ??
    createGeneratorClient({
      baseUrl: config.generatorUrl,
      observe: (kind, outcome, seconds) => metrics.observeRequest(kind, outcome, seconds),
    });

  const server = http.createServer(
    createRequestHandler({
      registry: metrics.registry,
      log: log.child({ module: 'http' }),
      health: () => ({
        status: 'ok',
        generator,
        servers: servers.ids.length,
        pollers: loop.activePollers(),
        clients: io.engine.clientsCount,
        lastTick: loop.currentTick >= 0 ? new Date(loop.currentTick).toISOString() : null,
      }),
    }),
  );

  const allowed = config.corsOrigins;
  const cameThroughIngress = createIngressCheck(config.ingressSecret);
  const io: IoServer = new Server<
    ClientToServerEvents,
    ServerToClientEvents,
    InterServerEvents,
    SocketData
  >(server, {
    path: SOCKET_PATH,
    serveClient: false,
    // Per-message deflate multiplies server CPU ~7x and latency ~10x (docs/performance.md).
    perMessageDeflate: false,
    httpCompression: false,
    maxHttpBufferSize: config.limits.maxMessageBytes,
    allowRequest: (req, done) => {
      if (!cameThroughIngress(req.headers)) {
        metrics.rejectedEvents.inc({ reason: 'ingress' });
        done('handshakes are accepted through the ingress only', false);
      } else if (isOriginAllowed(req.headers, allowed)) done(null, true);
      else {
        metrics.rejectedEvents.inc({ reason: 'origin' });
        done('origin not allowed', false);
      }
    },
    ...(allowed.length ? { cors: { origin: [...allowed], methods: ['GET', 'POST'] } } : {}),
  });

  function setStatus(ok: boolean): void {
    const next: GeneratorStatus = ok ? 'up' : 'down';
    if (next === generator) return;
    const wasDown = generator === 'down';
    generator = next;
    log.info({ generator }, next === 'up' ? 'generator is up' : 'generator is down');
    io.emit(EVENTS.status, statusPayload());
    metrics.emittedMessages.inc({ event: EVENTS.status }, io.engine.clientsCount);
    // A restarted generator may have another SERVER_COUNT: look at once.
    if (wasDown && next === 'up' && discovery.current.ids.length) void discovery.refresh();
  }

  const statusPayload = (): StatusPayload => ({ generator, timestamp: Date.now() });
  const serversPayload = (): ServersPayload => ({
    servers: servers.ids.map((id) => ({ id })),
    version: servers.version,
    timestamp: Date.now(),
  });

  const nsp = io.of('/');
  const roomSize = (room: string): number => nsp.adapter.rooms.get(room)?.size ?? 0;

  const loop: PollLoop = createPollLoop({
    client,
    timing: defaultTiming(config.pollIntervalMs),
    generatorTimeoutMs: config.generatorTimeoutMs,
    log: log.child({ module: 'poller' }),
    subscribersOf: (key) => roomSize(key === FLEET_POLLER ? FLEET_ROOM : `server:${key}`),
    onTick: (delivery) => fanout.deliver(delivery),
    onGenerator: setStatus,
  });

  const discovery = createDiscovery({
    client,
    intervalMs: config.discoveryIntervalMs,
    timeoutMs: config.generatorTimeoutMs,
    log: log.child({ module: 'discovery' }),
    onGenerator: setStatus,
    onServers(list) {
      servers = list;
      serversListJson = serversJson(list.ids);
      fleetIndex = {
        version: list.version,
        index: new Map(list.ids.map((id, i) => [id, i])),
        count: list.ids.length,
      };
      loop.setServers(list.ids);
      io.emit(EVENTS.servers, serversPayload());
      metrics.emittedMessages.inc({ event: EVENTS.servers }, io.engine.clientsCount);
    },
  });

  const fanout = createFanout({
    io,
    metrics,
    slowClientBufferBytes: config.limits.slowClientBufferBytes,
    directWrites: config.directWrites,
    fleetIndex: () => fleetIndex,
  });

  // Room membership is the subscriber count: every join and leave (including the implicit
  // leave of a disconnect) updates the matching poller.
  const onRoomChange = (room: string): void => {
    if (room === FLEET_ROOM) loop.refresh(FLEET_POLLER);
    else if (room.startsWith('server:')) loop.refresh(room.slice('server:'.length));
  };
  nsp.adapter.on('join-room', onRoomChange);
  nsp.adapter.on('leave-room', onRoomChange);

  const handlerLog = log.child({ module: 'socket' });
  const handlerContext = {
    limits: config.limits,
    log: handlerLog,
    metrics,
    discovery,
    loop,
    fetcher: createLatestFetcher(client, config.generatorTimeoutMs, handlerLog),
    fanout,
    fleetInitial: createFleetInitial({
      fanout,
      client,
      fleetIndex: () => fleetIndex,
      currentTick: () => loop.currentTick,
      remember: (samples) => loop.remember(samples),
      generatorUp: () => generator === 'up',
      maxAgeMs: config.pollIntervalMs,
      timeoutMs: config.generatorTimeoutMs,
      log: handlerLog,
    }),
    generatorUp: () => generator === 'up',
    history: createHistoryService({
      client,
      knows: (id) => discovery.has(id),
      currentTick: () => loop.currentTick,
      limits: {
        inFlightPerSocket: config.limits.historyInFlightPerSocket,
        queuePerSocket: config.limits.historyQueuePerSocket,
        generatorInFlight: config.limits.historyGeneratorInFlight,
        maxBatchIds: config.limits.maxSubscriptionsPerSocket,
      },
      timeoutMs: config.generatorTimeoutMs * 5,
      log: handlerLog.child({ module: 'history' }),
      onRejected: (reason, count = 1) => metrics.rejectedEvents.inc({ reason }, count),
      registry: metrics.registry,
    }),
    subscribeSchema: subscribeRequestSchema(config.limits.maxIdsPerSubscribe),
  };

  io.on('connection', (socket) => {
    registerHandlers(socket, handlerContext);
    // what socket.emit(EVENTS.servers, serversPayload()) sends, without encoding the list again
    socket.conn.write(encodeServersPacket(serversListJson, servers.version, Date.now()));
    socket.emit(EVENTS.status, statusPayload());
    metrics.emittedMessages.inc({ event: EVENTS.servers });
    metrics.emittedMessages.inc({ event: EVENTS.status });
  });

  return {
    server,
    io,
    loop,
    metrics,
    async start() {
      await discovery.refresh();
      discovery.start();
    },
    close() {
      closing ??= (async () => {
        loop.close();
        discovery.close();
        client.close();
        // io.close() disconnects every socket and calls server.close() without waiting for it.
        const serverClosed = server.listening ? once(server, 'close') : Promise.resolve();
        await io.close();
        server.closeAllConnections();
        await serverClosed;
      })();
      return closing;
    },
  };
}
