import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseExposition } from '../../src/node-exporter/exposition.js';
import {
  NODE_FAMILIES,
  nodeSample,
  readNode,
  ReadingError,
} from '../../src/node-exporter/node-reading.js';

const REAL = readFileSync(new URL('../fixtures/node-exporter-1.5.txt', import.meta.url), 'utf8');

interface Host {
  /** Per CPU: seconds per mode. */
  cpus: Record<string, number>[];
  memTotal: number;
  memAvailable: number;
  fs: { mountpoint: string; size: number; avail: number }[];
  net: Record<string, { rx: number; tx: number }>;
  load1: number;
}

/** An exposition body as node_exporter writes it. */
function body(h: Host): string {
  const lines = [
    '# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.',
    '# TYPE node_cpu_seconds_total counter',
  ];
  h.cpus.forEach((modes, cpu) => {
    for (const [mode, v] of Object.entries(modes)) {
      lines.push(`node_cpu_seconds_total{cpu="${cpu}",mode="${mode}"} ${v}`);
    }
  });
  lines.push(
    `node_memory_MemAvailable_bytes ${h.memAvailable}`,
    `node_memory_MemTotal_bytes ${h.memTotal}`,
  );
  for (const f of h.fs) {
    const l = `device="/dev/x",fstype="ext4",mountpoint="${f.mountpoint}"`;
    lines.push(
      `node_filesystem_avail_bytes{${l}} ${f.avail}`,
      `node_filesystem_size_bytes{${l}} ${f.size}`,
    );
  }
  for (const [device, n] of Object.entries(h.net)) {
    lines.push(`node_network_receive_bytes_total{device="${device}"} ${n.rx}`);
    lines.push(`node_network_transmit_bytes_total{device="${device}"} ${n.tx}`);
  }
  lines.push(`node_load1 ${h.load1}`);
  return `${lines.join('\n')}\n`;
}

const host = (over: Partial<Host> = {}): Host => ({
  cpus: [
    { idle: 1000, user: 100, system: 50, iowait: 5, irq: 0, nice: 0, softirq: 1, steal: 0 },
    { idle: 1100, user: 80, system: 40, iowait: 2, irq: 0, nice: 0, softirq: 1, steal: 0 },
  ],
  memTotal: 16e9,
  memAvailable: 4e9,
  fs: [
    { mountpoint: '/', size: 100e9, avail: 40e9 },
    { mountpoint: '/srv', size: 1e12, avail: 9e11 },
  ],
  net: { lo: { rx: 5e9, tx: 5e9 }, eth0: { rx: 1e6, tx: 2e6 }, eth1: { rx: 0, tx: 0 } },
  load1: 1.234,
  ...over,
});

const read = (h: Host, at: number, mount?: string) =>
  readNode(parseExposition(body(h), NODE_FAMILIES), at, mount);

/** Adds seconds to each CPU's modes. */
const spend = (h: Host, perCpu: Record<string, number>): Host => ({
  ...h,
  cpus: h.cpus.map((modes) => {
    const out = { ...modes };
    for (const [m, v] of Object.entries(perCpu)) out[m] = (out[m] ?? 0) + v;
    return out;
  }),
});

