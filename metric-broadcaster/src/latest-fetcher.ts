import type { Logger } from 'pino';
import type { GeneratorClient } from './generator-client.js';
import type { RawSample } from './latest-body.js';
import { DEFAULT_PLAN_LIMITS, type PlanLimits } from './tick-plan.js';

export interface LatestFetcher {
  /** The generator's latest committed sample of each id it knows (empty when it fails). */
  get(ids: readonly string[]): Promise<RawSample[]>;
}

/**
 * Fetches latest samples outside the tick loop (a `subscribe`'s immediate sample when the loop
 * has none fresh). Every call made in the same event-loop turn shares one
 * `GET /v1/latest?ids=…` (no `after`: answered at once), so a burst of subscriptions costs one
 * request.
 */
export function createLatestFetcher(
  client: GeneratorClient,
  timeoutMs: number,
  log: Logger,
  limits: PlanLimits = DEFAULT_PLAN_LIMITS,
): LatestFetcher {
  let pending: { ids: Set<string>; waiters: Array<(samples: RawSample[]) => void> } | undefined;

  async function flush(batch: NonNullable<typeof pending>): Promise<void> {
    const ids = [...batch.ids];
    const chars = ids.reduce((n, id) => n + id.length + 1, 0);
    const all = ids.length > limits.maxIds || chars > limits.maxIdsChars;
    let samples: RawSample[] = [];
    try {
      const answer = await client.latest({ ...(all ? {} : { ids }), timeoutMs });
      if (answer !== 'no-tick') samples = answer.samples;
    } catch (err) {
      log.warn({ err: (err as Error).message, ids: ids.length }, 'immediate fetch failed');
    }
    for (const resolve of batch.waiters) resolve(samples);
  }

  return {
    get(ids) {
      if (!ids.length) return Promise.resolve([]);
      if (!pending) {
        const batch = { ids: new Set<string>(), waiters: [] as Array<(s: RawSample[]) => void> };
        pending = batch;
        setImmediate(() => {
          pending = undefined;
          void flush(batch);
        });
      }
      for (const id of ids) pending.ids.add(id);
      const wanted = new Set(ids);
      return new Promise<RawSample[]>((resolve) => {
        pending!.waiters.push((samples) => resolve(samples.filter((s) => wanted.has(s.serverId))));
      });
    },
  };
}
