/**
 * The aggregated overview's arithmetic, pure and allocation-free per frame: a fleet too large for
 * one heat cell per server is drawn as blocks of consecutive servers, each showing its hottest
 * live value; the distribution of one metric over the whole fleet (a histogram) and its hottest
 * servers (top N) say how many are in trouble and which. Everything reads the model's typed
 * columns directly (no object per server), so 100,000 servers cost one linear pass each.
 *
 * "Live" is the model's own rule (`FleetModel.isStale`): a server is live when it reported in the
 * latest frame and that frame is fresh; stale servers keep their last values, which are old, so
 * they never count as a block's hottest nor in the histogram.
 */

/** What the aggregation reads: one metric column and when each server last reported. */
export interface FleetColumn {
  /** The metric per server (NaN: never reported). */
  values: Float32Array;
  /** Tick of each server's last value (NaN: never). */
  seenTick: Float64Array;
  /** Tick of the latest frame (NaN before the first). */
  tick: number;
  /** False when the latest frame itself is too old: every server is stale. */
  fresh: boolean;
}

/** A half-open range of server indices, [start, end). */
export interface IndexRange {
  start: number;
  end: number;
}

/**
 * Servers per block: round numbers, so block ranges read well (server-1 … server-50). The
 * largest is the documented fleet maximum.
 */
export const BLOCK_SIZES = [
  1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1_000, 2_000, 2_500, 5_000, 10_000, 20_000, 25_000,
  50_000, 100_000,
] as const;

/** The smallest round block size that shows `count` servers in at most `capacity` cells. */
export function blockSizeFor(count: number, capacity: number): number {
  const needed = Math.ceil(count / Math.max(1, capacity));
  for (const size of BLOCK_SIZES) if (size >= needed) return size;
  return needed;
}

/** Number of blocks `range` makes at `blockSize` servers each (the last may be partial). */
export function blockCount(range: IndexRange, blockSize: number): number {
  return Math.ceil(Math.max(0, range.end - range.start) / blockSize);
}

/** The servers of block `block` of `range`. */
export function blockRange(range: IndexRange, blockSize: number, block: number): IndexRange {
  const start = range.start + block * blockSize;
  return { start, end: Math.min(range.end, start + blockSize) };
}

/** Per-block results, reused from frame to frame (see `createBlockStats`). */
export interface BlockStats {
  /** Number of blocks filled by the last `aggregateBlocks`. */
  count: number;
  /** Hottest live value of each block; NaN when none of its servers is live. */
  max: Float32Array;
  /** Server index of that value; -1 when none. */
  argmax: Int32Array;
  /** Servers of the block counted (those the filter keeps, all without a filter). */
  size: Uint32Array;
  /** Of those, servers not live (stale or never reported). */
  stale: Uint32Array;
}

export function createBlockStats(capacity = 0): BlockStats {
  return {
    count: 0,
    max: new Float32Array(capacity),
    argmax: new Int32Array(capacity),
    size: new Uint32Array(capacity),
    stale: new Uint32Array(capacity),
  };
}

/**
 * Fills `out` (grown when too small) with each block's hottest live value, its server, and how
 * many of its servers are stale. With `matches`, only servers the filter keeps count: a block
 * none of whose servers match has size 0.
 */
export function aggregateBlocks(
  col: FleetColumn,
  range: IndexRange,
  blockSize: number,
  out: BlockStats,
  matches?: Uint8Array,
): BlockStats {
  const blocks = blockCount(range, blockSize);
  if (out.max.length < blocks) Object.assign(out, createBlockStats(blocks));
  out.count = blocks;
  const { values, seenTick, tick, fresh } = col;
  for (let b = 0; b < blocks; b++) {
    const start = range.start + b * blockSize;
    const end = Math.min(range.end, start + blockSize);
    let max = -Infinity;
    let argmax = -1;
    let size = 0;
    let stale = 0;
    for (let i = start; i < end; i++) {
      if (matches && !matches[i]) continue;
      size++;
      const v = values[i]!;
      if (!fresh || seenTick[i] !== tick || v !== v) {
        stale++;
        continue;
      }
      if (v > max) {
        max = v;
        argmax = i;
      }
    }
    out.max[b] = argmax >= 0 ? max : NaN;
    out.argmax[b] = argmax;
    out.size[b] = size;
    out.stale[b] = stale;
  }
  return out;
}

/** Histogram bins over 0–100 %: 20 bins of 5 points; 100 % falls in the last. */
export const HISTOGRAM_BINS = 20;

