/**
 * Reads figures from a service's Prometheus `/metrics` text. Tests and benches compare scrapes
 * taken before and after what they measure, so each call fetches afresh.
 */

/**
 * Sum of a Prometheus counter's series whose line passes `match`: either labels every one of
 * which the series must carry (`{ outcome: 'ok' }`), or a test of the whole line.
 */
export async function counter(
  url: string,
  name: string,
  match: Record<string, string> | ((line: string) => boolean) = {},
): Promise<number> {
  const accepts =
    typeof match === 'function'
      ? match
      : (line: string) => Object.entries(match).every(([k, v]) => line.includes(`${k}="${v}"`));
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!accepts(line)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Cumulative bucket counts of a Prometheus histogram: `le` → count. */
export async function histogramBuckets(url: string, name: string): Promise<Map<number, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<number, number>();
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${name}_bucket\\{.*le="([^"]+)".*\\} (\\S+)$`).exec(line);
    if (m) out.set(m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2]));
  }
  return out;
}

/** Upper bound (ms) of the bucket holding quantile `q` of the observations between two scrapes. */
export function bucketQuantileMs(
  before: Map<number, number>,
  after: Map<number, number>,
  q: number,
): number {
  const les = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  if (!total) return NaN;
  for (const le of les) {
    if ((after.get(le) ?? 0) - (before.get(le) ?? 0) >= q * total) return le * 1000;
  }
  return Infinity;
}
