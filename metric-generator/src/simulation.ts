/**
 * The simulated fleet: pure and deterministic under a seed.
 *
 * Each server has a character drawn from (seed, server number) alone, so `server-7` behaves the
 * same whatever `SERVER_COUNT` is. CPU is an Ornstein–Uhlenbeck process (a random walk pulled
 * back to the server's base level) in logit space, so it is autocorrelated and bounded in
 * (0, 100) without clipping artefacts; on top come bursts that start at random and decay, and a
 * slow wave per server (traffic patterns). Memory follows its own slower walk and part of each
 * burst; disk fills slowly and drops back when "logs rotate"; network throughput is proportional
 * to CPU with its own correlated noise; load1 is Linux's 1-minute exponentially damped average
 * of the runnable tasks implied by CPU and core count. State lives in typed arrays (one slot per
 * server), so 100,000 servers step in a few milliseconds.
 */

/** The metrics of one tick as columns, one slot per server. */
export interface SampleColumns {
  readonly size: number;
  readonly cpuPct: Float64Array;
  readonly memPct: Float64Array;
  readonly diskPct: Float64Array;
  readonly netRxBps: Float64Array;
  readonly netTxBps: Float64Array;
  readonly load1: Float64Array;
}

export function createSampleColumns(size: number): SampleColumns {
  return {
    size,
    cpuPct: new Float64Array(size),
    memPct: new Float64Array(size),
    diskPct: new Float64Array(size),
    netRxBps: new Float64Array(size),
    netTxBps: new Float64Array(size),
    load1: new Float64Array(size),
  };
}

/** What makes one server unlike another. */
export interface ServerCharacter {
  cores: number;
  /** CPU level the walk reverts to, percent. */
  cpuBase: number;
  /** Mean-reversion rate per second of the CPU walk. */
  cpuReversion: number;
  /** Volatility of the CPU walk (logit units per √s). */
  cpuVolatility: number;
  /** Expected bursts per second. */
  burstRate: number;
  /** Typical burst height (logit units). */
  burstSize: number;
  /** Fraction of a burst left after one second. */
  burstDecay: number;
  /** Period (s), phase (rad) and height (logit units) of the slow traffic wave. */
  wavePeriod: number;
  wavePhase: number;
  waveAmplitude: number;
  memBase: number;
  memVolatility: number;
  diskBase: number;
  /** Disk fill rate, percent per second, and the span after which logs rotate. */
  diskGrowth: number;
  diskSpan: number;
  /** Network throughput at 100 % CPU, bytes per second, and the transmit/receive ratio. */
  netScale: number;
  txRatio: number;
}

const CORES = [2, 4, 4, 8, 8, 8, 16, 16, 32, 64] as const;