/**
 * How many live servers fall in each 5-point band of the metric, into `out` (zeroed first).
 * Returns the number of live servers counted.
 */
export function histogram(col: FleetColumn, out: Uint32Array): number {
  out.fill(0);
  const bins = out.length;
  const { values, seenTick, tick, fresh } = col;
  if (!fresh) return 0;
  const scale = bins / 100;
  const n = values.length;
  let live = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (seenTick[i] !== tick || v !== v) continue;
    live++;
    // Truncation instead of Math.floor and rarely-taken clamps: a third of the time at 100,000.
    let bin = (v * scale) | 0;
    if (bin >= bins) bin = bins - 1;
    else if (bin < 0) bin = 0;
    out[bin]!++;
  }
  return live;
}

/** Servers counted by `histogram` at or above `threshold` (a multiple of the bin width). */
export function countAtOrAbove(bins: Uint32Array, threshold: number): number {
  const first = Math.round((threshold * bins.length) / 100);
  let n = 0;
  for (let b = first; b < bins.length; b++) n += bins[b]!;
  return n;
}

/**
 * Indices of the `n` live servers with the highest values, highest first; equal values keep
 * index order. One pass with an n-long sorted buffer: a server enters only when it beats the
 * current n-th, which after the first few thousand is rare.
 */
export function hottest(col: FleetColumn, n: number): Int32Array {
  const idx = new Int32Array(n).fill(-1);
  const val = new Float64Array(n).fill(-Infinity);
  let filled = 0;
  const { values, seenTick, tick, fresh } = col;
  if (!fresh || n <= 0) return idx.subarray(0, 0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (seenTick[i] !== tick || v !== v) continue;
    if (filled === n && v <= val[n - 1]!) continue;
    // Insertion from the end: strictly greater moves up, so ties stay in index order.
    let p = filled < n ? filled++ : n - 1;
    while (p > 0 && val[p - 1]! < v) {
      val[p] = val[p - 1]!;
      idx[p] = idx[p - 1]!;
      p--;
    }
    val[p] = v;
    idx[p] = i;
  }
  return idx.subarray(0, filled);
}

/**
 * The zoom trail of the aggregated grid: the whole fleet first, then each block zoomed into.
 * Pure: each step returns a new trail.
 */
export type ZoomTrail = readonly IndexRange[];

export function wholeFleet(count: number): ZoomTrail {
  return [{ start: 0, end: count }];
}

export function currentRange(trail: ZoomTrail): IndexRange {
  return trail[trail.length - 1]!;
}

/** Zooms into block `block` of the current range (ignored when it holds one server or none). */
export function zoomIn(trail: ZoomTrail, blockSize: number, block: number): ZoomTrail {
  const range = currentRange(trail);
  if (block < 0 || block >= blockCount(range, blockSize) || blockSize <= 1) return trail;
  return [...trail, blockRange(range, blockSize, block)];
}

/** One level back out; the whole fleet stays. */
export function zoomOut(trail: ZoomTrail): ZoomTrail {
  return trail.length > 1 ? trail.slice(0, -1) : trail;
}

/**
 * The trail after the server list changed to `count` servers: ranges are clipped to the new
 * list, and levels that became empty are dropped.
 */
export function clipTrail(trail: ZoomTrail, count: number): ZoomTrail {
  const out: IndexRange[] = [{ start: 0, end: count }];
  for (const r of trail.slice(1)) {
    const start = Math.min(r.start, count);
    const end = Math.min(r.end, count);
    if (end <= start) break;
    out.push({ start, end });
  }
  return out;
}

/** The model fields a `FleetColumn` is read from (structural, so this module stays model-free). */
interface ColumnSource {
  readonly values: Readonly<Record<string, Float32Array>>;
  readonly seenTick: Float64Array;
  readonly tick: number;
  readonly receivedAt: number;
  readonly tickMs: number;
}

/**
 * One metric of the model as a `FleetColumn` at local time `now`; `staleTicks` is the model's
 * `STALE_TICKS` (the latest frame is stale when older than that many ticks).
 */
export function fleetColumn(
  model: ColumnSource,
  metric: string,
  now: number,
  staleTicks: number,
): FleetColumn {
  return {
    values: model.values[metric]!,
    seenTick: model.seenTick,
    tick: model.tick,
    fresh: !(now - model.receivedAt > staleTicks * model.tickMs),
  };
}
