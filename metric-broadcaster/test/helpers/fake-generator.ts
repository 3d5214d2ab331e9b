import {
  GeneratorError,
  type GeneratorClient,
  type LatestRequest,
} from '../../src/generator-client.js';
import type { LatestTick, RawSample } from '../../src/latest-body.js';

export interface FakeRequest {
  ids: readonly string[] | undefined;
  after: number | undefined;
  at: number;
}

/**
 * An in-process model of the generator's `/v1/latest` contract on the (fake) clock: tick T is
 * committed at T + commitDelayMs; a request with `after` is answered at once when a committed
 * tick is newer, otherwise held until the next commit (answered with that tick) or 2 × tickMs
 * (204). `up = false` refuses connections. For unit tests of the loop only; integration tests
 * run the real generator.
 */
export function createFakeGenerator(opts: {
  tickMs: number;
  commitDelayMs: number;
  servers: string[];
}) {
  const requests: FakeRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const fake = {
    up: true,
    servers: opts.servers,
    requests,
    get maxInFlight() {
      return maxInFlight;
    },
    lastCommitted(now: number): number {
      return Math.floor((now - opts.commitDelayMs) / opts.tickMs) * opts.tickMs;
    },
  };

  function answer(tick: number, ids: readonly string[] | undefined): LatestTick {
    const wanted = ids ?? fake.servers;
    const samples: RawSample[] = wanted
      .filter((id) => fake.servers.includes(id))
      .map((id) => ({
        serverId: id,
        tick,
        json: `{"serverId":"${id}","timestamp":"${new Date(tick).toISOString()}","cpuPct":1,"memPct":2,"diskPct":3,"netRxBps":4,"netTxBps":5,"load1":6}`,
      }));
    return { tick, samples };
  }

  const client: GeneratorClient = {
    async servers() {
      if (!fake.up) throw new GeneratorError('network', 'connect ECONNREFUSED');
      return fake.servers.map((id) => ({ id }));
    },
    latest({ ids, after, timeoutMs }: LatestRequest) {
      const now = Date.now();
      requests.push({ ids, after, at: now });
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return new Promise<LatestTick | 'no-tick'>((resolve, reject) => {
        const timers: NodeJS.Timeout[] = [];
        const finish = (fn: () => void) => {
          for (const t of timers) clearTimeout(t);
          inFlight--;
          fn();
        };
        if (!fake.up) {
          timers.push(
            setTimeout(
              () => finish(() => reject(new GeneratorError('network', 'connect ECONNREFUSED'))),
              1,
            ),
          );
          return;
        }
        const committed = fake.lastCommitted(now);
        if (after === undefined || committed > after) {
          timers.push(setTimeout(() => finish(() => resolve(answer(committed, ids))), 1));
          return;
        }
        const next = committed + opts.tickMs;
        timers.push(
          setTimeout(
            () =>
              finish(() =>
                fake.up
                  ? resolve(answer(next, ids))
                  : reject(new GeneratorError('network', 'socket hang up')),
              ),
            next + opts.commitDelayMs - now,
          ),
        );
        timers.push(setTimeout(() => finish(() => resolve('no-tick')), 2 * opts.tickMs));
        timers.push(
          setTimeout(
            () =>
              finish(() => reject(new GeneratorError('timeout', `no answer in ${timeoutMs} ms`))),
            timeoutMs,
          ),
        );
      });
    },
    async history() {
      throw new GeneratorError('network', 'not modelled');
    },
    async historyBatch() {
      throw new GeneratorError('network', 'not modelled');
    },
    close() {},
  };
  return { fake, client };
}
