import type { ServerInfo } from '@metrics/protocol';
import type { FleetSimulation, SampleColumns } from './simulation.js';
import { createSampleColumns } from './simulation.js';
import type { ServerRef } from './server-ids.js';

/**
 * One worker per server. A worker measures (or simulates) its server for a tick and writes the
 * values into its slot of the tick's columns. Workers are asynchronous so that a real source
 * (the `host` worker reads /proc and statfs) sits beside simulated ones without blocking them.
 */
export interface ServerWorker {
  readonly server: ServerRef;
  sample(tick: number, out: SampleColumns, slot: number): Promise<void>;
  /** The server's `/v1/servers` entry when it says more than its id (source, labels, state). */
  info?(): ServerInfo;
}

const SETTLED = Promise.resolve();
const ignore = () => {};
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Workers started between two turns of the event loop (about 8 ms of sampling here). */
export const YIELD_EVERY_WORKERS = 10_000;

/**
 * A worker backed by slot `simSlot` of the fleet simulation. Simulating is synchronous, so the
 * worker returns an already settled promise rather than allocating one per server per tick
 * (an `async` function would): at 100,000 servers that halves the cost of sampling.
 */
export function simulatedWorker(
  server: ServerRef,
  simulation: FleetSimulation,
  simSlot: number,
): ServerWorker {
  return {
    server,
    sample(tick, out, slot) {
      if (slot !== simSlot) {
        return Promise.reject(
          new Error(`worker of ${server.id} owns slot ${simSlot}, not ${slot}`),
        );
      }
      simulation.step(simSlot, tick, out);
      return SETTLED;
    },
  };
}

export interface Sampler {
  /** The workers of the last sampled tick (before the first: the initial ones). */
  readonly workers: readonly ServerWorker[];
  /** The servers of the last sampled tick (a new array whenever the set changed). */
  readonly servers: readonly ServerRef[];
  /** Database key of each slot. */
  readonly keys: Int32Array;
  /** Values of the last sampled tick, one slot per server; NaN in a slot: no sample this tick. */
  readonly columns: SampleColumns;
  /**
   * Runs every worker for `tick` concurrently (`Promise.all`), with a turn of the event loop
   * after every `YIELD_EVERY_WORKERS` started; rejects if any worker fails.
   */
  sampleTick(tick: number): Promise<void>;
  /**
   * Replaces the workers (real targets come and go with their file_sd file): at once between
   * ticks, else from the next tick on, so `servers`, `keys` and `columns` describe the tick in
   * flight until it is committed (commit and publish follow sampling synchronously).
   */
  setWorkers(workers: readonly ServerWorker[]): void;
}

export function createSampler(initial: readonly ServerWorker[]): Sampler {
  let workers = initial;
  let next: readonly ServerWorker[] | undefined;
  let servers = workers.map((w) => w.server);
  let keys = Int32Array.from(servers, (s) => s.key);
  let columns = createSampleColumns(workers.length);
  let pending = new Array<Promise<void>>(workers.length);
  let sampling = false;
  const swap = () => {
    if (!next) return;
    workers = next;
    next = undefined;
    servers = workers.map((w) => w.server);
    keys = Int32Array.from(servers, (s) => s.key);
    columns = createSampleColumns(workers.length);
    pending = new Array<Promise<void>>(workers.length);
  };
  return {
    get workers() {
      return workers;
    },
    get servers() {
      return servers;
    },
    get keys() {
      return keys;
    },
    get columns() {
      return columns;
    },
    setWorkers(w) {
      next = w;
      if (!sampling) swap();
    },
    async sampleTick(tick) {
      swap();
      sampling = true;
      try {
        for (let i = 0; i < workers.length; i++) {
          const p = workers[i]!.sample(tick, columns, i);
          // Handled now, rejected through Promise.all below: a turn of the event loop may pass
          // before that, and an unhandled rejection would end the process.
          if (p !== SETTLED) p.catch(ignore);
          pending[i] = p;
          // A request waiting on the thread (a new page's first fleet frame, /v1/servers) is
          // answered between blocks of workers, not after the whole fleet: at 100,000 servers
          // sampling takes about 85 ms. It reads the last committed tick, never these columns.
          if ((i + 1) % YIELD_EVERY_WORKERS === 0 && i + 1 < workers.length) await nextTurn();
        }
        await Promise.all(pending);
      } finally {
        sampling = false;
      }
    },
  };
}
