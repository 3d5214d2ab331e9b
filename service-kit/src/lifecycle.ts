import { ConfigError } from './env.js';
import type { Logger } from 'pino';

/** Shutdown must be over by then; otherwise the process exits 1 with whatever is still open. */
export const SHUTDOWN_DEADLINE_MS = 10_000;

type ExitFn = (code: number) => void;
const exitProcess: ExitFn = (code) => process.exit(code);

/** The part of `process` whose signals and fatal errors start a shutdown (a seam for tests). */
export interface ShutdownEvents {
  on(
    event: 'SIGTERM' | 'SIGINT' | 'uncaughtException' | 'unhandledRejection',
    listener: (err: unknown) => void,
  ): unknown;
}

export interface ShutdownOptions {
  log: Logger;
  /** Closes everything the service holds, in order; the process exits once it resolves. */
  close: () => Promise<void>;
  deadlineMs?: number;
  events?: ShutdownEvents;
  exit?: ExitFn;
}

/** Starts the one orderly shutdown; `code` is the exit code once it is over (0 by default). */
export type Shutdown = (reason: string, code?: number) => void;

/**
 * Makes SIGTERM and SIGINT (exit 0) and an uncaught exception or unhandled rejection (logged as
 * fatal, exit 1) run `close()` once. A second request while it runs exits 1 at once; so do a
 * failing `close()` and one still running after `deadlineMs`.
 */
export function handleShutdown({
  log,
  close,
  deadlineMs = SHUTDOWN_DEADLINE_MS,
  events = process,
  exit = exitProcess,
}: ShutdownOptions): Shutdown {
  let started = false;
  const shutdown: Shutdown = (reason, code = 0) => {
    if (started) {
      log.warn({ reason }, 'second signal: exiting now');
      exit(1);
      return;
    }
    started = true;
    log.info({ reason }, 'shutting down');
    const deadline = setTimeout(() => {
      log.error({ deadlineMs }, 'shutdown deadline passed: exiting');
      exit(1);
    }, deadlineMs);
    Promise.resolve()
      .then(close)
      .then(
        () => {
          clearTimeout(deadline);
          log.info('stopped');
          exit(code);
        },
        (err: unknown) => {
          clearTimeout(deadline);
          log.error({ err }, 'shutdown failed');
          exit(1);
        },
      );
  };
  events.on('SIGTERM', () => shutdown('SIGTERM'));
  events.on('SIGINT', () => shutdown('SIGINT'));
  events.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception');
    shutdown('uncaughtException', 1);
  });
  events.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled rejection');
    shutdown('unhandledRejection', 1);
  });
  return shutdown;
}

/**
 * Runs `load` (a service's `loadConfig(process.env)`). On a `ConfigError` prints its message to
 * stderr, after `label: ` when given, and exits 1: the message names every bad variable, so a
 * stack trace would only hide it. Any other error is thrown on.
 */
export function loadConfigOrExit<T>(load: () => T, label?: string): T {
  try {
    return load();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${label ? `${label}: ` : ''}${err.message}\n`);
    process.exit(1);
  }
}
