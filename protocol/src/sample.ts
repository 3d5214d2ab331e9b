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

/** Server ids are `server-1` … `server-N`, plus the optional `host`. */
export const SERVER_ID_PATTERN = /^(server-[1-9][0-9]{0,5}|host)$/;
export const MAX_SERVER_ID_LENGTH = 64;
