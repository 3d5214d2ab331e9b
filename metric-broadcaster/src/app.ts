import { once } from 'node:events';
import http from 'node:http';
import type { Logger } from 'pino';
import { Server } from 'socket.io';
import {
  EVENTS,
  FLEET_ROOM,
  SOCKET_PATH,
  serverRoom,
  type ClientToServerEvents,
  type ServerToClientEvents,
} from '@metrics/protocol';
import { subscribeRequestSchema } from '@metrics/protocol/schemas';
import type { Config } from './config.js';
import { createDiscovery } from './discovery.js';
import { createFleetPoll } from './fleet-poll.js';
import { createGeneratorClient, type GeneratorClient } from './generator-client.js';
import { createGeneratorStatus } from './generator-status.js';
import { createHistoryService } from './history-service.js';
import { createRequestHandler } from './http-routes.js';
import { createLatestFetcher } from './latest-fetcher.js';
import { createMetrics, type BroadcasterMetrics } from './metrics.js';
import { createIngressCheck } from './ingress-secret.js';
import { isOriginAllowed } from './origin.js';
import { createPollLoop, type PollLoop } from './poll-loop.js';
import { defaultTiming, isActive } from './poller.js';
import { registerHandlers } from './socket-handlers.js';
import { encodeServersPacket } from './socket-packets.js';
import type { InterServerEvents, IoServer, SocketData } from './socket-types.js';
import { createTickRouting } from './tick-routing.js';

export interface BroadcasterDeps {
  config: Readonly<Config>;
  log: Logger;
  /** Injected in tests; by default an HTTP client of `config.generatorUrl` (generator-client.ts). */
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

const SERVER_ROOM_PREFIX = serverRoom('');

/**
 * The broadcaster's composition root: builds its parts from the configuration and wires them.
 * Discovery keeps the server list (server-list.ts), generator-status.ts whether the generator
 * answers, poll-loop.ts and fleet-poll.ts bring each tick's watched samples and fleet frame,
 * tick-routing.ts decides which client gets what, socket-handlers.ts answers client events.
 * Never listens.
 */
export function createBroadcaster({ config, log, client: injected }: BroadcasterDeps): Broadcaster {
  let closing: Promise<void> | undefined;
  // The metrics' collectors and the health route run on requests, once every part is built.
  const clientsCount = () => io.engine.clientsCount;
  const activePollers = () => loop.activePollers() + (isActive(fleetPoll.state()) ? 1 : 0);

  const metrics = createMetrics({
    clients: clientsCount,
    activePollers,
    generatorUp: () => status.up,
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
        generator: status.current,
        servers: discovery.current.ids.length,
        pollers: activePollers(),
        clients: clientsCount(),
        lastTick: lastTickIso(),
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
  const nsp = io.of('/');
  const roomSize = (room: string): number => nsp.adapter.rooms.get(room)?.size ?? 0;

  const status = createGeneratorStatus({
    log,
    onChange(payload) {
      io.emit(EVENTS.status, payload);
      metrics.emittedMessages.inc({ event: EVENTS.status }, io.engine.clientsCount);
    },
    // A restarted generator may have another SERVER_COUNT: look at once.
    onRecovered: () => {
      if (discovery.current.ids.length) void discovery.refresh();
    },
  });
  const report = (ok: boolean) => status.report(ok);

  const timing = defaultTiming(config.pollIntervalMs);
  const loop = createPollLoop({
    client,
    timing,
    generatorTimeoutMs: config.generatorTimeoutMs,
    log: log.child({ module: 'poller' }),
    subscribersOf: (id) => roomSize(serverRoom(id)),
    onTick: (tick, emitted) => routing.samples(tick, emitted),
    onGenerator: report,
    newestTick: () => fleetPoll.currentTick,
  });

  const fleetPoll = createFleetPoll({
    client,
    timing,
    generatorTimeoutMs: config.generatorTimeoutMs,
    log: log.child({ module: 'fleet-poll' }),
    members: () => roomSize(FLEET_ROOM),
    newestTick: () => loop.currentTick,
    onFrame: (frame) => routing.fleet(frame),
    onGenerator: report,
  });

  const discovery = createDiscovery({
    client,
    intervalMs: config.discoveryIntervalMs,
    // The list of 100,000 servers is about 2 MB: give it the time a history request gets.
    timeoutMs: config.generatorTimeoutMs * 5,
    log: log.child({ module: 'discovery' }),
    onGenerator: report,
    onServers(list) {
      loop.setServers(list.ids);
      io.emit(EVENTS.servers, list.payload(Date.now()));
      metrics.emittedMessages.inc({ event: EVENTS.servers }, io.engine.clientsCount);
    },
  });

  const socketLog = log.child({ module: 'socket' });
  const routing = createTickRouting({
    io,
    metrics,
    slowClientBufferBytes: config.limits.slowClientBufferBytes,
    directWrites: config.directWrites,
    servers: () => discovery.current,
    generatorUp: () => status.up,
    loop,
    fetcher: createLatestFetcher(client, config.generatorTimeoutMs, socketLog),
    client,
    fleetTick: () => Math.max(loop.currentTick, fleetPoll.currentTick),
    fleetMaxAgeMs: config.pollIntervalMs,
    timeoutMs: config.generatorTimeoutMs,
    // The generator's list changed under us: fetch it (clients get it), later frames fit.
    onListMismatch: () => void discovery.refresh(),
    log: socketLog,
  });

  const lastTickIso = (): string | null => {
    const tick = Math.max(loop.currentTick, fleetPoll.currentTick);
    return tick >= 0 ? new Date(tick).toISOString() : null;
  };

  // Room membership is the subscriber count: every join and leave (including the implicit
  // leave of a disconnect) updates the matching poller.
  const onRoomChange = (room: string): void => {
    if (room === FLEET_ROOM) fleetPoll.refresh();
    else if (room.startsWith(SERVER_ROOM_PREFIX))
      loop.refresh(room.slice(SERVER_ROOM_PREFIX.length));
  };
  nsp.adapter.on('join-room', onRoomChange);
  nsp.adapter.on('leave-room', onRoomChange);

  const handlerContext = {
    limits: config.limits,
    log: socketLog,
    metrics,
    discovery,
    routing,
    history: createHistoryService({
      client,
      knows: (id) => discovery.has(id),
      currentTick: () => Math.max(loop.currentTick, fleetPoll.currentTick),
      limits: {
        inFlightPerSocket: config.limits.historyInFlightPerSocket,
        queuePerSocket: config.limits.historyQueuePerSocket,
        generatorInFlight: config.limits.historyGeneratorInFlight,
        maxBatchIds: config.limits.maxSubscriptionsPerSocket,
      },
      timeoutMs: config.generatorTimeoutMs * 5,
      log: socketLog.child({ module: 'history' }),
      onRejected: (reason, count = 1) => metrics.rejectedEvents.inc({ reason }, count),
      registry: metrics.registry,
    }),
    subscribeSchema: subscribeRequestSchema(config.limits.maxIdsPerSubscribe),
  };

  io.on('connection', (socket) => {
    registerHandlers(socket, handlerContext);
    // what socket.emit(EVENTS.servers, …) sends, from the list encoded once per version
    socket.conn.write(encodeServersPacket(discovery.current, Date.now()));
    socket.emit(EVENTS.status, status.payload());
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
        fleetPoll.close();
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
