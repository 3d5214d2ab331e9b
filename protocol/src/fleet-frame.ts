import type { FleetFramePayload } from './events.js';

/**
 * Fleet frame codec: one tick's cpuPct, memPct and diskPct of every server, built once per
 * committed tick by the generator (`GET /v1/fleet`) and relayed byte for byte by the broadcaster
 * (the `fleet` event's binary attachment). Layout (docs/architecture.md "Fleet frame"), all
 * integers little-endian:
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 4 | magic `FLT1` (0x46 0x4c 0x54 0x31) |
 * | 4 | 4 | count: servers, uint32 |
 * | 8 | 8 | tick: epoch ms, float64 (an integer) |
 * | 16 | 4 | version: the `/v1/servers` list version the columns follow, uint32 |
 * | 20 | 4 | reserved, 0 |
 * | 24 | 2 × count | cpuPct column, uint16 |
 * | 24 + 2 × count | 2 × count | memPct column |
 * | 24 + 4 × count | 2 × count | diskPct column |
 *
 * Each value is hundredths of a percent (0–10000); `FLEET_MISSING` marks a server with no
 * sample in this tick. 6 bytes per server plus 24: at 100,000 servers a frame is 600,024 bytes.
 * Columns use the platform byte order through a Uint16Array; every supported platform is
 * little-endian.
 */
export const FLEET_COLUMNS = ['cpuPct', 'memPct', 'diskPct'] as const;
export const FLEET_MISSING = 0xffff;
export const FLEET_HEADER_BYTES = 24;
/** `FLT1` read as a little-endian uint32. */
export const FLEET_MAGIC = 0x31544c46;
const SCALE = 100;

export interface FleetFrame {
  tick: number;
  version: number;
  count: number;
  cpuPct: Float32Array;
  memPct: Float32Array;
  diskPct: Float32Array;
}

/** The header fields of an encoded frame. */
export interface FleetFrameHeader {
  tick: number;
  version: number;
  count: number;
}

/** A frame being written: its bytes and a view of its three columns (every cell MISSING). */
export interface FleetFrameWriter {
  bytes: Uint8Array;
  /** cpu column at 0, mem at `count`, disk at `2 × count`. */
  values: Uint16Array;
}

/** Scales a percentage into the frame's fixed point; NaN/undefined become MISSING. */
export function encodePct(value: number | undefined): number {
  if (value === undefined || !Number.isFinite(value)) return FLEET_MISSING;
  const v = Math.round(value * SCALE);
  return v < 0 ? 0 : v > 100 * SCALE ? 100 * SCALE : v;
}

/** Allocates a frame for `count` servers with its header written and every cell MISSING. */
export function createFleetFrame({ tick, version, count }: FleetFrameHeader): FleetFrameWriter {
  if (!Number.isInteger(count) || count < 0 || count > 0xffffffff) {
    throw new RangeError('fleet frame: bad count');
  }
  const buffer = new ArrayBuffer(FLEET_HEADER_BYTES + count * 2 * FLEET_COLUMNS.length);
  const view = new DataView(buffer);
  view.setUint32(0, FLEET_MAGIC, true);
  view.setUint32(4, count, true);
  view.setFloat64(8, tick, true);
  view.setUint32(16, version >>> 0, true);
  const values = new Uint16Array(buffer, FLEET_HEADER_BYTES, count * FLEET_COLUMNS.length);
  values.fill(FLEET_MISSING);
  return { bytes: new Uint8Array(buffer), values };
}

/** Writes one server's values at `index` of a frame made by `createFleetFrame`. */
export function setFleetValues(
  values: Uint16Array,
  count: number,
  index: number,
  cpuPct: number,
  memPct: number,
  diskPct: number,
): void {
  values[index] = encodePct(cpuPct);
  values[count + index] = encodePct(memPct);
  values[2 * count + index] = encodePct(diskPct);
}

function asBytes(data: ArrayBuffer | Uint8Array): Uint8Array {
  return data instanceof Uint8Array ? data : new Uint8Array(data);
}

/** Reads and checks an encoded frame's header (magic, and a length that matches its count). */
export function readFleetHeader(data: ArrayBuffer | Uint8Array): FleetFrameHeader {
  const bytes = asBytes(data);
  if (bytes.byteLength < FLEET_HEADER_BYTES) {
    throw new RangeError(`fleet frame: ${bytes.byteLength} bytes, shorter than its header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, FLEET_HEADER_BYTES);
  if (view.getUint32(0, true) !== FLEET_MAGIC) throw new RangeError('fleet frame: bad magic');
  const count = view.getUint32(4, true);
  const tick = view.getFloat64(8, true);
  const version = view.getUint32(16, true);
  const expected = FLEET_HEADER_BYTES + count * 2 * FLEET_COLUMNS.length;
  if (bytes.byteLength !== expected) {
    throw new RangeError(`fleet frame: expected ${expected} bytes, got ${bytes.byteLength}`);
  }
  if (!Number.isSafeInteger(tick) || tick < 0) throw new RangeError('fleet frame: bad tick');
  return { tick, version, count };
}

/** Decodes an encoded frame into Float32 columns; MISSING cells become NaN. */
export function decodeFleetBytes(data: ArrayBuffer | Uint8Array): FleetFrame {
  let bytes = asBytes(data);
  const header = readFleetHeader(bytes);
  const { count } = header;
  // A Uint16Array view needs an even offset; Node's pooled Buffers may not have one. Copy with
  // the Uint8Array constructor: `Buffer#slice` would return a view at the same odd offset.
  if (bytes.byteOffset % 2 !== 0) bytes = new Uint8Array(bytes);
  const raw = new Uint16Array(
    bytes.buffer,
    bytes.byteOffset + FLEET_HEADER_BYTES,
    count * FLEET_COLUMNS.length,
  );
  const columns = FLEET_COLUMNS.map((_, c) => {
    const out = new Float32Array(count);
    const base = c * count;
    for (let i = 0; i < count; i++) {
      const v = raw[base + i]!;
      out[i] = v === FLEET_MISSING ? NaN : v / SCALE;
    }
    return out;
  });
  return {
    ...header,
    cpuPct: columns[0]!,
    memPct: columns[1]!,
    diskPct: columns[2]!,
  };
}

/**
 * Decodes a `fleet` event: its binary frame, whose header must agree with the payload's own
 * `tick`, `version` and `count` (a relay that mixed them up is caught, not drawn).
 */
export function decodeFleetFrame(payload: FleetFramePayload): FleetFrame {
  const frame = decodeFleetBytes(payload.frame);
  if (
    frame.tick !== payload.tick ||
    frame.version !== payload.version ||
    frame.count !== payload.count
  ) {
    throw new RangeError('fleet frame: header does not match the event');
  }
  return frame;
}
