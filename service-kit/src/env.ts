import { isIP } from 'node:net';
import { z } from 'zod';

/** pino's levels, as `LOG_LEVEL` accepts them. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Thrown by a service's `loadConfig` with one line per bad variable. */
export class ConfigError extends Error {
  /** `message` defaults to one problem per line under `invalid configuration:`. */
  constructor(
    readonly problems: readonly string[],
    message = `invalid configuration:\n  ${problems.join('\n  ')}`,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * A decimal integer in [min, max]. `expected` is the whole of what the error line says was
 * expected (`an integer 0–65535`), whichever check fails.
 */
export const integer = (min: number, max: number, expected: string) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, expected)
    .transform(Number)
    .pipe(z.number().int().min(min, expected).max(max, expected));

/** A switch: `true`/`1` or `false`/`0`. */
export const flag = z
  .enum(['true', 'false', '1', '0'], 'true or false')
  .transform((v) => v === 'true' || v === '1');

/**
 * `HOST`: the address a service listens on, an IPv4 or IPv6 address (`127.0.0.1`, `0.0.0.0`,
 * `::1`, `::`) or `localhost`. Hostnames other than `localhost` are refused: a name that
 * resolves to several addresses would bind only the first, which is rarely what was meant.
 */
export const listenHost = z
  .string()
  .trim()
  .refine(
    (v) => v === 'localhost' || isIP(v) !== 0,
    'an IP address to listen on, such as 127.0.0.1 (loopback only) or 0.0.0.0 (every interface)',
  );

/**
 * Where a service listens when `HOST` is unset: loopback, so a service started on its own is
 * reachable from this machine only. The container images set `HOST=0.0.0.0`, where the compose
 * network is the boundary; only the ingress listens beyond loopback under `npm start`.
 */
export const DEFAULT_HOST = '127.0.0.1';

/** `LOG_LEVEL`: one of pino's levels. */
export const logLevel = z.enum(LOG_LEVELS, `one of ${LOG_LEVELS.join(', ')}`);

/**
 * One environment variable: a schema over its text, whose message says what was expected, and
 * the text used when it is unset (`undefined`: no default, the value stays `undefined`).
 */
export interface EnvVar<S extends z.ZodType<unknown, string> = z.ZodType<unknown, string>> {
  schema: S;
  fallback: string | undefined;
}

/** What `parseEnv` returns for a table of variables: each one's parsed value. */
export type EnvValues<V extends Record<string, EnvVar>> = {
  [K in keyof V]: V[K]['fallback'] extends string
    ? z.output<V[K]['schema']>
    : z.output<V[K]['schema']> | undefined;
};

/**
 * Parses every variable of `vars` from `env`, in order. An empty variable counts as unset.
 * Throws one `ConfigError` naming every bad variable at once, each line as
 * `SERVER_COUNT: expected an integer 1–100000, got "abc"`.
 */
export function parseEnv<const V extends Record<string, EnvVar>>(
  vars: V,
  env: Record<string, string | undefined>,
): EnvValues<V> {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, { schema, fallback }] of Object.entries(vars)) {
    const raw = env[name] === '' ? undefined : env[name];
    const input = raw ?? fallback;
    if (input === undefined) {
      values[name] = undefined;
      continue;
    }
    const parsed = schema.safeParse(input);
    if (parsed.success) values[name] = parsed.data;
    else {
      problems.push(
        `${name}: expected ${parsed.error.issues[0]?.message}, got ${JSON.stringify(input)}`,
      );
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return values as EnvValues<V>;
}
