import { EVENTS, FLEET_ROOM, serverRoom } from '@metrics/protocol';
import { encodeMetricsPacket } from './delivery.js';
import { buildFleetFrame, type FleetIndex } from './fleet-builder.js';
import type { RawSample } from './latest-body.js';
import type { BroadcasterMetrics } from './metrics.js';
import type { TickDelivery } from './poll-loop.js';
import type { BroadcasterSocket, IoServer } from './socket-types.js';

export interface Fanout {
  /** One tick to every watcher: one `metrics` write per client, one `fleet` frame per tick. */
  deliver(delivery: TickDelivery): void;
  /** Samples to one socket (its subscribe's immediate sample), in one `metrics` event. */
  sendTo(socket: BroadcasterSocket, samples: readonly RawSample[]): void;
}

export interface FanoutOptions {
  io: IoServer;
  metrics: BroadcasterMetrics;
  /** A client with more unsent bytes than this skips the tick (it backfills with `history`). */
  slowClientBufferBytes: number;
  fleetIndex(): FleetIndex;
}

/**
 * Room membership decides who gets what: for each emitted sample, the members of its room
 * `server:<id>` get it appended to their payload; then each client gets ONE write holding all of
 * its samples of the tick. A socket write costs 12–16 µs whatever its size (shared MEASURED.md),
 * so writes, not bytes, are what this minimizes. The samples' JSON is relayed as the generator
 * wrote it; `socket.data.subs` guarantees each sample reaches a client at most once.
 */
export function createFanout({
  io,
  metrics,
  slowClientBufferBytes,
  fleetIndex,
}: FanoutOptions): Fanout {
  const nsp = io.of('/');

  function write(socket: BroadcasterSocket, samples: readonly RawSample[], now: number): number {
    const subs = socket.data.subs;
    const json: string[] = [];
    for (const s of samples) {
      const last = subs.get(s.serverId);
      if (last === undefined || s.tick <= last) continue;
      subs.set(s.serverId, s.tick);
      json.push(s.json);
    }
    if (!json.length) return 0;
    socket.conn.write(encodeMetricsPacket(json, now));
    return json.length;
  }

  return {
    deliver({ tick, emitted, samples, fleet }) {
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
      const slow: string[] = [];
      let messages = 0;
      let sent = 0;
      for (const [sid, list] of perSocket) {
        const socket = nsp.sockets.get(sid);
        if (!socket || !socket.connected) continue;
        if (unsentBytes(socket) > slowClientBufferBytes) {
          slow.push(sid);
          continue;
        }
        const n = write(socket, list, now);
        if (n) {
          messages++;
          sent += n;
        }
      }
      if (fleet) {
        const members = rooms.get(FLEET_ROOM);
        if (members?.size) {
          for (const sid of members) {
            if (perSocket.has(sid)) continue; // already checked above
            const socket = nsp.sockets.get(sid);
            if (socket && unsentBytes(socket) > slowClientBufferBytes) slow.push(sid);
          }
          const frame = buildFleetFrame(fleetIndex(), tick, samples);
          const target = slow.length ? io.to(FLEET_ROOM).except(slow) : io.to(FLEET_ROOM);
          target.emit(EVENTS.fleet, frame);
          metrics.emittedMessages.inc(
            { event: EVENTS.fleet },
            members.size - slowInRoom(slow, members),
          );
        }
      }
      if (messages) metrics.emittedMessages.inc({ event: EVENTS.metrics }, messages);
      if (sent) metrics.emittedSamples.inc(sent);
      if (slow.length) metrics.droppedMessages.inc({ reason: 'slow_client' }, slow.length);
      metrics.freshness.observe(Math.max(0, now - tick) / 1000);
    },

    sendTo(socket, samples) {
      if (!socket.connected) return;
      const n = write(socket, samples, Date.now());
      if (n) {
        metrics.emittedMessages.inc({ event: EVENTS.metrics });
        metrics.emittedSamples.inc(n);
      }
    },
  };
}

function slowInRoom(slow: readonly string[], members: ReadonlySet<string>): number {
  let n = 0;
  for (const sid of slow) if (members.has(sid)) n++;
  return n;
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
