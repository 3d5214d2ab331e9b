import type { ExpositionSample } from './exposition.js';

/**
 * From a node_exporter scrape to a sample. Pure: `readNode` picks the counters and gauges out of
 * one parsed body, `nodeSample` turns two consecutive readings into the sample's values.
 *
 * - cpuPct: share of non-idle time in the `node_cpu_seconds_total` deltas of every CPU
 * - memPct: 100 × (1 − MemAvailable / MemTotal)
 * - diskPct: 100 × (size − avail) / size of the configured mount point (`/` by default), like `df`
 * - netRxBps / netTxBps: byte-counter deltas summed over every device but `lo`, per second
 * - load1: `node_load1`
 *
 * Rates need two readings, so the first one gives no sample; so does a reading after a counter
 * went backwards (a reboot, a re-created device): a missing sample, never a negative or spiked one.
 */
export const NODE_FAMILIES: ReadonlySet<string> = new Set([
  'node_cpu_seconds_total',
  'node_memory_MemTotal_bytes',
  'node_memory_MemAvailable_bytes',
  'node_filesystem_size_bytes',
  'node_filesystem_avail_bytes',
  'node_network_receive_bytes_total',
  'node_network_transmit_bytes_total',
  'node_load1',
]);

export interface NodeReading {
  /** Epoch ms of the scrape. */
  at: number;
  /** Per CPU: seconds of all modes and of `idle`. */
  cpuTotal: Map<string, number>;
  cpuIdle: Map<string, number>;
  memPct: number;
  diskPct: number;
  /** Per device (loopback excluded): received and transmitted bytes. */
  rx: Map<string, number>;
  tx: Map<string, number>;
  load1: number;
}

export interface NodeValues {
  cpuPct: number;
  memPct: number;
  diskPct: number;
  netRxBps: number;
  netTxBps: number;
  load1: number;
}

export class ReadingError extends Error {}

/** Per-CPU idle time may step back a little on some kernels (NO_HZ accounting): tolerated. */
const CPU_JITTER_SECONDS = 1;

const round1 = (v: number) => Math.round(Math.min(100, Math.max(0, v)) * 10) / 10;

function single(families: Map<string, ExpositionSample[]>, name: string): number {
  const v = families.get(name)?.[0]?.value;
  if (v === undefined || !Number.isFinite(v)) throw new ReadingError(`no ${name} in the answer`);
  return v;
}

function perDevice(samples: ExpositionSample[] | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples ?? []) {
    const device = s.labels.device;
    if (device === undefined || device === 'lo' || !Number.isFinite(s.value)) continue;
    out.set(device, s.value);
  }
  return out;
}

/** Picks a reading out of a parsed body; throws `ReadingError` naming what is missing. */
export function readNode(
  families: Map<string, ExpositionSample[]>,
  at: number,
  mountPoint = '/',
): NodeReading {
  const cpuTotal = new Map<string, number>();
  const cpuIdle = new Map<string, number>();
  for (const s of families.get('node_cpu_seconds_total') ?? []) {
    const cpu = s.labels.cpu;
    if (cpu === undefined || !Number.isFinite(s.value)) continue;
    cpuTotal.set(cpu, (cpuTotal.get(cpu) ?? 0) + s.value);
    if (s.labels.mode === 'idle') cpuIdle.set(cpu, s.value);
  }
  if (cpuTotal.size === 0) throw new ReadingError('no node_cpu_seconds_total in the answer');

  const memTotal = single(families, 'node_memory_MemTotal_bytes');
  const memAvailable = single(families, 'node_memory_MemAvailable_bytes');
  if (memTotal <= 0) throw new ReadingError('node_memory_MemTotal_bytes is 0');

  const onMount = (name: string) =>
    families.get(name)?.find((s) => s.labels.mountpoint === mountPoint)?.value;
  const size = onMount('node_filesystem_size_bytes');
  const avail = onMount('node_filesystem_avail_bytes');
  if (size === undefined || avail === undefined || !(size > 0)) {
    throw new ReadingError(`no filesystem mounted on ${mountPoint} in the answer`);
  }

  return {
    at,
    cpuTotal,
    cpuIdle,
    memPct: round1(100 * (1 - memAvailable / memTotal)),
    diskPct: round1((100 * (size - avail)) / size),
    rx: perDevice(families.get('node_network_receive_bytes_total')),
    tx: perDevice(families.get('node_network_transmit_bytes_total')),
    load1: Math.round(Math.max(0, single(families, 'node_load1')) * 100) / 100,
  };
}

export type SampleResult =
  { ok: true; values: NodeValues } | { ok: false; reason: 'first' | 'reset' | 'no_time' };

/** Sum of the deltas over the keys present in both maps; undefined when one went backwards. */
function deltaSum(
  prev: Map<string, number>,
  cur: Map<string, number>,
  jitter = 0,
): number | undefined {
  let sum = 0;
  for (const [key, v] of cur) {
    const before = prev.get(key);
    if (before === undefined) continue; // a device or CPU that just appeared: no delta yet
    const d = v - before;
    if (d < -jitter) return undefined;
    sum += Math.max(0, d);
  }
  return sum;
}

/** The sample of `cur` given the reading before it (`undefined`: none usable). */
export function nodeSample(prev: NodeReading | undefined, cur: NodeReading): SampleResult {
  if (!prev) return { ok: false, reason: 'first' };
  const seconds = (cur.at - prev.at) / 1000;
  if (!(seconds > 0)) return { ok: false, reason: 'no_time' };
  const total = deltaSum(prev.cpuTotal, cur.cpuTotal, CPU_JITTER_SECONDS);
  const idle = deltaSum(prev.cpuIdle, cur.cpuIdle, CPU_JITTER_SECONDS);
  const rx = deltaSum(prev.rx, cur.rx);
  const tx = deltaSum(prev.tx, cur.tx);
  if (total === undefined || idle === undefined || rx === undefined || tx === undefined) {
    return { ok: false, reason: 'reset' };
  }
  if (!(total > 0)) return { ok: false, reason: 'no_time' };
  return {
    ok: true,
    values: {
      cpuPct: round1((100 * (total - Math.min(idle, total))) / total),
      memPct: cur.memPct,
      diskPct: cur.diskPct,
      netRxBps: Math.round(rx / seconds),
      netTxBps: Math.round(tx / seconds),
      load1: cur.load1,
    },
  };
}
