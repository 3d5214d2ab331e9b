import { describe, expect, it } from 'vitest';
import {
  aggregateBlocks,
  blockCount,
  blockRange,
  blockSizeFor,
  clipTrail,
  countAtOrAbove,
  createBlockStats,
  currentRange,
  fleetColumn,
  histogram,
  hottest,
  wholeFleet,
  zoomIn,
  zoomOut,
  type FleetColumn,
} from '../src/heat-aggregate.js';

const TICK = Date.UTC(2026, 10, 22, 5, 0, 0);

/** A column where `undefined` is a server that never reported and `['stale', v]` one left behind. */
function column(rows: (number | undefined | ['stale', number])[], fresh = true): FleetColumn {
  const values = new Float32Array(rows.length).fill(NaN);
  const seenTick = new Float64Array(rows.length).fill(NaN);
  rows.forEach((r, i) => {
    if (r === undefined) return;
    if (Array.isArray(r)) {
      values[i] = r[1];
      seenTick[i] = TICK - 5_000;
    } else {
      values[i] = r;
      seenTick[i] = TICK;
    }
  });
  return { values, seenTick, tick: TICK, fresh };
}

describe('block size', () => {
  it.each([
    { count: 100, capacity: 2_000, size: 1 },
    { count: 100_000, capacity: 2_340, size: 50 },
    { count: 100_000, capacity: 1_000, size: 100 },
    { count: 30_000, capacity: 2_340, size: 20 },
    { count: 12_000, capacity: 2_340, size: 10 },
    { count: 100_000, capacity: 3, size: 50_000 },
    { count: 100_000, capacity: 0, size: 100_000 },
  ])('$count servers in $capacity cells: blocks of $size', ({ count, capacity, size }) => {
    expect(blockSizeFor(count, capacity)).toBe(size);
    if (capacity > 0) expect(Math.ceil(count / size)).toBeLessThanOrEqual(capacity);
  });

  it('cuts a range into blocks, the last one partial', () => {
    const range = { start: 100, end: 225 };
    expect(blockCount(range, 50)).toBe(3);
    expect(blockRange(range, 50, 0)).toEqual({ start: 100, end: 150 });
    expect(blockRange(range, 50, 2)).toEqual({ start: 200, end: 225 });
  });
});

describe('block aggregation', () => {
  it('shows each block its hottest live value and the server holding it', () => {
    const col = column([10, 95, 30, 40, 99.5, 20, 5]);
    const out = aggregateBlocks(col, { start: 0, end: 7 }, 3, createBlockStats());
    expect(out.count).toBe(3);
    expect(Array.from(out.max.subarray(0, 3))).toEqual([95, 99.5, 5]);
    expect(Array.from(out.argmax.subarray(0, 3))).toEqual([1, 4, 6]);
    expect(Array.from(out.size.subarray(0, 3))).toEqual([3, 3, 1]);
    expect(Array.from(out.stale.subarray(0, 3))).toEqual([0, 0, 0]);
  });

  it('never lets a stale value be the hottest, and counts stale and silent servers', () => {
    const col = column([['stale', 100], 40, undefined, ['stale', 80]]);
    const out = aggregateBlocks(col, { start: 0, end: 4 }, 2, createBlockStats());
    expect(out.max[0]).toBe(40);
    expect(out.argmax[0]).toBe(1);
    expect(out.stale[0]).toBe(1);
    // Nothing live in the second block: no value, all stale.
    expect(out.max[1]).toBeNaN();
    expect(out.argmax[1]).toBe(-1);
    expect(out.stale[1]).toBe(2);
  });

  it('marks every block stale when the latest frame itself is old', () => {
    const col = column([10, 20, 30, 40], false);
    const out = aggregateBlocks(col, { start: 0, end: 4 }, 2, createBlockStats());
    expect(Array.from(out.stale.subarray(0, 2))).toEqual([2, 2]);
    expect(out.max[0]).toBeNaN();
  });

  it('aggregates only the zoomed range and only the servers the filter keeps', () => {
    const col = column([90, 10, 20, 80, 30, 70]);
    const matches = Uint8Array.from([1, 1, 1, 0, 1, 0]);
    const out = aggregateBlocks(col, { start: 2, end: 6 }, 2, createBlockStats(1), matches);
    expect(out.count).toBe(2);
    expect(out.max[0]).toBe(20); // server 3 (80) is filtered out
    expect(out.size[0]).toBe(1);
    expect(out.max[1]).toBe(30);
  });

  it('reuses its arrays from frame to frame once large enough', () => {
    const out = createBlockStats(10);
    const arrays = out.max;
    aggregateBlocks(column([1, 2, 3]), { start: 0, end: 3 }, 1, out);
    expect(out.max).toBe(arrays);
  });
});

