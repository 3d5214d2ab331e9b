/**
 * One measured run of the broadcaster load clients (bench/lib/broadcaster-load-client.ts), as
 * bench/broadcaster.ts and bench/replicas.ts drive them: split the clients over the load
 * processes and connect them with the probe process, measure a window, close, then sum what the
 * processes saw. The caller reads its own counters (CPU, Prometheus) around `measureLoad`.
 */
import type { ChildProcess } from 'node:child_process';
import type { Command, LoadStats, Reply } from './broadcaster-load-client.js';
import { asker } from './load-process.js';
import { maxMs, mergeHistograms, quantileMs } from './ms-histogram.js';
import { round } from './stats.js';
import { sleep } from '../../scripts/lib/wait.js';

/** The load processes and the probe process (a few clients whose view no load process skews). */
export interface LoadProcesses {
  loaders: readonly ChildProcess[];
  probe: ChildProcess;
}

/** What the clients watch: the fleet size, servers per client, every n-th client on the fleet. */
export interface LoadShape {
  servers: number;
  perClient: number;
  fleetEvery: number;
}

export interface ConnectOptions {
  url: string;
  clients: number;
  shape: LoadShape;
  /** Clients of the probe process. */
  probes: number;
  seed: number;
  /** No new connection is started after this long; the run goes on with those connected. */
  deadlineMs: number;
}

/**
 * The broadcaster bench's load, which the replica bench repeats behind the ingress: 1,000
 * servers ticking each second, each client on 10 of them and every second one on the fleet, two
 * load processes and a probe of 10 clients, 2 s of warm-up, then 8 s measured (5 s with --quick).
 * Recorded as the `setup` of both results.
 */
export const loadSetup = (quick: boolean) => ({
  servers: 1_000,
  tickMs: 1000,
  perClient: 10,
  fleetEvery: 2,
  loadProcesses: 2,
  probes: 10,
  warmupMs: 2_000,
  measureMs: quick ? 5_000 : 8_000,
});

/** The probe's clients are numbered from here, apart from any load client. */
const PROBE_FIRST_INDEX = 1_000_000;

export const ask = asker<Command, Reply>();

/** Connects `clients` load clients (split evenly over the loaders) and the probe's clients. */
export async function connectLoad(
  { loaders, probe }: LoadProcesses,
  o: ConnectOptions,
): Promise<{ connectMs: number; failedConnects: number }> {
  const perProcess = Math.ceil(o.clients / loaders.length);
  const connect = (child: ChildProcess, count: number, firstIndex: number) =>
    ask(
      child,
      {
        type: 'connect',
        url: o.url,
        count,
        firstIndex,
        servers: o.shape.servers,
        perClient: o.shape.perClient,
        fleetEvery: o.shape.fleetEvery,
        seed: o.seed,
        deadlineMs: o.deadlineMs,
      },
      'connected',
    );
  const connectStarted = performance.now();
  const connects = await Promise.all([
    ...loaders.map((child, i) =>
      connect(child, Math.max(0, Math.min(perProcess, o.clients - i * perProcess)), i * perProcess),
    ),
    connect(probe, o.probes, PROBE_FIRST_INDEX),
  ]);
  return {
    connectMs: Math.round(performance.now() - connectStarted),
    failedConnects: connects.reduce((n, c) => n + c.failed, 0),
  };
}

/**
 * Lets every process measure for `measureMs` and collects their stats; `seconds` is the window
 * as the orchestrator saw it (start sent to the last stats received).
 */
export async function measureLoad(
  { loaders, probe }: LoadProcesses,
  measureMs: number,
): Promise<{ load: LoadStats[]; probe: LoadStats; seconds: number }> {
  const all = [...loaders, probe];
  const t0 = performance.now();
  for (const child of all) child.send({ type: 'start' } satisfies Command);
  await sleep(measureMs);
  const stats = await Promise.all(all.map((child) => ask(child, { type: 'stop' }, 'stats')));
  const seconds = (performance.now() - t0) / 1000;
  return {
    load: stats.slice(0, loaders.length).map((s) => s.stats),
    probe: stats[stats.length - 1]!.stats,
    seconds,
  };
}

/** Closes every process's clients (the processes stay up for the next run). */
export async function closeLoad({ loaders, probe }: LoadProcesses): Promise<void> {
  await Promise.all([...loaders, probe].map((child) => ask(child, { type: 'close' }, 'closed')));
}

export interface Freshness {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** p50, p90, p99 and max of a freshness histogram, in ms. */
export const freshnessOf = (hist: readonly number[]): Freshness => ({
  p50: quantileMs(hist, 0.5),
  p90: quantileMs(hist, 0.9),
  p99: quantileMs(hist, 0.99),
  max: maxMs(hist),
});

/** What the load clients saw in one run, as every bench driving them records it. */
export interface LoadFigures {
  clients: number;
  connected: number;
  failedConnects: number;
  connectMs: number;
  freshnessMs: Freshness;
  samplesPerSecond: number;
  expectedSamplesPerSecond: number;
  duplicates: number;
  disconnects: number;
  loadClientCpuPct: number;
}

/** The load processes' stats summed (rates over the longest process's wall time), plus the probe's. */
export function summarizeLoad(load: readonly LoadStats[], probe: LoadStats) {
  const sum = (f: (s: LoadStats) => number) => load.reduce((n, s) => n + f(s), 0);
  const loadSeconds = Math.max(...load.map((s) => s.wallMs)) / 1000;
  return {
    connected: sum((s) => s.clients),
    freshness: load.map((s) => s.freshness).reduce(mergeHistograms),
    fleetFreshness: load.map((s) => s.fleetFreshness).reduce(mergeHistograms),
    samplesPerSecond: round(sum((s) => s.samples) / loadSeconds, 0),
    metricsEventsPerSecond: round(sum((s) => s.metricsEvents) / loadSeconds, 0),
    fleetFramesPerSecond: round(sum((s) => s.fleetFrames) / loadSeconds, 0),
    duplicates: sum((s) => s.duplicates) + probe.duplicates,
    disconnects: sum((s) => s.disconnects) + probe.disconnects,
    loadClientCpuPct: round((sum((s) => s.cpuMs) / 1000 / loadSeconds) * 100, 1),
  };
}
