import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const SERVER_COUNT_MAX = 100_000;

export interface Config {
  /** HTTP port; 0 picks a free one. */
  port: number;
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
}

/** Thrown by `loadConfig` with one line per bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

const integer = (min: number, max: number, expected: string) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, expected)
    .transform(Number)
    .pipe(z.number().int().min(min, expected).max(max, expected));

const fmt = (n: number) => n.toLocaleString('en-US').replace(/,/g, '');

/** One schema per variable: `expected` is what the error message says was expected. */
const VARS = {
  PORT: { schema: integer(0, 65_535, 'an integer 0–65535'), fallback: '3001' },
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
  LOG_LEVEL: {
    schema: z.enum(LOG_LEVELS, `one of ${LOG_LEVELS.join(', ')}`),
    fallback: 'info',
  },
  INCLUDE_HOST: {
    schema: z
      .enum(['true', 'false', '1', '0'], 'true or false')
      .transform((v) => v === 'true' || v === '1'),
    fallback: 'false',
  },
} as const;

type VarName = keyof typeof VARS;

/**
 * Reads the generator's configuration from `env` (pure: no defaults from anywhere else).
 * Reports every bad variable at once, e.g. `SERVER_COUNT: expected an integer 1–100000, got "abc"`.
 * An empty variable counts as unset. `randomSeed` supplies the seed when `SEED` is unset.
 */
export function loadConfig(
  env: Record<string, string | undefined>,
  randomSeed: () => number = () => Math.floor(Math.random() * 2 ** 32),
): Readonly<Config> {
  const problems: string[] = [];
  const values: Partial<Record<VarName, unknown>> = {};
  for (const [name, { schema, fallback }] of Object.entries(VARS) as [
    VarName,
    (typeof VARS)[VarName],
  ][]) {
    const raw = env[name] === '' ? undefined : env[name];
    const input = raw ?? fallback;
    if (input === undefined) continue;
    const parsed = (schema as z.ZodType).safeParse(input);
    if (parsed.success) values[name] = parsed.data;
    else
      problems.push(
        `${name}: expected ${parsed.error.issues[0]?.message}, got ${JSON.stringify(input)}`,
      );
  }
  if (problems.length) throw new ConfigError(problems);
  const seed = values.SEED as number | undefined;
  return Object.freeze({
    port: values.PORT as number,
    serverCount: values.SERVER_COUNT as number,
    tickMs: values.TICK_MS as number,
    dbPath: values.DB_PATH as string,
    retentionSeconds: values.RETENTION_SECONDS as number,
    seed: seed ?? randomSeed() >>> 0,
    seedFromEnv: seed !== undefined,
    logLevel: values.LOG_LEVEL as LogLevel,
    includeHost: values.INCLUDE_HOST as boolean,
  });
}
