import { describe, expect, it } from 'vitest';
import {
  FLEET_HEADER_BYTES,
  FLEET_MISSING,
  createFleetFrame,
  decodeFleetBytes,
  decodeFleetFrame,
  encodePct,
  readFleetHeader,
  setFleetValues,
} from '../src/fleet-frame.js';

function frameOf(count: number, fill: (values: Uint16Array) => void, tick = 1000, version = 2) {
  const f = createFleetFrame({ tick, version, count });
  fill(f.values);
  return f.bytes;
}

describe('fleet frame codec', () => {
  it('round-trips percentages to a hundredth and marks missing servers as NaN', () => {
    const bytes = frameOf(3, (v) => {
      setFleetValues(v, 3, 0, 37.219, 61.5, 48);
      setFleetValues(v, 3, 2, 100, 0, 99.994);
    });
    const frame = decodeFleetFrame({ tick: 1000, version: 2, count: 3, frame: bytes });
    expect(frame.cpuPct[0]).toBeCloseTo(37.22, 5);
    expect(frame.memPct[0]).toBeCloseTo(61.5, 5);
    expect(frame.diskPct[2]).toBeCloseTo(99.99, 5);
    expect(Number.isNaN(frame.cpuPct[1])).toBe(true);
    expect(frame.tick).toBe(1000);
    expect(frame.version).toBe(2);
  });

  it('lays out a 24-byte little-endian header, then the cpu, mem and disk columns', () => {
    const bytes = frameOf(
      2,
      (v) => setFleetValues(v, 2, 1, 1.23, 4.56, 7.89),
      1_764_000_000_000,
      0xdeadbeef,
    );
    expect(bytes.byteLength).toBe(FLEET_HEADER_BYTES + 12);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(Buffer.from(bytes.subarray(0, 4)).toString('latin1')).toBe('FLT1');
    expect(view.getUint32(4, true)).toBe(2);
    expect(view.getFloat64(8, true)).toBe(1_764_000_000_000);
    expect(view.getUint32(16, true)).toBe(0xdeadbeef);
    expect(view.getUint32(20, true)).toBe(0);
    const cell = (column: number, index: number) =>
      view.getUint16(24 + 2 * (column * 2 + index), true);
    expect([cell(0, 0), cell(0, 1), cell(1, 1), cell(2, 1)]).toEqual([
      FLEET_MISSING,
      123,
      456,
      789,
    ]);
    expect(readFleetHeader(bytes)).toEqual({
      tick: 1_764_000_000_000,
      version: 0xdeadbeef,
      count: 2,
    });
  });

  it('stays at 6 bytes per server plus the header at 100,000 servers', () => {
    const { bytes } = createFleetFrame({ tick: 0, version: 0, count: 100_000 });
    expect(bytes.byteLength).toBe(600_000 + FLEET_HEADER_BYTES);
  });

  it('clamps out-of-range values and treats non-finite as missing', () => {
    expect(encodePct(-5)).toBe(0);
    expect(encodePct(250)).toBe(10_000);
    expect(encodePct(Number.NaN)).toBe(FLEET_MISSING);
  });

  it('decodes a Node Buffer at an odd byte offset (pooled buffers, socket.io-client in Node)', () => {
    const bytes = frameOf(2, (v) => setFleetValues(v, 2, 0, 1.5, 2.5, 3.5));
    const pool = Buffer.alloc(bytes.byteLength + 1);
    Buffer.from(bytes).copy(pool, 1);
    const frame = decodeFleetBytes(pool.subarray(1));
    expect(frame.diskPct[0]).toBeCloseTo(3.5, 5);
  });

  it('decodes an ArrayBuffer (what browsers get)', () => {
    const bytes = frameOf(1, (v) => setFleetValues(v, 1, 0, 9, 8, 7));
    const copy = bytes.slice().buffer;
    expect(decodeFleetBytes(copy).memPct[0]).toBe(8);
  });

  it('rejects a frame whose length does not match its count, or without the magic', () => {
    const bytes = frameOf(4, () => {});
    expect(() => decodeFleetBytes(bytes.subarray(0, bytes.length - 2))).toThrow(
      /expected 48 bytes/,
    );
    expect(() => decodeFleetBytes(new Uint8Array(10))).toThrow(/shorter than its header/);
    const bad = bytes.slice();
    bad[0] = 0;
    expect(() => decodeFleetBytes(bad)).toThrow(/magic/);
  });

  it('rejects an event whose fields disagree with its frame', () => {
    const bytes = frameOf(1, () => {}, 5000, 7);
    expect(() => decodeFleetFrame({ tick: 5000, version: 8, count: 1, frame: bytes })).toThrow(
      /does not match/,
    );
    expect(decodeFleetFrame({ tick: 5000, version: 7, count: 1, frame: bytes }).count).toBe(1);
  });
});