/** mulberry32: the state advances by a constant; `toUnit` mixes a state into [0, 1). */
const STEP = 0x6d2b79f5;
function nextState(s: number): number {
  return (s + STEP) | 0;
}
function toUnit(s: number): number {
  let t = s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** A 32-bit hash of (seed, n) used to seed each server's own random stream. */
export function mixSeed(seed: number, n: number): number {
  let h = (seed ^ Math.imul(n + 0x9e3779b9, 0x85ebca6b)) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Irwin–Hall (sum of 4 uniforms, scaled to unit variance) drawn from the 4 states after `s`:
 * close enough to a normal for a simulation, bounded tails, and far cheaper than Box–Muller.
 * The caller advances its state by `4 * STEP`.
 */
function gaussianAt(s: number): number {
  return (
    (toUnit((s + STEP) | 0) +
      toUnit((s + 2 * STEP) | 0) +
      toUnit((s + 3 * STEP) | 0) +
      toUnit((s + 4 * STEP) | 0) -
      2) *
    1.7320508075688772
  );
}

/** A small seeded PRNG (mulberry32) returning numbers in [0, 1). */
export function createRandom(seed: number): () => number {
  let s = seed | 0;
  return () => toUnit((s = nextState(s)));
}

const logit = (p: number) => Math.log(p / (1 - p));
const logistic = (x: number) => 1 / (1 + Math.exp(-x));

/** The character of server number `n` (server-n) under `seed`. */
export function characterOf(seed: number, n: number): ServerCharacter {
  const r = createRandom(mixSeed(seed ^ 0x5bd1e995, n));
  const between = (lo: number, hi: number) => lo + (hi - lo) * r();
  const logBetween = (lo: number, hi: number) => Math.exp(between(Math.log(lo), Math.log(hi)));
  return {
    cores: CORES[Math.floor(r() * CORES.length)]!,
    // Most servers idle along at 5–35 %, a few run hot.
    cpuBase: 4 + 66 * r() ** 1.7,
    cpuReversion: logBetween(0.02, 0.15),
    cpuVolatility: between(0.08, 0.25),
    burstRate: logBetween(0.001, 0.02),
    burstSize: between(0.8, 2.5),
    burstDecay: between(0.8, 0.97),
    wavePeriod: between(300, 3600),
    wavePhase: between(0, 2 * Math.PI),
    waveAmplitude: between(0.1, 0.5),
    memBase: between(20, 80),
    memVolatility: between(0.01, 0.04),
    diskBase: between(15, 70),
    diskGrowth: logBetween(0.0005, 0.01),
    diskSpan: between(5, 20),
    netScale: logBetween(2e5, 1.2e8),
    txRatio: logBetween(0.3, 3),
  };
}

export interface FleetSimulation {
  /** Number of simulated slots. */
  readonly size: number;
  /** Advances slot `slot` to `tick` (epoch ms) and writes its rounded values into `out[slot]`. */
  step(slot: number, tick: number, out: SampleColumns): void;
  character(slot: number): ServerCharacter;
}

export interface FleetSimulationOptions {
  seed: number;
  /** Server numbers (`server-n`), one per slot. */
  servers: readonly number[];
  tickMs: number;
}

const LOAD_TAU_S = 60;

export function createFleetSimulation({
  seed,
  servers,
  tickMs,
}: FleetSimulationOptions): FleetSimulation {
  const size = servers.length;
  const dt = tickMs / 1000;
  const sqrtDt = Math.sqrt(dt);
  const loadKeep = Math.exp(-dt / LOAD_TAU_S);
  const memTheta = Math.min(1, 0.01 * dt);
  const netKeep = Math.max(0, 1 - 0.3 * dt);
  const characters = servers.map((n) => characterOf(seed, n));
  // Per-server constants of one step, precomputed into typed arrays.
  const f64 = () => new Float64Array(size);
  const [mu, theta, volStep, burstP, burstSize, burstKeep, waveOmega, wavePhase, waveAmp] = [
    f64(),
    f64(),
    f64(),
    f64(),
    f64(),
    f64(),
    f64(),
    f64(),
    f64(),
  ];
  const [memMu, memVolStep, diskBase, diskSpan, diskStep, netScale, txRatio, cores] = [
    f64(),
    f64(),
    f64(),
    f64(),
    f64(),
    f64(),
    f64(),
    f64(),
  ];
  // State.
  const rng = new Int32Array(size);
  const [cpuX, burst, memX, disk, netX, load] = [f64(), f64(), f64(), f64(), f64(), f64()];

  let s = 0;
  const uniform = () => toUnit((s = nextState(s)));
  const gaussian = () => {
    const g = gaussianAt(s);
    s = (s + 4 * STEP) | 0;
    return g;
  };

  for (let i = 0; i < size; i++) {
    const c = characters[i]!;
    mu[i] = logit(c.cpuBase / 100);
    theta[i] = Math.min(1, c.cpuReversion * dt);
    volStep[i] = c.cpuVolatility * sqrtDt;
    burstP[i] = c.burstRate * dt;
    burstSize[i] = c.burstSize;
    burstKeep[i] = c.burstDecay ** dt;
    waveOmega[i] = (2 * Math.PI) / 1000 / c.wavePeriod;
    wavePhase[i] = c.wavePhase;
    waveAmp[i] = c.waveAmplitude;
    memMu[i] = logit(c.memBase / 100);
    memVolStep[i] = c.memVolatility * sqrtDt;
    diskBase[i] = c.diskBase;
    diskSpan[i] = c.diskSpan;
    diskStep[i] = c.diskGrowth * dt;
    netScale[i] = c.netScale;
    txRatio[i] = c.txRatio;
    cores[i] = c.cores;

    s = mixSeed(seed, servers[i]!) | 0;
    // Start every walk in its stationary distribution, so the first minutes already look settled.
    cpuX[i] = mu[i]! + gaussian() * (c.cpuVolatility / Math.sqrt(2 * c.cpuReversion));
    memX[i] = memMu[i]! + gaussian() * 0.15;
    disk[i] = c.diskBase + uniform() * c.diskSpan;
    netX[i] = gaussian() * 0.15;
    load[i] = NaN;
    rng[i] = s;
  }

  return {
    size,
    character: (slot) => characters[slot]!,
    step(i, tick, out) {
      // The server's own random stream: every draw advances `r` (kept local, so V8 keeps it in a
      // register; the order of draws is part of the reproducible series).
      let r = rng[i]!;
      const x = cpuX[i]! + theta[i]! * (mu[i]! - cpuX[i]!) + volStep[i]! * gaussianAt(r);
      r = (r + 4 * STEP) | 0;
      cpuX[i] = x;
      let b = burst[i]! * burstKeep[i]!;
      r = (r + STEP) | 0;
      if (toUnit(r) < burstP[i]!) {
        r = (r + STEP) | 0;
        b += burstSize[i]! * (0.5 + toUnit(r));
      }
      burst[i] = b;
      const wave = waveAmp[i]! * Math.sin(tick * waveOmega[i]! + wavePhase[i]!);
      const cpuFrac = logistic(x + b + wave);

      const m = memX[i]! + memTheta * (memMu[i]! - memX[i]!) + memVolStep[i]! * gaussianAt(r);
      r = (r + 4 * STEP) | 0;
      memX[i] = m;
      const memFrac = logistic(m + 0.35 * b);

      let d = disk[i]! + diskStep[i]! * (0.5 + cpuFrac);
      if (d > diskBase[i]! + diskSpan[i]!) {
        r = (r + STEP) | 0;
        d = diskBase[i]! + toUnit(r) * 0.5; // logs rotated
      }
      disk[i] = d;

      const n = netX[i]! * netKeep + 0.12 * sqrtDt * gaussianAt(r);
      r = (r + 4 * STEP) | 0;
      netX[i] = n;
      const rx = netScale[i]! * (0.03 + 0.97 * cpuFrac) * Math.exp(n);
      const tx = rx * txRatio[i]! * (1 + 0.04 * gaussianAt(r));
      r = (r + 4 * STEP) | 0;

      const runnable = cores[i]! * cpuFrac * (1 + 0.1 * b);
      const prevLoad = load[i]!;
      const l = prevLoad === prevLoad ? prevLoad * loadKeep + runnable * (1 - loadKeep) : runnable;
      load[i] = l;
      rng[i] = r;

      out.cpuPct[i] = Math.round(cpuFrac * 1000) / 10;
      out.memPct[i] = Math.round(memFrac * 1000) / 10;
      out.diskPct[i] = Math.round((d < 0 ? 0 : d > 100 ? 100 : d) * 10) / 10;
      out.netRxBps[i] = Math.round(rx);
      out.netTxBps[i] = Math.round(tx < 0 ? 0 : tx);
      out.load1[i] = Math.round(l * 100) / 100;
    },
  };
}
