import {
  ConfigError,
  DEFAULT_HOST,
  integer,
  listenHost,
  logLevel,
  parseEnv,
  type LogLevel,
} from '@metrics/service-kit';

export interface Config {
  port: number;
  /** Address to listen on (`HOST`): loopback unless the image or launcher says otherwise. */
  host: string;
  logLevel: LogLevel;
}

const VARS = {
  PORT: { schema: integer(0, 65_535, 'an integer 0–65535'), fallback: '3000' },
  HOST: { schema: listenHost, fallback: DEFAULT_HOST },
  LOG_LEVEL: { schema: logLevel, fallback: 'info' },
} as const;

/**
 * The static server's configuration from the environment: frozen, or one error naming every
 * bad variable on one line (`PORT: expected an integer 0–65535, got "abc"; LOG_LEVEL: …`).
 */
export function loadConfig(env: Record<string, string | undefined>): Readonly<Config> {
  try {
    const v = parseEnv(VARS, env);
    return Object.freeze({ port: v.PORT, host: v.HOST, logLevel: v.LOG_LEVEL });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new ConfigError(err.problems, `invalid configuration: ${err.problems.join('; ')}`);
  }
}
