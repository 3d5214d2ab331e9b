import {
  ConfigError,
  DEFAULT_HOST,
  flag,
  integer,
  listenHost,
  logLevel,
  parseEnv,
  type LogLevel,
} from '@metrics/service-kit';
import { z } from 'zod';

export { ConfigError, LOG_LEVELS, type LogLevel } from '@metrics/service-kit';

export interface Limits {
  /** Most ids one `subscribe` / `unsubscribe` may carry (zod `max`). */
  maxIdsPerSubscribe: number;
  /** Most servers one socket may watch at once. */
  maxSubscriptionsPerSocket: number;
  /** socket.io `maxHttpBufferSize`: a bigger client message closes that client's connection. */
  maxMessageBytes: number;
  /** Client events per second per socket (token bucket refill). */
  eventRatePerSecond: number;
  /** Token bucket size: events a socket may send in one burst. */
  eventBurst: number;
  /** A client whose unsent bytes exceed this skips ticks until it has drained. */
  slowClientBufferBytes: number;
  /** `history` requests one socket may have running; more wait (history-service.ts). */
  historyInFlightPerSocket: number;
  /** `history` requests of one socket that may wait; more are refused with `retryAfterMs`. */
  historyQueuePerSocket: number;
  /** Generator history reads running at once for the whole broadcaster. */
  historyGeneratorInFlight: number;
}

export interface Config {
  /** HTTP + socket.io port; 0 picks a free one. */
  port: number;
  /** Address to listen on (`HOST`): loopback unless the image or launcher says otherwise. */
  host: string;
  /** Base URL of metric-generator, without a trailing slash. */
  generatorUrl: string;
  /** Poll period per watched server; set it to the generator's `TICK_MS`. */
  pollIntervalMs: number;
  /** How often `GET /v1/servers` is refreshed. */
  discoveryIntervalMs: number;
  /** How long a generator request may take beyond its expected wait before it counts as failed. */
  generatorTimeoutMs: number;
  /** Allowed browser origins; empty = same origin only (Origin host must equal the Host header). */
  corsOrigins: readonly string[];
  logLevel: LogLevel;
  limits: Readonly<Limits>;
  /**
   * Write each client's tick as pre-built WebSocket frames straight to its TCP socket when
   * engine.io has nothing queued (`batched-write.ts`); false sends every write through
   * engine.io. A kill switch for a fast path that relies on engine.io's and ws's internals.
   */
  directWrites: boolean;
  /**
   * `INGRESS_SECRET`: when set, only handshakes carrying it in `X-Ingress-Secret` (added by the
   * ingress) are accepted, so a locked ingress cannot be walked around (`ingress-secret.ts`).
   */
  ingressSecret: string | undefined;
}

const httpUrl = z
  .string()
  .trim()
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'http:' || u.protocol === 'https:') && !u.search && !u.hash;
    } catch {
      return false;
    }
  }, 'an http(s) URL such as http://localhost:3001')
  .transform((v) => v.replace(/\/+$/, ''));

/** `https://a.example, http://localhost:8080` → normalized origins (scheme://host[:port]). */
const originList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(
    z.array(
      z.string().refine((o) => {
        try {
          const u = new URL(o);
          return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === o;
        } catch {
          return false;
        }
      }, 'comma-separated origins such as https://dash.example.com,http://localhost:8080'),
    ),
  );

/** Sent as an HTTP header value by nginx: visible ASCII only, long enough not to be guessed. */
const ingressSecret = z
  .string()
  .trim()
  .regex(/^[\x21-\x7e]{16,256}$/, '16–256 visible ASCII characters (e.g. openssl rand -hex 32)');

