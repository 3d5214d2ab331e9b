/**
 * Server-to-client WebSocket frames (RFC 6455 §5.2: FIN set, no mask, no extension bits), built
 * here so that a packet written to many clients, or to one client as part of a batch, is framed
 * once into one buffer. Pure: no I/O.
 */

const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;
const FIN = 0x80;

/** Bytes of the frame header for a payload of `length` bytes (7-, 16- or 64-bit length). */
export function frameHeaderLength(length: number): number {
  return length < 126 ? 2 : length < 65_536 ? 4 : 10;
}

function writeHeader(frame: Buffer, opcode: number, length: number): number {
  frame[0] = FIN | opcode;
  if (length < 126) {
    frame[1] = length;
    return 2;
  }
  if (length < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
    return 4;
  }
  frame[1] = 127;
  frame.writeBigUInt64BE(BigInt(length), 2);
  return 10;
}

/** One text frame holding `text` as UTF-8. */
export function textFrame(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const frame = Buffer.allocUnsafe(frameHeaderLength(length) + length);
  const at = writeHeader(frame, OPCODE_TEXT, length);
  frame.write(text, at, 'utf8');
  return frame;
}

/** One binary frame holding a copy of `data`. */
export function binaryFrame(data: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(frameHeaderLength(data.byteLength) + data.byteLength);
  const at = writeHeader(frame, OPCODE_BINARY, data.byteLength);
  frame.set(data, at);
  return frame;
}

/**
 * The frames engine.io's websocket transport would send for these engine.io messages: a string
 * becomes a text frame `4<string>` (engine.io's `message` type), a buffer a binary frame of its
 * bytes. Concatenated, in order.
 */
export function engineMessageFrames(packets: ReadonlyArray<string | Uint8Array>): Buffer {
  const frames = packets.map((p) => (typeof p === 'string' ? textFrame(`4${p}`) : binaryFrame(p)));
  return frames.length === 1 ? frames[0]! : Buffer.concat(frames);
}
