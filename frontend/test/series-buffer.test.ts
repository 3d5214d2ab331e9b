import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SAMPLE_METRICS } from '@metrics/protocol';
import {
  chartColumn,
  createSeriesBuffer,
  estimateTickMs,
  findGaps,
  mergePoints,
  toChartColumns,
  toPoint,
  type Point,
} from '../src/series-buffer.js';
import { sampleAt } from './fake-socket.js';

const T0 = Date.UTC(2026, 10, 22, 5, 0, 0);
const pt = (s: number): Point => toPoint(sampleAt('server-1', T0 + s * 1000))!;
const secs = (points: readonly Point[]) => points.map((p) => (p.t - T0) / 1000);

describe('mergePoints', () => {
  it.each<[string, number[], number[], number[]]>([
    ['appends newer points', [0, 1, 2], [3, 4], [0, 1, 2, 3, 4]],
    ['fills a hole in the middle', [0, 1, 4, 5], [2, 3], [0, 1, 2, 3, 4, 5]],
    ['drops timestamps already held', [0, 1, 2], [1, 2, 3], [0, 1, 2, 3]],
    ['sorts an unordered batch', [5], [3, 1, 2, 4], [1, 2, 3, 4, 5]],
    ['dedupes within the batch', [], [2, 2, 1, 1], [1, 2]],
    ['prepends older points', [10, 11], [8, 9], [8, 9, 10, 11]],
    ['keeps an empty merge empty', [], [], []],
  ])('%s', (_, existing, incoming, expected) => {
    expect(secs(mergePoints(existing.map(pt), incoming.map(pt)))).toEqual(expected);
  });

  it('keeps the point already held when a timestamp arrives twice', () => {
    const held = { ...pt(1), cpuPct: 11 };
    const again = { ...pt(1), cpuPct: 99 };
    expect(mergePoints([held], [again])[0]!.cpuPct).toBe(11);
  });

  it('never mutates its inputs', () => {
    const existing = [pt(0), pt(2)];
    const incoming = [pt(1)];
    mergePoints(existing, incoming);
    expect(secs(existing)).toEqual([0, 2]);
    expect(secs(incoming)).toEqual([1]);
  });

  it('is sorted, duplicate-free and holds the union, for any arrival order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 40 }), { maxLength: 8 }),
        (batches) => {
          let points: Point[] = [];
          for (const batch of batches) points = mergePoints(points, batch.map(pt));
          const union = [...new Set(batches.flat())].sort((a, b) => a - b);
          expect(secs(points)).toEqual(union);
        },
      ),
    );
  });
});

describe('gaps', () => {
  it.each<[number[], { from: number; to: number; missing: number }[]]>([
    [[0, 1, 2, 3], []],
    [[0, 2], [{ from: 1, to: 1, missing: 1 }]],
    [
      [0, 1, 5, 6, 9],
      [
        { from: 2, to: 4, missing: 3 },
        { from: 7, to: 8, missing: 2 },
      ],
    ],
    [[], []],
  ])('%o → %o', (held, expected) => {
    const gaps = findGaps(held.map(pt), 1000);
    expect(
      gaps.map((g) => ({ from: (g.from - T0) / 1000, to: (g.to - T0) / 1000, missing: g.missing })),
    ).toEqual(expected);
  });

  it('estimates the tick from the smallest step, with a fallback for one point', () => {
    expect(estimateTickMs([pt(0), pt(3), pt(4)])).toBe(1000);
    expect(estimateTickMs([pt(0)], 250)).toBe(250);
  });

  it('breaks the chart line with a null inside each gap, never bridging it', () => {
    const [xs, cpu] = toChartColumns([pt(0), pt(1), pt(4)], 1000);
    expect(xs.map((x) => x - T0 / 1000)).toEqual([0, 1, 2, 4]);
    expect(cpu).toEqual([pt(0).cpuPct, pt(1).cpuPct, null, pt(4).cpuPct]);
  });

  it.each(SAMPLE_METRICS)('finds the column of %s where the chart reads it', (metric) => {
    const columns = toChartColumns([pt(0), pt(1)], 1000);
    expect(columns[chartColumn(metric)]).toEqual([pt(0)[metric], pt(1)[metric]]);
  });
});

describe('series buffer', () => {
  it('takes only its own server’s samples and reports how many were new', () => {
    const b = createSeriesBuffer('server-1');
    expect(b.add([sampleAt('server-1', T0), sampleAt('server-2', T0 + 1000)])).toBe(1);
    expect(b.add([sampleAt('server-1', T0), sampleAt('server-1', T0 + 1000)])).toBe(1);
    expect(b.points).toHaveLength(2);
    expect(b.latest!.t).toBe(T0 + 1000);
  });

  it('ignores samples with an unreadable timestamp', () => {
    const b = createSeriesBuffer('server-1');
    expect(b.add([{ ...sampleAt('server-1', T0), timestamp: 'yesterday' }])).toBe(0);
  });

  it('keeps five minutes (plus one tick) before now', () => {
    const b = createSeriesBuffer('server-1');
    b.add(Array.from({ length: 400 }, (_, s) => sampleAt('server-1', T0 + s * 1000)));
    b.trim(T0 + 399_000);
    expect(b.points).toHaveLength(302);
    expect(b.points[0]!.t).toBe(T0 + 98_000);
    expect(b.gaps()).toEqual([]);
  });
});
