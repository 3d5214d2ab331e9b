/**
 * Which servers each load client watches. Both load clients (bench/lib/broadcaster-load-client.ts
 * and bench/lib/soak-client.ts) take their subscriptions from here, so a client's servers are a
 * function of (seed, global client index) only: every run, and every process split of a run,
 * subscribes the same way (the generator's seeded PRNG, mulberry32).
 */
import { createRandom } from '../../metric-generator/src/simulation.js';

/** The servers client `index` watches: `perClient` distinct ids of `server-1…server-N`. */
export function subscriptionOf(
  index: number,
  servers: number,
  perClient: number,
  seed: number,
): string[] {
  const rand = createRandom(seed * 100_003 + index);
  const ids = new Set<string>();
  while (ids.size < Math.min(perClient, servers))
    ids.add(`server-${1 + Math.floor(rand() * servers)}`);
  return [...ids];
}
