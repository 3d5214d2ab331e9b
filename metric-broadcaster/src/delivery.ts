import { EVENTS } from '@metrics/protocol';

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