describe('readNode + nodeSample', () => {
  it('maps two readings one second apart to a sample', () => {
    const a = host();
    // Each CPU: 0.25 s user, 0.05 s system, 0.7 s idle in one second: 30 % busy.
    const b = {
      ...spend(a, { user: 0.25, system: 0.05, idle: 0.7 }),
      net: {
        lo: { rx: 9e9, tx: 9e9 },
        eth0: { rx: 1e6 + 150_000, tx: 2e6 + 50_000 },
        eth1: { rx: 1000, tx: 10 },
      },
      memAvailable: 6e9,
    };
    const s = nodeSample(read(a, 1_000), read(b, 2_000));
    expect(s).toEqual({
      ok: true,
      values: {
        cpuPct: 30,
        memPct: 62.5, // 1 − 6/16
        diskPct: 60, // (100 − 40) / 100 of /
        netRxBps: 151_000, // eth0 + eth1, lo left out
        netTxBps: 50_010,
        load1: 1.23,
      },
    });
  });

  it('divides byte deltas by the time between the scrapes', () => {
    const a = host();
    const b = { ...spend(a, { idle: 2 }), net: { ...a.net, eth0: { rx: 1e6 + 1000, tx: 2e6 } } };
    const s = nodeSample(read(a, 0), read(b, 2_000));
    expect(s.ok && s.values.netRxBps).toBe(500);
  });

  it('uses the configured mount point for diskPct', () => {
    expect(read(host(), 0, '/srv').diskPct).toBe(10);
  });

  it('gives no sample for the first reading', () => {
    expect(nodeSample(undefined, read(host(), 0))).toEqual({ ok: false, reason: 'first' });
  });

  it('gives no sample, not a negative or spiked rate, when a counter went backwards', () => {
    const a = host();
    const rebooted = host({
      cpus: a.cpus.map(() => ({ idle: 3, user: 1, system: 1 })),
      net: { lo: { rx: 10, tx: 10 }, eth0: { rx: 500, tx: 700 } },
    });
    expect(nodeSample(read(a, 0), read(rebooted, 1_000))).toEqual({ ok: false, reason: 'reset' });
    const netOnly = { ...spend(a, { idle: 1 }), net: { ...a.net, eth0: { rx: 10, tx: 2e6 } } };
    expect(nodeSample(read(a, 0), read(netOnly, 1_000))).toEqual({ ok: false, reason: 'reset' });
    // The reading after the reset is the new baseline: rates resume from it.
    const after = {
      ...spend(rebooted, { user: 0.5, idle: 0.5 }),
      net: { lo: { rx: 10, tx: 10 }, eth0: { rx: 1500, tx: 700 } },
    };
    const s = nodeSample(read(rebooted, 1_000), read(after, 2_000));
    expect(s).toMatchObject({ ok: true, values: { cpuPct: 50, netRxBps: 1000, netTxBps: 0 } });
  });

  it('tolerates idle time stepping back a little (kernel accounting) without a negative share', () => {
    const a = host();
    const b = spend(a, { user: 1, idle: -0.01 });
    const s = nodeSample(read(a, 0), read(b, 1_000));
    expect(s).toMatchObject({ ok: true, values: { cpuPct: 100 } });
  });

  it('counts a device that appears only from its second reading (no spike from its total)', () => {
    const a = host();
    const b = { ...spend(a, { idle: 1 }), net: { ...a.net, veth9: { rx: 8e12, tx: 8e12 } } };
    const s = nodeSample(read(a, 0), read(b, 1_000));
    expect(s).toMatchObject({ ok: true, values: { netRxBps: 0, netTxBps: 0 } });
  });

  it.each([
    ['no CPU counters', host({ cpus: [] }), /no node_cpu_seconds_total/],
    [
      'no MemAvailable',
      host(),
      /no node_memory_MemAvailable_bytes/,
      'node_memory_MemAvailable_bytes',
    ],
    ['no root filesystem', host({ fs: [] }), /no filesystem mounted on \//],
    ['a zero MemTotal', host({ memTotal: 0 }), /MemTotal_bytes is 0/],
  ])('rejects an answer with %s', (_what, h, message, drop?: string) => {
    const text = drop
      ? body(h)
          .split('\n')
          .filter((l) => !l.startsWith(drop))
          .join('\n')
      : body(h);
    expect(() => readNode(parseExposition(text, NODE_FAMILIES), 0)).toThrow(ReadingError);
    expect(() => readNode(parseExposition(text, NODE_FAMILIES), 0)).toThrow(message);
  });

  it('reads the real answer captured from Debian’s node_exporter', () => {
    const r = readNode(parseExposition(REAL, NODE_FAMILIES), 0);
    expect(r.cpuTotal.size).toBeGreaterThan(0);
    expect(r.rx.has('lo')).toBe(false);
    expect(r.memPct).toBeGreaterThan(0);
    expect(r.memPct).toBeLessThan(100);
    expect(r.diskPct).toBeGreaterThan(0);
  });
});
