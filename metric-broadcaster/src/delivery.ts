import { EVENTS, type ServerInfo } from '@metrics/protocol';

/**
 * The socket.io packet of one `metrics` event, built by string concatenation from the samples'
 * JSON as the generator wrote it: `2` (socket.io EVENT) + `["metrics",{"data":[…],"timestamp":…}]`.
 * Written with `socket.conn.write()` (engine.io adds its `4` message prefix), it reaches the
 * client exactly as `socket.emit(EVENTS.metrics, payload)` would, without parsing each sample and
 * encoding it again for every client. Valid only for the main namespace (`/`) and no ack.
 */
export function encodeMetricsPacket(sampleJson: readonly string[], timestamp: number): string {
  return `2["${EVENTS.metrics}",{"data":[${sampleJson.join(',')}],"timestamp":${timestamp}}]`;
}

/**
 * The socket.io packet of a `servers` event (`{ servers, version, timestamp }`), from the id
 * list's JSON encoded once per version: every connecting client gets it, and re-encoding a
 * 10,000-entry list per connection would dominate the cost of a connection.
 */
export function encodeServersPacket(
  serversJson: string,
  version: number,
  timestamp: number,
): string {
  return `2["${EVENTS.servers}",{"servers":${serversJson},"version":${version},"timestamp":${timestamp}}]`;
}

/** The JSON of a `servers` list, for `encodeServersPacket`. */
export function serversJson(ids: readonly string[], entries?: readonly ServerInfo[]): string {
  const list: readonly ServerInfo[] = entries ?? ids.map((id) => ({ id }));
  return JSON.stringify(list);
}
