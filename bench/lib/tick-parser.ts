/**
 * A sample's tick (epoch ms) from its ISO timestamp, for the load clients. Thousands of samples
 * a second share a few timestamps, so each distinct string is parsed once, which keeps the load
 * client's own CPU out of the freshness it measures. Past `maxEntries` distinct strings the cache
 * is dropped whole: old ticks do not come back.
 */
export function tickParser(maxEntries: number): (timestamp: string) => number {
  const parsed = new Map<string, number>();
  return (timestamp) => {
    let t = parsed.get(timestamp);
    if (t === undefined) {
      if (parsed.size > maxEntries) parsed.clear();
      t = Date.parse(timestamp);
      parsed.set(timestamp, t);
    }
    return t;
  };
}
