import { EVENTS, type FleetFramePayload } from '@metrics/protocol';
import type { ServerList } from './server-list.js';
import { engineMessageFrames } from './ws-frame.js';

/**
 * socket.io packets the broadcaster builds itself instead of `socket.emit`, so that what many
 * clients get is encoded once, and a sample's JSON is relayed as the generator wrote it. Each
 * is exactly what `socket.emit(event, payload)` would send on the main namespace (`/`), no ack.
 */

/** socket.io-parser's EVENT type; its encoder turns it into BINARY_EVENT for binary payloads. */
const SOCKET_IO_EVENT = 2;

/** The part of socket.io's parser (`io.encoder`) that encodes a binary event. */
export interface PacketEncoder {
  encode(packet: { type: number; nsp: string; data: unknown[] }): Array<string | Buffer>;
}

/**
 * The packet of one `metrics` event, by string concatenation from the samples' JSON:
 * `2["metrics",{"data":[…],"timestamp":…}]`. Written with `socket.conn.write()` (engine.io adds
 * its `4` message prefix), without parsing each sample and encoding it again for every client.
 */
export function encodeMetricsPacket(sampleJson: readonly string[], timestamp: number): string {
  return `2["${EVENTS.metrics}",{"data":[${sampleJson.join(',')}],"timestamp":${timestamp}}]`;
}

/** The packet of a `servers` event, from the list's compact entries encoded once per version. */
export function encodeServersPacket(list: ServerList, timestamp: number): string {
  return (
    `2["${EVENTS.servers}",{"servers":${list.entriesJson},"count":${list.ids.length},` +
    `"version":${list.version},"timestamp":${timestamp}}]`
  );
}

/** A `fleet` event encoded once, ready to be written to any number of sockets. */
export interface FleetPacket {
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

/**
 * The `fleet` event of one generator frame: socket.io's own encoder gives the header string and
 * the binary attachment, which is the generator's frame byte for byte.
 */
export function encodeFleetPacket(
  encoder: PacketEncoder,
  payload: FleetFramePayload,
  builtAt: number,
): FleetPacket {
  const packets = encoder.encode({
    type: SOCKET_IO_EVENT,
    nsp: '/',
    data: [EVENTS.fleet, payload],
  });
  return {
    tick: payload.tick,
    version: payload.version,
    builtAt,
    packets,
    frames: engineMessageFrames(packets),
  };
}
