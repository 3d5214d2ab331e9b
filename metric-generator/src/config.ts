import {
  DEFAULT_HOST,
  flag,
  integer,
  listenHost,
  logLevel,
  parseEnv,
  type LogLevel,
} from '@metrics/service-kit';
import { z } from 'zod';

export { ConfigError } from '@metrics/service-kit';

export const SERVER_COUNT_MAX = 100_000;

export interface Config {
  /** HTTP port; 0 picks a free one. */
  port: number;
  /** Address to listen on (`HOST`): loopback unless the image or launcher says otherwise. */
  host: string;
  /** Simulated servers `server-1` … `server-N`. */
  serverCount: number;
  /** Sampling period; ticks fall on wall-clock multiples of it. */
  tickMs: number;
  /** SQLite file, or `:memory:`. */
  dbPath: string;
  retentionSeconds: number;
  /** Seed of the simulation; drawn at random when `SEED` is unset (and logged, to replay a run). */
  seed: number;
  /** Whether `SEED` was given (false: drawn at random). */
  seedFromEnv: boolean;
  logLevel: LogLevel;
  /** Adds the `host` server reporting this machine's real CPU, memory, disk, network and load. */
  includeHost: boolean;
  /**
   * History reader worker threads (read-only connections beside the tick's writer); 0 reads on
   * the tick's thread, as does a `:memory:` database whatever this says.
   */
  historyWorkers: number;
  /** History reads that may wait for a worker; more get 503 + `Retry-After`. */
  historyQueueMax: number;
}

const fmt = (n: number) => n.toLocaleString('en-US').replace(/,/g, '');

/** One schema per variable: `expected` is what the error message says was expected. */
const VARS = {
  PORT: { schema: integer(0, 65_535, 'an integer 0–65535'), fallback: '3001' },
  HOST: { schema: listenHost, fallback: DEFAULT_HOST },
  SERVER_COUNT: {
    schema: integer(1, SERVER_COUNT_MAX, `an integer 1–${fmt(SERVER_COUNT_MAX)}`),
    fallback: '5',
  },
  TICK_MS: {
    schema: integer(50, 3_600_000, 'an integer 50–3600000 (milliseconds)'),
    fallback: '1000',
  },
  DB_PATH: {
    schema: z.string().trim().min(1, 'a file path or :memory:'),
    fallback: './data/metrics.db',
  },
  RETENTION_SECONDS: {
    schema: integer(1, 31_536_000, 'an integer 1–31536000 (seconds)'),
    fallback: '3600',
  },
  SEED: { schema: integer(0, 4_294_967_295, 'an integer 0–4294967295'), fallback: undefined },
  LOG_LEVEL: { schema: logLevel, fallback: 'info' },
  INCLUDE_HOST: { schema: flag, fallback: 'false' },
  HISTORY_WORKERS: { schema: integer(0, 16, 'an integer 0–16'), fallback: '2' },
  HISTORY_QUEUE_MAX: { schema: integer(1, 10_000, 'an integer 1–10000'), fallback: '64' },
} as const;

/**
 * Reads the generator's configuration from `env` (pure: no defaults from anywhere else).
 * Reports every bad variable at once, e.g. `SERVER_COUNT: expected an integer 1–100000, got "abc"`.
 * An empty variable counts as unset. `randomSeed` supplies the seed when `SEED` is unset.
 */
export function loadConfig(
  env: Record<string, string | undefined>,
  randomSeed: () => number = () => Math.floor(Math.random() * 2 ** 32),
): Readonly<Config> {
  const v = parseEnv(VARS, env);
  return Object.freeze({
    port: v.PORT,
    host: v.HOST,
    serverCount: v.SERVER_COUNT,
    tickMs: v.TICK_MS,
    dbPath: v.DB_PATH,
    retentionSeconds: v.RETENTION_SECONDS,
    seed: v.SEED ?? randomSeed() >>> 0,
    seedFromEnv: v.SEED !== undefined,
    logLevel: v.LOG_LEVEL,
    includeHost: v.INCLUDE_HOST,
    historyWorkers: v.HISTORY_WORKERS,
    historyQueueMax: v.HISTORY_QUEUE_MAX,
  });
}
