import { readFile, statfs } from 'node:fs/promises';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { ServerWorker } from './sampler.js';
import { HOST_ID, HOST_KEY } from './server-ids.js';

/**
 * The `host` server (INCLUDE_HOST=true): this machine's real CPU, memory, disk, network and load.
 * CPU and network are rates, so they are measured as differences since the previous tick.
 */
export interface HostReading {
  cpuIdle: number;
  cpuTotal: number;
  rxBytes: number;
  txBytes: number;
  at: number;
}

/** Pure: CPU percent and byte rates between two readings. */
export function hostRates(prev: HostReading | undefined, cur: HostReading) {
  if (!prev) return { cpuPct: 0, netRxBps: 0, netTxBps: 0 };
  const total = cur.cpuTotal - prev.cpuTotal;
  const seconds = Math.max(0.001, (cur.at - prev.at) / 1000);
  return {
    cpuPct: total > 0 ? clampPct((100 * (total - (cur.cpuIdle - prev.cpuIdle))) / total) : 0,
    netRxBps: Math.max(0, Math.round((cur.rxBytes - prev.rxBytes) / seconds)),
    netTxBps: Math.max(0, Math.round((cur.txBytes - prev.txBytes) / seconds)),
  };
}

/** Pure: received/transmitted bytes summed over every interface but loopback, from /proc/net/dev. */
export function parseNetDev(text: string): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const line of text.split('\n').slice(2)) {
    const [name, rest] = line.split(':');
    if (!rest || name!.trim() === 'lo') continue;
    const f = rest.trim().split(/\s+/).map(Number);
    rx += f[0] ?? 0;
    tx += f[8] ?? 0;
  }
  return { rx, tx };
}

const clampPct = (v: number) => Math.round(Math.min(100, Math.max(0, v)) * 10) / 10;

async function readNet(): Promise<{ rx: number; tx: number }> {
  try {
    return parseNetDev(await readFile('/proc/net/dev', 'utf8'));
  } catch {
    return { rx: 0, tx: 0 }; // not Linux: no network figures
  }
}

export function createHostWorker({ dbPath }: { dbPath: string }): ServerWorker {
  const diskPath = dbPath === ':memory:' ? process.cwd() : dirname(resolve(dbPath));
  let prev: HostReading | undefined;
  return {
    server: { id: HOST_ID, key: HOST_KEY },
    info: () => ({ id: HOST_ID, source: 'host' }),
    async sample(_tick, out, slot) {
      const [net, fs] = await Promise.all([readNet(), statfs(diskPath).catch(() => undefined)]);
      let idle = 0;
      let total = 0;
      for (const c of cpus()) {
        const t = c.times;
        idle += t.idle;
        total += t.user + t.nice + t.sys + t.idle + t.irq;
      }
      const cur: HostReading = {
        cpuIdle: idle,
        cpuTotal: total,
        rxBytes: net.rx,
        txBytes: net.tx,
        at: Date.now(),
      };
      const rates = hostRates(prev, cur);
      prev = cur;
      out.cpuPct[slot] = rates.cpuPct;
      out.memPct[slot] = clampPct((100 * (totalmem() - freemem())) / totalmem());
      out.diskPct[slot] = fs ? clampPct((100 * (fs.blocks - fs.bavail)) / fs.blocks) : 0;
      out.netRxBps[slot] = rates.netRxBps;
      out.netTxBps[slot] = rates.netTxBps;
      out.load1[slot] = Math.round(loadavg()[0]! * 100) / 100;
    },
  };
}
