/**
 * The overview's order by a percentage column, in linear time. The table re-sorts 100,000 rows
 * for every fleet frame; a comparison sort of that many costs tens of milliseconds a frame in the
 * browser. The fleet frame carries hundredths of a percent (0–10000), so a counting sort over
 * those 10,001 values gives the same order: highest (or lowest) first, ties in name order,
 * servers that never reported last in either direction.
 */
import type { SortDir } from './fleet-model.js';

/** Hundredths of a percent: 0 … 10000. */
const STEPS = 10_001;
/** The bucket of servers without a value. */
const NEVER = STEPS;

/**
 * `indices` ordered by `col` in direction `dir`. `byName` is every server index in name order
 * (its length is the fleet size); `indices` is all of them or a filtered subset. A value off the
 * hundredths grid counts as its nearest hundredth.
 */
export function orderByValue(
  indices: Uint32Array,
  byName: Uint32Array,
  col: Float32Array,
  dir: SortDir,
): Uint32Array {
  const total = byName.length;
  let keep: Uint8Array | undefined;
  if (indices.length !== total) {
    keep = new Uint8Array(total);
    for (const i of indices) keep[i] = 1;
  }
  const bucketOf = (i: number): number => {
    const v = col[i]!;
    if (v !== v) return NEVER;
    const k = Math.round(v * 100);
    const step = k < 0 ? 0 : k > STEPS - 1 ? STEPS - 1 : k;
    return dir === 'desc' ? STEPS - 1 - step : step;
  };
  const starts = new Uint32Array(STEPS + 2);
  for (let r = 0; r < total; r++) {
    const i = byName[r]!;
    if (!keep || keep[i]) starts[bucketOf(i) + 1]!++;
  }
  for (let b = 1; b < starts.length; b++) starts[b]! += starts[b - 1]!;
  const out = new Uint32Array(indices.length);
  // Placed in name order, so each bucket keeps name order.
  for (let r = 0; r < total; r++) {
    const i = byName[r]!;
    if (!keep || keep[i]) out[starts[bucketOf(i)]!++] = i;
  }
  return out;
}
