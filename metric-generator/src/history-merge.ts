/**
 * A server's history lives in up to three places (see migrations/002_staging.sql): the active
 * staging table, the staging table being folded, and `samples`. A row is normally in exactly one
 * of them; while a fold is copying, it can be in a staging table and in `samples` at once, with
 * the same values. If the clock went back, a tick can even be written again with new values. So
 * the sources are merged by timestamp with a precedence (the newest write wins), which gives
 * exactly what one table written with `INSERT OR REPLACE` would return.
 */

/**
 * Pure: the newest `limit` distinct timestamps of `sources`, oldest first. Each source is sorted
 * by `ts` ascending without duplicates; at equal `ts` the source listed first wins.
 */
export function mergeNewest<T extends { ts: number }>(
  sources: readonly (readonly T[])[],
  limit: number,
): T[] {
  const nonEmpty = sources.filter((s) => s.length > 0);
  if (nonEmpty.length === 0 || limit <= 0) return [];
  if (nonEmpty.length === 1) {
    const only = nonEmpty[0]!;
    return only.length <= limit ? only.slice() : only.slice(only.length - limit);
  }
  const heads = nonEmpty.map((s) => s.length - 1);
  const out: T[] = [];
  while (out.length < limit) {
    let best = -1;
    let bestTs = -Infinity;
    for (let k = 0; k < nonEmpty.length; k++) {
      const h = heads[k]!;
      if (h < 0) continue;
      const ts = nonEmpty[k]![h]!.ts;
      if (ts > bestTs) {
        best = k;
        bestTs = ts;
      }
    }
    if (best < 0) break;
    out.push(nonEmpty[best]![heads[best]!]!);
    for (let k = 0; k < nonEmpty.length; k++) {
      const h = heads[k]!;
      if (h >= 0 && nonEmpty[k]![h]!.ts === bestTs) heads[k] = h - 1;
    }
  }
  return out.reverse();
}
