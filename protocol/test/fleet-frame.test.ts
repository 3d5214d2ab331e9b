import { describe, expect, it } from 'vitest';
import {
  FLEET_MISSING,
  createFleetValues,
  decodeFleetFrame,
  encodePct,
  setFleetValues,
} from '../src/fleet-frame.js';

describe('fleet frame codec', () => {
  it('round-trips percentages to a hundredth and marks missing servers as NaN', () => {
    const values = createFleetValues(3);
    setFleetValues(values, 3, 0, 37.219, 61.5, 48);
    setFleetValues(values, 3, 2, 100, 0, 99.994);
    const bytes = new Uint8Array(values.buffer);
    const frame = decodeFleetFrame({ tick: 1000, version: 2, count: 3, values: bytes });
    expect(frame.cpuPct[0]).toBeCloseTo(37.22, 5);
    expect(frame.memPct[0]).toBeCloseTo(61.5, 5);
    expect(frame.diskPct[2]).toBeCloseTo(99.99, 5);
    expect(Number.isNaN(frame.cpuPct[1])).toBe(true);
    expect(frame.tick).toBe(1000);
    expect(frame.version).toBe(2);
  });

  it('stays under 16 bytes per server at 10,000 servers', () => {
    const values = createFleetValues(10_000);
    expect(values.byteLength / 10_000).toBeLessThan(16);
  });

  it('clamps out-of-range values and treats non-finite as missing', () => {
    expect(encodePct(-5)).toBe(0);
    expect(encodePct(250)).toBe(10_000);
    expect(encodePct(Number.NaN)).toBe(FLEET_MISSING);
  });

  it('decodes from an odd byte offset (pooled Node buffers)', () => {
    const values = createFleetValues(2);
    setFleetValues(values, 2, 1, 12.34, 56.78, 90.12);
    const padded = new Uint8Array(values.byteLength + 1);
    padded.set(new Uint8Array(values.buffer), 1);
    const frame = decodeFleetFrame({ tick: 0, version: 1, count: 2, values: padded.subarray(1) });
    expect(frame.memPct[1]).toBeCloseTo(56.78, 5);
  });

  it('decodes a Node Buffer at an odd byte offset (socket.io-client in Node)', () => {
    const values = createFleetValues(2);
    setFleetValues(values, 2, 0, 1.5, 2.5, 3.5);
    const pool = Buffer.alloc(values.byteLength + 1);
    Buffer.from(values.buffer).copy(pool, 1);
    const frame = decodeFleetFrame({ tick: 0, version: 1, count: 2, values: pool.subarray(1) });
    expect(frame.diskPct[0]).toBeCloseTo(3.5, 5);
  });

  it('rejects a frame whose length does not match its count', () => {
    expect(() =>
      decodeFleetFrame({ tick: 0, version: 1, count: 4, values: new Uint8Array(6) }),
    ).toThrow(/expected 24 bytes/);
  });
});