describe('histogram', () => {
  it('counts live servers in 5-point bands, 100 % in the last', () => {
    const col = column([0, 4.99, 5, 50, 99.9, 100, ['stale', 97], undefined]);
    const bins = new Uint32Array(20);
    expect(histogram(col, bins)).toBe(6);
    expect(bins[0]).toBe(2);
    expect(bins[1]).toBe(1);
    expect(bins[10]).toBe(1);
    expect(bins[19]).toBe(2);
    expect(bins.reduce((a, b) => a + b, 0)).toBe(6);
    expect(countAtOrAbove(bins, 90)).toBe(2);
    expect(countAtOrAbove(bins, 0)).toBe(6);
  });

  it('is empty when the latest frame is stale', () => {
    const bins = new Uint32Array(20).fill(7);
    expect(histogram(column([10, 20], false), bins)).toBe(0);
    expect(bins.every((b) => b === 0)).toBe(true);
  });
});

describe('hottest servers', () => {
  it('lists the n highest live values, highest first, ties in index order', () => {
    const col = column([50, 90, ['stale', 100], 70, 90, 10, undefined, 95]);
    expect(Array.from(hottest(col, 4))).toEqual([7, 1, 4, 3]);
  });

  it('returns fewer when fewer are live, none when the frame is stale', () => {
    expect(Array.from(hottest(column([3, ['stale', 9]]), 5))).toEqual([0]);
    expect(Array.from(hottest(column([3, 4], false), 5))).toEqual([]);
  });

  it('agrees with a full sort on a large random fleet', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31) * 100;
    const rows = Array.from({ length: 20_000 }, () => Math.round(rand() * 10) / 10);
    const col = column(rows);
    const expected = rows
      .map((v, i) => ({ v: Math.fround(v), i }))
      .sort((a, b) => b.v - a.v || a.i - b.i)
      .slice(0, 10)
      .map((e) => e.i);
    expect(Array.from(hottest(col, 10))).toEqual(expected);
  });
});

describe('zoom trail', () => {
  it('zooms into a block and back out to the whole fleet', () => {
    let trail = wholeFleet(100_000);
    trail = zoomIn(trail, 50, 3);
    expect(currentRange(trail)).toEqual({ start: 150, end: 200 });
    trail = zoomIn(trail, 5, 2);
    expect(currentRange(trail)).toEqual({ start: 160, end: 165 });
    trail = zoomOut(trail);
    expect(currentRange(trail)).toEqual({ start: 150, end: 200 });
    trail = zoomOut(zoomOut(trail));
    expect(trail).toEqual([{ start: 0, end: 100_000 }]);
  });

  it('ignores zooming into a single server or a block that does not exist', () => {
    const trail = wholeFleet(10);
    expect(zoomIn(trail, 1, 0)).toBe(trail);
    expect(zoomIn(trail, 5, 2)).toBe(trail);
    expect(zoomIn(trail, 5, -1)).toBe(trail);
  });

  it('clips zoomed ranges when the server list shrinks and drops emptied levels', () => {
    const trail = zoomIn(zoomIn(wholeFleet(1_000), 100, 9), 10, 5);
    expect(currentRange(trail)).toEqual({ start: 950, end: 960 });
    expect(clipTrail(trail, 955)).toEqual([
      { start: 0, end: 955 },
      { start: 900, end: 955 },
      { start: 950, end: 955 },
    ]);
    expect(clipTrail(trail, 920)).toEqual([
      { start: 0, end: 920 },
      { start: 900, end: 920 },
    ]);
    expect(clipTrail(trail, 2_000)[0]).toEqual({ start: 0, end: 2_000 });
  });
});

describe('fleet column', () => {
  it('reads one metric and calls the whole frame stale after STALE_TICKS ticks', () => {
    const model = {
      values: { cpuPct: new Float32Array([1]) },
      seenTick: new Float64Array([TICK]),
      tick: TICK,
      receivedAt: 1_000,
      tickMs: 1_000,
    };
    expect(fleetColumn(model, 'cpuPct', 4_000, 3).fresh).toBe(true);
    expect(fleetColumn(model, 'cpuPct', 4_001, 3).fresh).toBe(false);
    expect(fleetColumn({ ...model, receivedAt: NaN }, 'cpuPct', 0, 3).fresh).toBe(true);
  });
});
