import { EVENTS, FLEET_ROOM, serverRoom, type FleetFramePayload } from '@metrics/protocol';
import { writeFramed, type WritePart } from './batched-write.js';
import { encodeMetricsPacket } from './delivery.js';
import { buildFleetFrame, type FleetIndex } from './fleet-builder.js';
import type { RawSample } from './latest-body.js';
import type { BroadcasterMetrics } from './metrics.js';
import type { TickDelivery } from './poll-loop.js';
import type { BroadcasterSocket, IoServer } from './socket-types.js';
import { engineMessageFrames } from './ws-frame.js';

/** socket.io-parser's EVENT type; its encoder turns it into BINARY_EVENT for binary payloads. */
const SOCKET_IO_EVENT = 2;

/** The part of socket.io's parser `io.encoder` exposes that the fan-out uses. */
interface FleetEncoder {
  encode(packet: { type: number; nsp: string; data: unknown[] }): Array<string | Buffer>;
}

/** A `fleet` frame encoded once, ready to be written to any number of sockets. */
export interface EncodedFleetFrame {
  tick: number;
  /** The `servers` version its columns follow. */
  version: number;
  /** When it was built (local clock, epoch ms). */
  builtAt: number;
  /** socket.io's packets for it: the header string and the binary attachment. */
  packets: ReadonlyArray<string | Buffer>;
  /** The same as WebSocket frames, built once and written as they are to every member. */
  frames: Buffer;
}

export interface Fanout {
  /** One tick to every watcher: one `metrics` write per client, one `fleet` frame per tick. */
  deliver(delivery: TickDelivery): void;
  /** Samples to one socket (its subscribe's immediate sample), in one `metrics` event. */
  sendTo(socket: BroadcasterSocket, samples: readonly RawSample[]): void;
  /** The newest fleet frame built (by a tick's fan-out or by `rememberFleet`), if any. */
  lastFleet(): EncodedFleetFrame | undefined;
  /** Encodes a frame built outside the tick loop and keeps it as `lastFleet` unless older. */
  rememberFleet(frame: FleetFramePayload): EncodedFleetFrame;
  /**
   * One fleet frame to one member of the `fleet` room (its join's first frame), unless the
   * socket already got this tick or a newer one. Returns whether it was written.
   */
  sendFleetTo(socket: BroadcasterSocket, frame: EncodedFleetFrame): boolean;
}

export interface FanoutOptions {
  io: IoServer;
  metrics: BroadcasterMetrics;
  /** A client with more unsent bytes than this skips the tick (it backfills with `history`). */
  slowClientBufferBytes: number;
  /** Pre-built frames straight to the TCP socket when possible (`writeFramed`); default true. */
  directWrites?: boolean;
  fleetIndex(): FleetIndex;
}

/**
 * Room membership decides who gets what: for each emitted sample, the members of its room
 * `server:<id>` get it appended to their payload; then each client gets ONE `metrics` event
 * holding all of its samples of the tick, and, when it is in the `fleet` room, the fleet frame,
 * all in one TCP write. A socket write costs 12–16 µs whatever its size (docs/performance.md), so
 * writes, not bytes, are what this minimizes. The samples' JSON is relayed as the generator wrote
 * it; `socket.data.subs` guarantees each sample reaches a client at most once.
 */
