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
}

const SETTLED = Promise.resolve();

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
  readonly servers: readonly ServerRef[];
  /** Database key of each slot. */
  readonly keys: Int32Array;
  /** Values of the last sampled tick, one slot per server. */
  readonly columns: SampleColumns;
  /** Runs every worker for `tick` concurrently (`Promise.all`); rejects if any worker fails. */
  sampleTick(tick: number): Promise<void>;
}

export function createSampler(workers: readonly ServerWorker[]): Sampler {
  const servers = workers.map((w) => w.server);
  const keys = Int32Array.from(servers, (s) => s.key);
  const columns = createSampleColumns(workers.length);
  const pending = new Array<Promise<void>>(workers.length);
  return {
    servers,
    keys,
    columns,
    async sampleTick(tick) {
      for (let i = 0; i < workers.length; i++) pending[i] = workers[i]!.sample(tick, columns, i);
      await Promise.all(pending);
    },
  };
}
