/**
 * The machine a bench ran on, as its JSON result records it. The machine may be shared: the load
 * average before and after says how much to trust a run.
 */
import { cpus, loadavg } from 'node:os';
import { round } from './stats.js';

/** The 1, 5 and 15 minute load averages, to two decimals. */
export const loadAverage = (): number[] => loadavg().map((v) => round(v, 2));

/** Cores, CPU model, Node version and the load averages around the run. */
export const machineOf = (loadAverageBefore: number[], loadAverageAfter = loadAverage()) => ({
  cores: cpus().length,
  cpu: cpus()[0]?.model,
  node: process.version,
  loadAverageBefore,
  loadAverageAfter,
});