export function createFanout({
  io,
  metrics,
  slowClientBufferBytes,
  directWrites = true,
  fleetIndex,
}: FanoutOptions): Fanout {
  const nsp = io.of('/');
  const encoder = io.encoder as unknown as FleetEncoder;
  let last: EncodedFleetFrame | undefined;

  function encodeFleet(frame: FleetFramePayload): Array<string | Buffer> {
    return encoder.encode({ type: SOCKET_IO_EVENT, nsp: '/', data: [EVENTS.fleet, frame] });
  }

  function keep(frame: FleetFramePayload, packets: Array<string | Buffer>): EncodedFleetFrame {
    const encoded = {
      tick: frame.tick,
      version: frame.version,
      builtAt: Date.now(),
      packets,
      frames: engineMessageFrames(packets),
    };
    if (!last || last.tick <= frame.tick) last = encoded;
    return encoded;
  }

  /** This socket's new samples as one `metrics` packet (undefined when it has none new). */
  function metricsPacket(
    socket: BroadcasterSocket,
    samples: readonly RawSample[],
    now: number,
  ): { packet: string; count: number } | undefined {
    const subs = socket.data.subs;
    const json: string[] = [];
    for (const s of samples) {
      const last = subs.get(s.serverId);
      if (last === undefined || s.tick <= last) continue;
      subs.set(s.serverId, s.tick);
      json.push(s.json);
    }
    return json.length ? { packet: encodeMetricsPacket(json, now), count: json.length } : undefined;
  }

  return {
    deliver({ tick, emitted, samples, fleet }) {
      const started = performance.now();
      const now = Date.now();
      const rooms = nsp.adapter.rooms;
      const perSocket = new Map<string, RawSample[]>();
      for (const s of emitted) {
        const members = rooms.get(serverRoom(s.serverId));
        if (!members) continue;
        for (const sid of members) {
          const list = perSocket.get(sid);
          if (list) list.push(s);
          else perSocket.set(sid, [s]);
        }
      }
      // The fleet frame is encoded once per tick (socket.io's own encoder: a header string and
      // the binary attachment) and joins each member's batch. It is kept for sockets that join
      // the room before the next tick.
      const fleetMembers = fleet ? rooms.get(FLEET_ROOM) : undefined;
      let fleetFrame: EncodedFleetFrame | undefined;
      if (fleetMembers?.size) {
        const frame = buildFleetFrame(fleetIndex(), tick, samples);
        fleetFrame = keep(frame, encodeFleet(frame));
      }

      let messages = 0;
      let sent = 0;
      let fleetSent = 0;
      let slow = 0;
      let direct = 0;
      let viaEngine = 0;
      const deliverTo = (sid: string, list: readonly RawSample[] | undefined): void => {
        const socket = nsp.sockets.get(sid);
        if (!socket || !socket.connected) return;
        if (unsentBytes(socket) > slowClientBufferBytes) {
          slow++;
          return;
        }
        const parts: WritePart[] = [];
        const m = list ? metricsPacket(socket, list, now) : undefined;
        if (m) {
          parts.push({ packets: [m.packet] });
          messages++;
          sent += m.count;
        }
        // A member that joined during this tick may already hold its frame (sent on join).
        if (fleetFrame && fleetMembers!.has(sid) && tick > socket.data.fleetTick) {
          parts.push(fleetFrame);
          socket.data.fleetTick = tick;
          fleetSent++;
        }
        if (!parts.length) return;
        if (writeFramed(socket.conn, parts, directWrites)) direct++;
        else viaEngine++;
      };
      for (const [sid, list] of perSocket) deliverTo(sid, list);
      if (fleetFrame) {
        for (const sid of fleetMembers!) if (!perSocket.has(sid)) deliverTo(sid, undefined);
      }

      if (messages) metrics.emittedMessages.inc({ event: EVENTS.metrics }, messages);
      if (fleetSent) metrics.emittedMessages.inc({ event: EVENTS.fleet }, fleetSent);
      if (sent) metrics.emittedSamples.inc(sent);
      if (slow) metrics.droppedMessages.inc({ reason: 'slow_client' }, slow);
      if (direct) metrics.clientWrites.inc({ path: 'direct' }, direct);
      if (viaEngine) metrics.clientWrites.inc({ path: 'engine' }, viaEngine);
      metrics.freshness.observe(Math.max(0, now - tick) / 1000);
      metrics.fanoutDuration.observe((performance.now() - started) / 1000);
    },

    sendTo(socket, samples) {
      if (!socket.connected) return;
      const m = metricsPacket(socket, samples, Date.now());
      if (!m) return;
      socket.conn.write(m.packet);
      metrics.emittedMessages.inc({ event: EVENTS.metrics });
      metrics.emittedSamples.inc(m.count);
    },

    lastFleet: () => last,

    rememberFleet(frame) {
      return keep(frame, encodeFleet(frame));
    },

    sendFleetTo(socket, frame) {
      if (!socket.connected || !socket.rooms.has(FLEET_ROOM)) return false;
      // Never a frame older than (or the same as) one this socket already has.
      if (frame.tick <= socket.data.fleetTick) return false;
      if (unsentBytes(socket) > slowClientBufferBytes) {
        metrics.droppedMessages.inc({ reason: 'slow_client' });
        return false;
      }
      socket.data.fleetTick = frame.tick;
      const direct = writeFramed(socket.conn, [frame], directWrites);
      metrics.clientWrites.inc({ path: direct ? 'direct' : 'engine' });
      metrics.emittedMessages.inc({ event: EVENTS.fleet });
      return true;
    },
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
