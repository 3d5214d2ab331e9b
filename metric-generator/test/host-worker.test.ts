import { describe, expect, it } from 'vitest';
import { hostRates, parseNetDev, type HostReading } from '../src/host-worker.js';

// The layout of Linux's /proc/net/dev: two header lines, then `name: 8 receive and 8 transmit
// fields`; bytes are the first receive field and the first transmit field.
const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 9000000   50000    0    0    0     0          0         0  9000000   50000    0    0    0     0       0          0
  eth0: 1500000    1200    0    0    0     0          0         0   250000     900    0    0    0     0       0          0
wlan0:   20000      30    0    0    0     0          0         0     4000      20    0    0    0     0       0          0
`;

const reading = (over: Partial<HostReading>): HostReading => ({
  cpuIdle: 0,
  cpuTotal: 0,
  rxBytes: 0,
  txBytes: 0,
  at: 0,
  ...over,
});

describe('parseNetDev', () => {
  it('sums received and transmitted bytes over every interface but loopback', () => {
    expect(parseNetDev(NET_DEV)).toEqual({ rx: 1_520_000, tx: 254_000 });
  });

  it('reads an interface whose name runs into its first number', () => {
    const text = `h1\nh2\n  eth12:123 1 0 0 0 0 0 0 456 1 0 0 0 0 0 0\n`;
    expect(parseNetDev(text)).toEqual({ rx: 123, tx: 456 });
  });

  it('gives zero for a file with only its headers, or nothing but loopback', () => {
    expect(parseNetDev(NET_DEV.split('\n').slice(0, 2).join('\n'))).toEqual({ rx: 0, tx: 0 });
    expect(parseNetDev(NET_DEV.split('\n').slice(0, 3).join('\n'))).toEqual({ rx: 0, tx: 0 });
    expect(parseNetDev('')).toEqual({ rx: 0, tx: 0 });
  });
});

describe('hostRates', () => {
  it('reports zero rates for the first reading (nothing to take a difference from)', () => {
    const first = reading({ cpuIdle: 500, cpuTotal: 1_000, rxBytes: 1e6, txBytes: 1e6, at: 1_000 });
    expect(hostRates(undefined, first)).toEqual({ cpuPct: 0, netRxBps: 0, netTxBps: 0 });
  });

  it('takes CPU as the busy share of the time between two readings, network as bytes per second', () => {
    const prev = reading({
      cpuIdle: 1_000,
      cpuTotal: 2_000,
      rxBytes: 10_000,
      txBytes: 5_000,
      at: 0,
    });
    const cur = reading({
      cpuIdle: 1_300, // 300 of 400 new units idle: 25 % busy
      cpuTotal: 2_400,
      rxBytes: 30_000, // 20,000 bytes in 2 s
      txBytes: 6_000,
      at: 2_000,
    });
    expect(hostRates(prev, cur)).toEqual({ cpuPct: 25, netRxBps: 10_000, netTxBps: 500 });
  });

  it('rounds CPU to 0.1 and clamps it to 0–100', () => {
    const prev = reading({ cpuIdle: 0, cpuTotal: 0, at: 0 });
    expect(hostRates(prev, reading({ cpuIdle: 2, cpuTotal: 3, at: 1_000 })).cpuPct).toBe(33.3);
    // Idle grew more than total (counters sampled a moment apart): never below 0.
    expect(hostRates(prev, reading({ cpuIdle: 5, cpuTotal: 3, at: 1_000 })).cpuPct).toBe(0);
  });

  it('gives zero CPU when no CPU time passed, and no negative rates when counters reset', () => {
    const prev = reading({ cpuIdle: 10, cpuTotal: 20, rxBytes: 9_000, txBytes: 9_000, at: 0 });
    const cur = reading({ cpuIdle: 10, cpuTotal: 20, rxBytes: 100, txBytes: 100, at: 1_000 });
    expect(hostRates(prev, cur)).toEqual({ cpuPct: 0, netRxBps: 0, netTxBps: 0 });
  });

  it('does not divide by zero when two readings share a timestamp', () => {
    const prev = reading({ rxBytes: 0, at: 5_000 });
    const rates = hostRates(prev, reading({ rxBytes: 1, at: 5_000 }));
    expect(Number.isFinite(rates.netRxBps)).toBe(true);
    expect(rates.netRxBps).toBe(1_000); // 1 byte over the 1 ms floor
  });
});
