import type { Sample } from '@metrics/protocol';

/** A sample of `serverId` at epoch ms `t`, each value its metric's place (cpuPct 1 … load1 6). */
export const sampleAt = (serverId: string, t: number): Sample => ({
  serverId,
  timestamp: new Date(t).toISOString(),
  cpuPct: 1,
  memPct: 2,
  diskPct: 3,
  netRxBps: 4,
  netTxBps: 5,
  load1: 6,
});
