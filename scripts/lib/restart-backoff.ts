/**
 * When to restart a process that exited by itself: exponential backoff over the failures in a
 * row, forgotten once the process has stayed up long enough. Pure: the launcher passes the
 * times in, so the schedule is tested without timers.
 *
 *   exit after a short run ──> failures + 1, wait min(maxMs, initialMs × 2^(failures − 1))
 *   exit after ≥ stableMs  ──> failures = 1, wait initialMs (a crash after hours is a first crash)
 */
export interface BackoffPolicy {
  /** Delay before the first restart. */
  initialMs: number;
  /** The longest delay, however many failures in a row. */
  maxMs: number;
  /** A process that ran this long before exiting starts the count again. */
  stableMs: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({
  initialMs: 250,
  maxMs: 10_000,
  stableMs: 30_000,
});

export interface BackoffState {
  /** Exits in a row, each after a run shorter than `stableMs`. */
  failures: number;
}

export const NO_FAILURES: Readonly<BackoffState> = Object.freeze({ failures: 0 });

/** The state after an exit of a process that had been up `upMs`, and the delay before its restart. */
export function afterExit(
  state: BackoffState,
  upMs: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): { state: BackoffState; delayMs: number } {
  const failures = upMs >= policy.stableMs ? 1 : state.failures + 1;
  const delayMs = Math.min(policy.maxMs, policy.initialMs * 2 ** (failures - 1));
  return { state: { failures }, delayMs };
}
