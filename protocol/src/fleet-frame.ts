import type { FleetFramePayload } from './events.js';

/**
 * Fleet frame codec: the tick's cpuPct, memPct and diskPct of every server as three
 * columns of unsigned 16-bit fixed-point values (hundredths of a percent, 0–10000), in the
 * order of the `servers` list whose version the frame names. 6 bytes per server: at
 * 10,000 servers a frame is 60 KB (the contract allows under 16 bytes per server; layout in docs/architecture.md).
 * `MISSING` marks a server with no sample in this tick (stale or just added).
 * Typed arrays use the platform byte order; every supported platform is little-endian.
 */
export const FLEET_COLUMNS = ['cpuPct', 'memPct', 'diskPct'] as const;
export const FLEET_MISSING = 0xffff;
const SCALE = 100;

export interface FleetFrame {
  tick: number;
  version: number;
  count: number;
  cpuPct: Float32Array;
  memPct: Float32Array;
  diskPct: Float32Array;
}

/** Scales a percentage into the frame's fixed point; NaN/undefined become MISSING. */
export function encodePct(value: number | undefined): number {
  if (value === undefined || !Number.isFinite(value)) return FLEET_MISSING;
  const v = Math.round(value * SCALE);
  return v < 0 ? 0 : v > 100 * SCALE ? 100 * SCALE : v;
}

/** Creates the value buffer for `count` servers, every cell MISSING. */
export function createFleetValues(count: number): Uint16Array {
  return new Uint16Array(count * FLEET_COLUMNS.length).fill(FLEET_MISSING);
}

/** Writes one server's values at `index` of a buffer made by `createFleetValues`. */
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

function toUint16(values: ArrayBuffer | Uint8Array, expected: number): Uint16Array {
  let bytes = values instanceof Uint8Array ? values : new Uint8Array(values);
  if (bytes.byteLength !== expected * 2) {
    throw new RangeError(`fleet frame: expected ${expected * 2} bytes, got ${bytes.byteLength}`);
  }
  // A Uint16Array view needs an even offset; Node's pooled Buffers may not have one. Copy with
  // the Uint8Array constructor: `Buffer#slice` would return a view at the same odd offset.
  if (bytes.byteOffset % 2 !== 0) bytes = new Uint8Array(bytes);
  return new Uint16Array(bytes.buffer, bytes.byteOffset, expected);
}

/** Decodes a wire frame into Float32 columns; MISSING cells become NaN. */
export function decodeFleetFrame(payload: FleetFramePayload): FleetFrame {
  const { count } = payload;
  if (!Number.isInteger(count) || count < 0) throw new RangeError('fleet frame: bad count');
  const raw = toUint16(payload.values, count * FLEET_COLUMNS.length);
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
    tick: payload.tick,
    version: payload.version,
    count,
    cpuPct: columns[0]!,
    memPct: columns[1]!,
    diskPct: columns[2]!,
  };
}
