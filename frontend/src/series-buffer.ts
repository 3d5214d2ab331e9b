/**
 * One server's recent samples for the detail charts: ordered by time, one point per tick, no
 * duplicates, trimmed to a window. Live samples, the history fill and gap backfills all go
 * through `mergePoints`, so arrival order never matters. Pure: `now` is passed in.
 */
import { SAMPLE_METRICS, type Sample, type SampleMetric } from '@metrics/protocol';
import { DEFAULT_TICK_MS } from './fleet-model.js';

export type Point = { t: number } & Record<SampleMetric, number>;

export interface Gap {
  /** First missing tick (epoch ms). */
  from: number;
  /** Last missing tick (epoch ms), inclusive. */
  to: number;
  /** Number of missing ticks. */
  missing: number;
}

/** Five minutes: what the detail charts show. */
export const WINDOW_MS = 5 * 60_000;

/** A sample as a chart point; undefined for a sample with an unreadable timestamp. */
export function toPoint(sample: Sample): Point | undefined {
  const t = Date.parse(sample.timestamp);
  if (!Number.isFinite(t)) return undefined;
  return {
    t,
    cpuPct: sample.cpuPct,
    memPct: sample.memPct,
    diskPct: sample.diskPct,
    netRxBps: sample.netRxBps,
    netTxBps: sample.netTxBps,
    load1: sample.load1,
  };
}

/**
 * Merges `incoming` into `existing` (sorted by `t`): the result is sorted, holds each timestamp
 * once (a sample never changes, so the one already held is kept) and shares no array with
 * the inputs. Appending newer points, the common case, is linear.
 */
export function mergePoints(existing: readonly Point[], incoming: readonly Point[]): Point[] {
  const add = [...incoming].sort((a, b) => a.t - b.t);
  const last = existing.at(-1);
  if (!last || (add[0] && add[0].t > last.t)) {
    const out = [...existing];
    for (const p of add) if (!out.length || p.t > out.at(-1)!.t) out.push(p);
    return out;
  }
  const out: Point[] = [];
  let i = 0;
  let j = 0;
  while (i < existing.length || j < add.length) {
    const a = existing[i];
    const b = add[j];
    let next: Point;
    if (b === undefined || (a !== undefined && a.t <= b.t)) {
      next = a!;
      i++;
    } else {
      next = b;
      j++;
    }
    const prev = out.at(-1);
    if (!prev || next.t > prev.t) out.push(next);
  }
  return out;
}

/** Estimated tick period: the smallest positive step between consecutive points. */
export function estimateTickMs(points: readonly Point[], fallback = DEFAULT_TICK_MS): number {
  let best = Infinity;
  for (let i = 1; i < points.length; i++) {
    const d = points[i]!.t - points[i - 1]!.t;
    if (d > 0 && d < best) best = d;
  }
  return Number.isFinite(best) ? best : fallback;
}

/** Runs of missing ticks between held points. */
export function findGaps(points: readonly Point[], tickMs: number): Gap[] {
  const gaps: Gap[] = [];
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!.t;
    const b = points[i]!.t;
    if (b - a > tickMs * 1.5) {
      gaps.push({ from: a + tickMs, to: b - tickMs, missing: Math.round((b - a) / tickMs) - 1 });
    }
  }
  return gaps;
}

/** uPlot's columns: x in seconds, one column per metric, a null row inside each gap. */
export type ChartColumns = [number[], ...(number | null)[][]];

/** Where `metric` stands in `ChartColumns`: after x, in `SAMPLE_METRICS` order. */
export const chartColumn = (metric: SampleMetric): number => 1 + SAMPLE_METRICS.indexOf(metric);

export function toChartColumns(points: readonly Point[], tickMs: number): ChartColumns {
  const xs: number[] = [];
  const cols: (number | null)[][] = SAMPLE_METRICS.map(() => []);
  let prev: number | undefined;
  for (const p of points) {
    if (prev !== undefined && p.t - prev > tickMs * 1.5) {
      // A null breaks the line, so a real gap is drawn as one, never bridged.
      xs.push((prev + tickMs) / 1000);
      for (const c of cols) c.push(null);
    }
    xs.push(p.t / 1000);
    SAMPLE_METRICS.forEach((m, k) => cols[k]!.push(p[m]));
    prev = p.t;
  }
  return [xs, ...cols];
}

export interface SeriesBuffer {
  readonly points: readonly Point[];
  readonly latest: Point | undefined;
  readonly tickMs: number;
  /** Merges samples of any age; returns how many new timestamps were added. */
  add(samples: readonly Sample[]): number;
  /** Drops points older than the window before `now` (plus one tick, so the left edge is full). */
  trim(now: number): void;
  gaps(): Gap[];
  clear(): void;
}

export function createSeriesBuffer(serverId: string, windowMs = WINDOW_MS): SeriesBuffer {
  let points: Point[] = [];
  let tickMs = DEFAULT_TICK_MS;
  return {
    get points() {
      return points;
    },
    get latest() {
      return points.at(-1);
    },
    get tickMs() {
      return tickMs;
    },
    add(samples) {
      const incoming: Point[] = [];
      for (const s of samples) {
        if (s.serverId !== serverId) continue;
        const p = toPoint(s);
        if (p) incoming.push(p);
      }
      if (!incoming.length) return 0;
      const before = points.length;
      points = mergePoints(points, incoming);
      tickMs = estimateTickMs(points, tickMs);
      return points.length - before;
    },
    trim(now) {
      const cutoff = now - windowMs - tickMs;
      let k = 0;
      while (k < points.length && points[k]!.t < cutoff) k++;
      if (k) points = points.slice(k);
    },
    gaps: () => findGaps(points, tickMs),
    clear() {
      points = [];
    },
  };
}
