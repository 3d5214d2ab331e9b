import { describe, expect, it } from 'vitest';
import {
  characterOf,
  createFleetSimulation,
  createSampleColumns,
  type SampleColumns,
} from '../src/simulation.js';

const TICK = 1_000;
const START = 1_795_000_000_000;

/** Runs `ticks` ticks of a fleet; returns one column snapshot per tick. */
function run(seed: number, servers: number[], ticks: number, tickMs = TICK) {
  const sim = createFleetSimulation({ seed, servers, tickMs });
  const out = createSampleColumns(servers.length);
  const snapshots: SampleColumns[] = [];
  for (let t = 0; t < ticks; t++) {
    for (let i = 0; i < servers.length; i++) sim.step(i, START + t * tickMs, out);
    snapshots.push({
      size: out.size,
      cpuPct: out.cpuPct.slice(),
      memPct: out.memPct.slice(),
      diskPct: out.diskPct.slice(),
      netRxBps: out.netRxBps.slice(),
      netTxBps: out.netTxBps.slice(),
      load1: out.load1.slice(),
    });
  }
  return { sim, snapshots };
}

const series = (snaps: SampleColumns[], metric: keyof Omit<SampleColumns, 'size'>, slot: number) =>
  snaps.map((s) => s[metric][slot]!);

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function lag1Autocorrelation(xs: number[]): number {
  const m = mean(xs);
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    den += (xs[i]! - m) ** 2;
    if (i > 0) num += (xs[i]! - m) * (xs[i - 1]! - m);
  }
  return num / den;
}

function correlation(xs: number[], ys: number[]): number {
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

const servers = Array.from({ length: 20 }, (_, i) => i + 1);

describe('fleet simulation', () => {
  const { snapshots } = run(1234, servers, 3_600);

  it('keeps every value in its bounds over an hour of ticks', () => {
    const outOfBounds: string[] = [];
    snapshots.forEach((s, t) => {
      for (let i = 0; i < servers.length; i++) {
        for (const m of ['cpuPct', 'memPct', 'diskPct'] as const) {
          if (!(s[m][i]! >= 0 && s[m][i]! <= 100)) outOfBounds.push(`${m}[${i}]@${t}=${s[m][i]}`);
        }
        for (const m of ['netRxBps', 'netTxBps'] as const) {
          if (!(Number.isInteger(s[m][i]) && s[m][i]! >= 0)) outOfBounds.push(`${m}[${i}]@${t}`);
        }
        if (!(s.load1[i]! >= 0 && s.load1[i]! < 1000)) outOfBounds.push(`load1[${i}]@${t}`);
      }
    });
    expect(outOfBounds).toEqual([]);
  });

  it('moves as an autocorrelated series, not white noise', () => {
    for (let i = 0; i < servers.length; i++) {
      expect(lag1Autocorrelation(series(snapshots, 'cpuPct', i))).toBeGreaterThan(0.8);
      expect(lag1Autocorrelation(series(snapshots, 'memPct', i))).toBeGreaterThan(0.8);
      expect(lag1Autocorrelation(series(snapshots, 'load1', i))).toBeGreaterThan(0.95);
    }
  });

  it('reverts to each server’s own base level and keeps servers distinct', () => {
    const means = servers.map((_, i) => mean(series(snapshots, 'cpuPct', i)));
    for (let i = 0; i < servers.length; i++) {
      const base = characterOf(1234, servers[i]!).cpuBase;
      // Bursts and the wave only push upwards on average; the walk itself reverts to the base.
      expect(means[i]).toBeGreaterThan(base * 0.5);
      expect(means[i]).toBeLessThan(base * 1.6 + 10);
    }
    expect(Math.max(...means) - Math.min(...means)).toBeGreaterThan(15);
  });

  it('has bursts: some CPU steps are far larger than the typical step', () => {
    let big = 0;
    for (let i = 0; i < servers.length; i++) {
      const cpu = series(snapshots, 'cpuPct', i);
      for (let t = 1; t < cpu.length; t++) if (cpu[t]! - cpu[t - 1]! > 15) big++;
    }
    expect(big).toBeGreaterThan(0);
  });

  it('derives network and load from CPU', () => {
    for (let i = 0; i < servers.length; i++) {
      const cpu = series(snapshots, 'cpuPct', i);
      expect(correlation(cpu, series(snapshots, 'netRxBps', i))).toBeGreaterThan(0.5);
      // load1 is a 1-minute damped average of cores × CPU: compare with that average.
      const cores = characterOf(1234, servers[i]!).cores;
      const load = series(snapshots, 'load1', i);
      const meanRunnable = (mean(cpu) / 100) * cores;
      expect(mean(load)).toBeGreaterThan(meanRunnable * 0.8);
      expect(mean(load)).toBeLessThan(meanRunnable * 1.5 + 0.05);
    }
  });

  it('reproduces the same series under the same seed and a different one under another', () => {
    const a = run(99, [1, 2, 3], 200).snapshots;
    const b = run(99, [1, 2, 3], 200).snapshots;
    const c = run(100, [1, 2, 3], 200).snapshots;
    expect(a).toEqual(b);
    expect(series(a, 'cpuPct', 0)).not.toEqual(series(c, 'cpuPct', 0));
  });

  it('gives a server the same character and series whatever the fleet size', () => {
    const small = run(7, [5], 100).snapshots;
    const large = run(7, [1, 2, 3, 4, 5, 6], 100).snapshots;
    expect(series(small, 'cpuPct', 0)).toEqual(series(large, 'cpuPct', 4));
    expect(characterOf(7, 5)).toEqual(
      createFleetSimulation({ seed: 7, servers: [9, 5], tickMs: TICK }).character(1),
    );
  });
});
