/**
 * Freshness histograms in whole milliseconds, as the load clients keep them: index = ms, the
 * last bin is "that or more". Counts rather than samples, so the histograms of several
 * processes (and time buckets) merge exactly and the orchestrator reads percentiles from the sum.
 */

/** Histogram bins: 0 … HISTOGRAM_MS − 1 ms, the last one is "that or more". */
export const HISTOGRAM_MS = 10_000;

/** The bin of a duration: rounded to the ms, clamped to the histogram. */
export const msBin = (ms: number): number =>
  Math.max(0, Math.min(HISTOGRAM_MS - 1, Math.round(ms)));

/** Adds two dense histograms bin by bin. */
export function mergeHistograms(a: number[], b: number[]): number[] {
  return a.map((v, i) => v + (b[i] ?? 0));
}

/** The non-empty bins as `[ms, count]` pairs: what crosses IPC (most bins are empty). */
export function toSparse(h: ArrayLike<number>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let ms = 0; ms < h.length; ms++) if (h[ms]) out.push([ms, h[ms]!]);
  return out;
}

/** Sums sparse `[ms, count]` histograms into one dense histogram. */
export function fromSparse(parts: Iterable<Array<[number, number]>>): Float64Array {
  const h = new Float64Array(HISTOGRAM_MS);
  for (const part of parts) for (const [ms, n] of part) h[ms]! += n;
  return h;
}

/** Observations in a histogram. */
export function countOf(h: ArrayLike<number>): number {
  let count = 0;
  for (let ms = 0; ms < h.length; ms++) count += h[ms]!;
  return count;
}

/** The bin (ms) holding quantile `q` (0…1): the first whose cumulative count reaches q × total; NaN if empty. */
export function quantileMs(h: ArrayLike<number>, q: number): number {
  const total = countOf(h);
  if (!total) return NaN;
  const rank = q * total;
  let cum = 0;
  for (let ms = 0; ms < h.length; ms++) {
    cum += h[ms]!;
    if (cum >= rank) return ms;
  }
  return h.length - 1;
}

/** The highest non-empty bin (ms); NaN if empty. */
export function maxMs(h: ArrayLike<number>): number {
  for (let ms = h.length - 1; ms >= 0; ms--) if (h[ms]) return ms;
  return NaN;
}