/** One schema per variable: the schema's message says what was expected. */
const VARS = {
  PORT: { schema: integer(0, 65_535, 'an integer 0–65535'), fallback: '3002' },
  HOST: { schema: listenHost, fallback: DEFAULT_HOST },
  GENERATOR_URL: { schema: httpUrl, fallback: 'http://localhost:3001' },
  POLL_INTERVAL_MS: {
    schema: integer(100, 3_600_000, 'an integer 100–3600000 (milliseconds)'),
    fallback: '1000',
  },
  DISCOVERY_INTERVAL_MS: {
    schema: integer(100, 3_600_000, 'an integer 100–3600000 (milliseconds)'),
    fallback: '5000',
  },
  GENERATOR_TIMEOUT_MS: {
    schema: integer(100, 60_000, 'an integer 100–60000 (milliseconds)'),
    fallback: '1000',
  },
  CORS_ORIGINS: { schema: originList, fallback: '' },
  LOG_LEVEL: { schema: logLevel, fallback: 'info' },
  MAX_IDS_PER_SUBSCRIBE: { schema: integer(1, 100_000, 'an integer 1–100000'), fallback: '500' },
  MAX_SUBSCRIPTIONS_PER_SOCKET: {
    schema: integer(1, 100_000, 'an integer 1–100000'),
    fallback: '1000',
  },
  MAX_MESSAGE_BYTES: {
    schema: integer(1024, 16_777_216, 'an integer 1024–16777216 (bytes)'),
    fallback: '65536',
  },
  EVENT_RATE_PER_SECOND: { schema: integer(1, 10_000, 'an integer 1–10000'), fallback: '20' },
  EVENT_BURST: { schema: integer(1, 100_000, 'an integer 1–100000'), fallback: '40' },
  SLOW_CLIENT_BUFFER_BYTES: {
    schema: integer(16_384, 1_073_741_824, 'an integer 16384–1073741824 (bytes)'),
    fallback: '1048576',
  },
  DIRECT_WRITES: { schema: flag, fallback: 'true' },
  HISTORY_IN_FLIGHT_PER_SOCKET: { schema: integer(1, 100, 'an integer 1–100'), fallback: '4' },
  HISTORY_QUEUE_PER_SOCKET: { schema: integer(0, 1_000, 'an integer 0–1000'), fallback: '16' },
  HISTORY_GENERATOR_IN_FLIGHT: { schema: integer(1, 256, 'an integer 1–256'), fallback: '8' },
  INGRESS_SECRET: { schema: ingressSecret, fallback: undefined },
} as const;

type VarName = keyof typeof VARS;

/** The variables `loadConfig` reads, for documentation and `--help`-like listings. */
export const CONFIG_VARIABLES = Object.keys(VARS) as VarName[];

/**
 * Reads the broadcaster's configuration from `env` (pure: no defaults from anywhere else).
 * Reports every bad variable at once, e.g. `POLL_INTERVAL_MS: expected an integer 100–3600000
 * (milliseconds), got "soon"`. An empty variable counts as unset.
 */
export function loadConfig(env: Record<string, string | undefined>): Readonly<Config> {
  const v = parseEnv(VARS, env);
  // Checks across variables, once each of them is valid on its own.
  if (v.EVENT_BURST < v.EVENT_RATE_PER_SECOND) {
    throw new ConfigError([
      `EVENT_BURST: expected an integer ≥ EVENT_RATE_PER_SECOND (${v.EVENT_RATE_PER_SECOND}), got "${v.EVENT_BURST}"`,
    ]);
  }
  if (v.MAX_IDS_PER_SUBSCRIBE > v.MAX_SUBSCRIPTIONS_PER_SOCKET) {
    throw new ConfigError([
      `MAX_IDS_PER_SUBSCRIBE: expected at most MAX_SUBSCRIPTIONS_PER_SOCKET (${v.MAX_SUBSCRIPTIONS_PER_SOCKET}), got "${v.MAX_IDS_PER_SUBSCRIBE}"`,
    ]);
  }
  return Object.freeze({
    port: v.PORT,
    host: v.HOST,
    generatorUrl: v.GENERATOR_URL,
    pollIntervalMs: v.POLL_INTERVAL_MS,
    discoveryIntervalMs: v.DISCOVERY_INTERVAL_MS,
    generatorTimeoutMs: v.GENERATOR_TIMEOUT_MS,
    corsOrigins: Object.freeze([...v.CORS_ORIGINS]),
    logLevel: v.LOG_LEVEL,
    limits: Object.freeze({
      maxIdsPerSubscribe: v.MAX_IDS_PER_SUBSCRIBE,
      maxSubscriptionsPerSocket: v.MAX_SUBSCRIPTIONS_PER_SOCKET,
      maxMessageBytes: v.MAX_MESSAGE_BYTES,
      eventRatePerSecond: v.EVENT_RATE_PER_SECOND,
      eventBurst: v.EVENT_BURST,
      slowClientBufferBytes: v.SLOW_CLIENT_BUFFER_BYTES,
      historyInFlightPerSocket: v.HISTORY_IN_FLIGHT_PER_SOCKET,
      historyQueuePerSocket: v.HISTORY_QUEUE_PER_SOCKET,
      historyGeneratorInFlight: v.HISTORY_GENERATOR_IN_FLIGHT,
    }),
    directWrites: v.DIRECT_WRITES,
    ingressSecret: v.INGRESS_SECRET,
  });
}
