/** One measurement of one server at one tick. See docs/architecture.md, "Sample". */
export interface Sample {
  serverId: string;
  /** The tick this sample belongs to, ISO 8601 UTC, always on a multiple of TICK_MS. */
  timestamp: string;
  cpuPct: number;
  memPct: number;
  diskPct: number;
  netRxBps: number;
  netTxBps: number;
  load1: number;
}

/** The numeric fields of a sample, in display order. */
export const SAMPLE_METRICS = [
  'cpuPct',
  'memPct',
  'diskPct',
  'netRxBps',
  'netTxBps',
  'load1',
] as const satisfies readonly (keyof Sample)[];

export type SampleMetric = (typeof SAMPLE_METRICS)[number];

export const MAX_SERVER_ID_LENGTH = 64;
