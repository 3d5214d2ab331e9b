import type { Logger } from 'pino';
import { EVENTS, FLEET_ROOM, serverRoom } from '@metrics/protocol';
import { writeFramed, type WritePart } from './batched-write.js';
import type { FleetBytes, GeneratorClient } from './generator-client.js';
import type { RawSample } from './latest-body.js';
import type { LatestFetcher } from './latest-fetcher.js';
import type { BroadcasterMetrics } from './metrics.js';
import type { PollLoop } from './poll-loop.js';
import type { ServerList } from './server-list.js';
import {
  encodeFleetPacket,
  encodeMetricsPacket,
  type FleetPacket,
  type PacketEncoder,
} from './socket-packets.js';
import type { BroadcasterSocket, IoServer } from './socket-types.js';

export interface TickRoutingOptions {
  io: IoServer;
  metrics: BroadcasterMetrics;
  /** A client with more unsent bytes than this skips the tick (it backfills with `history`). */
  slowClientBufferBytes: number;
  /** Pre-built frames straight to the TCP socket when possible (`writeFramed`). */
  directWrites: boolean;
  /** The server list clients were last sent: a fleet frame must name its version. */
  servers(): ServerList;
  generatorUp(): boolean;
  /** The watched servers' loop: its newest samples serve a new subscriber. */
  loop: Pick<PollLoop, 'freshSample' | 'remember'>;
  /** One coalesced `/v1/latest?ids=` for new subscribers the loop has nothing fresh for. */
  fetcher: LatestFetcher;
  client: Pick<GeneratorClient, 'fleet'>;
  /** Newest tick the fleet poll has seen: a kept frame older than this is not reused. */
  fleetTick(): number;
  /** A kept frame serves a new fleet member for at most this long (`POLL_INTERVAL_MS`). */
  fleetMaxAgeMs: number;
  timeoutMs: number;
  /** A frame named another list version than the known one: fetch the list again. */
  onListMismatch(frameVersion: number): void;
  log: Logger;
}

/**
 * Who gets which sample, each tick and at each join. Every decision of that kind is here; the
 * loops only say what arrived (poll-loop.ts: the watched servers' samples that their room gets
 * now; fleet-poll.ts: the tick's fleet frame).
 */
export interface TickRouting {
  /**
   * A tick's watched samples: each to the members of its room `server:<id>`, ONE `metrics`
   * event (one write) per client holding all of its samples of the tick, each sample at most
   * once per client (`socket.data.subs`).
   */
  samples(tick: number, emitted: readonly RawSample[]): void;
  /**
   * A tick's fleet frame: the generator's bytes, encoded as one `fleet` event once and written
   * as they are to every member of the fleet room, if it names the version of the list clients
   * have; never a frame against another list.
   */
  fleet(frame: FleetBytes): void;
  /**
   * A socket's new subscriptions: the newest sample of each, in one `metrics` event, from the
   * loop when it holds the newest tick, else from one coalesced fetch; nothing while the
   * generator is down (a stale sample is never sent).
   */
  subscribed(socket: BroadcasterSocket, ids: readonly string[]): Promise<void>;
  /**
   * A socket that joined the fleet room: the newest frame at once, so the overview does not wait
   * for the next tick: the last tick's frame while it is the newest known, else one `/v1/fleet`
   * shared by every socket that joins while it is in flight. Never rejects.
   */
  joinedFleet(socket: BroadcasterSocket): Promise<void>;
  /** The newest fleet packet sent or kept, if any. */
  lastFleet(): FleetPacket | undefined;
}

/**
 * Room membership decides who gets what. A socket write costs 12–16 µs of CPU here whatever its
 * size (docs/performance.md), so writes, not bytes, are what this minimizes: one write per client
 * per tick for its samples, and the fleet frame framed once per tick for every member. The
 * samples' JSON and the fleet frame's bytes are relayed as the generator wrote them.
 */
