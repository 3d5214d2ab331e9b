/**
 * Which servers each load client watches. Both load clients (bench/lib/broadcaster-load-client.ts
 * and bench/lib/soak-client.ts) take their subscriptions from here, so a client's servers are a
 * function of (seed, global client index) only: every run, and every process split of a run,
 * subscribes the same way.
 */

/** mulberry32: a small seeded PRNG, so every run subscribes the same way. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The servers client `index` watches: `perClient` distinct ids of `server-1…server-N`. */
export function subscriptionOf(
  index: number,
  servers: number,
  perClient: number,
  seed: number,
): string[] {
  const rand = prng(seed * 100_003 + index);
  const ids = new Set<string>();
  while (ids.size < Math.min(perClient, servers))
    ids.add(`server-${1 + Math.floor(rand() * servers)}`);
  return [...ids];
}