export function createTickRouting(opts: TickRoutingOptions): TickRouting {
  const { io, metrics, slowClientBufferBytes, directWrites, log } = opts;
  const nsp = io.of('/');
  const encoder = io.encoder as unknown as PacketEncoder;
  let last: FleetPacket | undefined;
  /**
   * `server:<id>` of each id seen: built and hashed once, not per sample per tick (the ids
   * come and go with discovery: cleared when it holds more names than the list has ids).
   */
  const roomNames = new Map<string, string>();
  const roomOf = (serverId: string): string => {
    let room = roomNames.get(serverId);
    if (room === undefined) {
      if (roomNames.size > Math.max(1_000, 2 * opts.servers().ids.length)) roomNames.clear();
      room = serverRoom(serverId);
      roomNames.set(serverId, room);
    }
    return room;
  };
  let joinFetch: Promise<FleetPacket | undefined> | undefined;

  /** This socket's new samples as one `metrics` packet (undefined when it has none new). */
  function metricsPacket(
    socket: BroadcasterSocket,
    samples: readonly RawSample[],
    now: number,
  ): { packet: string; count: number } | undefined {
    const subs = socket.data.subs;
    const json: string[] = [];
    for (const s of samples) {
      const known = subs.get(s.serverId);
      if (known === undefined || s.tick <= known) continue;
      subs.set(s.serverId, s.tick);
      json.push(s.json);
    }
    return json.length ? { packet: encodeMetricsPacket(json, now), count: json.length } : undefined;
  }

  /** The frame as a `fleet` packet if it fits the list clients have, kept as the newest. */
  function packetOf(frame: FleetBytes): FleetPacket | undefined {
    const list = opts.servers();
    if (frame.version !== list.version || frame.count !== list.ids.length) {
      metrics.droppedMessages.inc({ reason: 'list_version' });
      opts.onListMismatch(frame.version);
      return undefined;
    }
    if (last && last.tick >= frame.tick && last.version === frame.version) return last;
    const { tick, version, count, bytes } = frame;
    const packet = encodeFleetPacket(encoder, { tick, version, count, frame: bytes }, Date.now());
    if (!last || last.tick <= packet.tick) last = packet;
    return packet;
  }

  /** Writes a fleet packet to one member unless it already has this tick or a newer one. */
  function writeFleet(socket: BroadcasterSocket, packet: FleetPacket): 'sent' | 'slow' | 'skip' {
    if (!socket.connected || packet.tick <= socket.data.fleetTick) return 'skip';
    if (unsentBytes(socket) > slowClientBufferBytes) return 'slow';
    socket.data.fleetTick = packet.tick;
    const direct = writeFramed(socket.conn, [packet], directWrites);
    metrics.clientWrites.inc({ path: direct ? 'direct' : 'engine' });
    return 'sent';
  }

  function usable(packet: FleetPacket | undefined): packet is FleetPacket {
    return (
      packet !== undefined &&
      packet.version === opts.servers().version &&
      packet.tick >= opts.fleetTick() &&
      Date.now() - packet.builtAt <= opts.fleetMaxAgeMs
    );
  }

  async function fetchFleet(): Promise<FleetPacket | undefined> {
    try {
      const answer = await opts.client.fleet({ timeoutMs: opts.timeoutMs, kind: 'fleet_initial' });
      return answer === 'no-tick' ? undefined : packetOf(answer);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'fleet frame fetch for a new member failed');
      return undefined;
    }
  }

  return {
    samples(tick, emitted) {
      const started = performance.now();
      const now = Date.now();
      const rooms = nsp.adapter.rooms;
      const perSocket = new Map<string, RawSample[]>();
      for (const s of emitted) {
        const members = rooms.get(roomOf(s.serverId));
        if (!members) continue;
        for (const sid of members) {
          const list = perSocket.get(sid);
          if (list) list.push(s);
          else perSocket.set(sid, [s]);
        }
      }
      let messages = 0;
      let sent = 0;
      let slow = 0;
      let direct = 0;
      let viaEngine = 0;
      for (const [sid, list] of perSocket) {
        const socket = nsp.sockets.get(sid);
        if (!socket || !socket.connected) continue;
        if (unsentBytes(socket) > slowClientBufferBytes) {
          slow++;
          continue;
        }
        const m = metricsPacket(socket, list, now);
        if (!m) continue;
        const part: WritePart = { packets: [m.packet] };
        if (writeFramed(socket.conn, [part], directWrites)) direct++;
        else viaEngine++;
        messages++;
        sent += m.count;
      }
      if (messages) metrics.emittedMessages.inc({ event: EVENTS.metrics }, messages);
      if (sent) metrics.emittedSamples.inc(sent);
      if (slow) metrics.droppedMessages.inc({ reason: 'slow_client' }, slow);
      if (direct) metrics.clientWrites.inc({ path: 'direct' }, direct);
      if (viaEngine) metrics.clientWrites.inc({ path: 'engine' }, viaEngine);
      metrics.freshness.observe({ path: 'samples' }, Math.max(0, now - tick) / 1000);
      metrics.fanoutDuration.observe({ path: 'samples' }, (performance.now() - started) / 1000);
    },

    fleet(frame) {
      const started = performance.now();
      const now = Date.now();
      const members = nsp.adapter.rooms.get(FLEET_ROOM);
      if (!members?.size) return;
      const packet = packetOf(frame);
      if (!packet) return;
      let sent = 0;
      let slow = 0;
      for (const sid of members) {
        const socket = nsp.sockets.get(sid);
        if (!socket) continue;
        const outcome = writeFleet(socket, packet);
        if (outcome === 'sent') sent++;
        else if (outcome === 'slow') slow++;
      }
      if (sent) metrics.emittedMessages.inc({ event: EVENTS.fleet }, sent);
      if (slow) metrics.droppedMessages.inc({ reason: 'slow_client' }, slow);
      metrics.freshness.observe({ path: 'fleet' }, Math.max(0, now - frame.tick) / 1000);
      metrics.fanoutDuration.observe({ path: 'fleet' }, (performance.now() - started) / 1000);
    },

    async subscribed(socket, ids) {
      if (!ids.length || !opts.generatorUp()) return;
      const out: RawSample[] = [];
      const missing: string[] = [];
      for (const id of ids) {
        const s = opts.loop.freshSample(id);
        if (s) out.push(s);
        else missing.push(id);
      }
      if (missing.length) {
        const fetched = await opts.fetcher.get(missing);
        opts.loop.remember(fetched);
        out.push(...fetched);
      }
      if (!socket.connected) return;
      const m = metricsPacket(socket, out, Date.now());
      if (!m) return;
      socket.conn.write(m.packet);
      metrics.emittedMessages.inc({ event: EVENTS.metrics });
      metrics.emittedSamples.inc(m.count);
    },

    async joinedFleet(socket) {
      if (!opts.generatorUp()) return;
      try {
        let packet: FleetPacket | undefined = last;
        if (!usable(packet)) {
          joinFetch ??= fetchFleet().finally(() => {
            joinFetch = undefined;
          });
          packet = await joinFetch;
        }
        if (!packet || !socket.rooms.has(FLEET_ROOM)) return;
        const outcome = writeFleet(socket, packet);
        if (outcome === 'sent') metrics.emittedMessages.inc({ event: EVENTS.fleet });
        else if (outcome === 'slow') metrics.droppedMessages.inc({ reason: 'slow_client' });
      } catch (err) {
        log.error({ err, socket: socket.id }, 'initial fleet frame failed');
      }
    },

    lastFleet: () => last,
  };
}

/**
 * Bytes written to this client's connection that the kernel has not taken yet (the ws
 * `bufferedAmount` of the websocket transport). socket.io has no backpressure of its own: a
 * client that cannot keep up otherwise builds a silent backlog in the server's memory.
 */
export function unsentBytes(socket: BroadcasterSocket): number {
  const transport = socket.conn.transport as unknown as { socket?: { bufferedAmount?: unknown } };
  const buffered = transport.socket?.bufferedAmount;
  return typeof buffered === 'number' ? buffered : 0;
}
