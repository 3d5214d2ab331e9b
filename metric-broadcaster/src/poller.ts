/**
 * The poller of one serverId (or of the fleet overview) as a pure state machine: every
 * transition is a function of (state, input, now) and returns a new state. The poll loop
 * (`poll-loop.ts`) carries out what these decide; tests drive them with an explicit clock.
 *
 * ```
 *            subscribers > 0                    answer / no tick
 *   idle ──────────────────────> polling <─────────────────────────┐
 *    ^  <──────────────────────    │  ^                             │
 *    │     subscribers = 0         │  └── backoff ── due again ─────┘
 *    │                             │ request failed   (jittered delay)
 *    └──── subscribers = 0 ────────┴──────────> backoff
 * ```
 */
export type PollerPhase = 'idle' | 'polling' | 'backoff';

export interface PollerState {
  readonly id: string;
  readonly phase: PollerPhase;
  /** Members of the poller's room (`server:<id>` or `fleet`). */
  readonly subscribers: number;
  /** Epoch ms of the newest tick emitted to the room; `NO_TICK` before the first. */
  readonly lastEmittedTick: number;
  /** Newest tick any answer brought this poller (emitted or not); never asked for again. */
  readonly seenTick: number;
  /** When the poller wants its next request sent (epoch ms, local clock). */
  readonly dueAt: number;
  /** Consecutive failed requests; sets the backoff delay. */
  readonly failures: number;
}

export interface PollerTiming {
  /** Shortest period between two samples the room gets (`POLL_INTERVAL_MS`). */
  pollIntervalMs: number;
  /** Pollers due within this window share a request; also the shortest gap between requests. */
  coalesceMs: number;
}

export const NO_TICK = -1;

export function defaultTiming(pollIntervalMs: number): PollerTiming {
  return { pollIntervalMs, coalesceMs: Math.min(100, Math.floor(pollIntervalMs / 4)) };
}

export function createPoller(id: string): PollerState {
  return {
    id,
    phase: 'idle',
    subscribers: 0,
    lastEmittedTick: NO_TICK,
    seenTick: NO_TICK,
    dueAt: 0,
    failures: 0,
  };
}

/**
 * The room's member count changed. An idle poller that gains members starts polling at once,
 * starting after `currentTick`: the newest tick the loop knows is committed, which `subscribe`
 * already sent to the new member from the cache or a direct fetch. Losing every member makes it
 * idle: no watcher, no work.
 */
export function withSubscribers(
  p: PollerState,
  subscribers: number,
  currentTick: number,
  now: number,
): PollerState {
  if (subscribers <= 0) {
    return p.phase === 'idle' && p.subscribers === 0
      ? p
      : { ...p, phase: 'idle', subscribers: 0, failures: 0 };
  }
  if (p.phase !== 'idle') return { ...p, subscribers };
  return {
    ...p,
    phase: 'polling',
    subscribers,
    lastEmittedTick: Math.max(p.lastEmittedTick, currentTick),
    seenTick: Math.max(p.seenTick, currentTick),
    dueAt: now,
    failures: 0,
  };
}

export function isActive(p: PollerState): boolean {
  return p.phase !== 'idle';
}

export function isDue(p: PollerState, now: number): boolean {
  return p.phase !== 'idle' && now >= p.dueAt;
}

/**
 * The `after=` this poller asks the generator for: past every tick it has seen, and at least
 * one poll period after the last one it emitted (minus 1 ms). The generator holds such a
 * request until its next tick commits and answers at that moment: the loop's phase is the
 * generator's, whatever moment the loop started at.
 */
export function wantedAfter(p: PollerState, timing: PollerTiming): number {
  const period = p.lastEmittedTick === NO_TICK ? 0 : p.lastEmittedTick + timing.pollIntervalMs - 1;
  return Math.max(0, p.seenTick, period);
}

/**
 * How long a request for `after=` may take: a long poll (asking past the newest tick known) may
 * legitimately be held for a period; one for a tick already committed is answered at once.
 */
export function requestTimeoutMs(
  after: number,
  newestTick: number,
  timing: PollerTiming,
  generatorTimeoutMs: number,
): number {
  return after >= newestTick ? timing.pollIntervalMs + generatorTimeoutMs : generatorTimeoutMs;
}

export interface TickOutcome {
  state: PollerState;
  /** Whether the room gets this tick's sample (false: already emitted, or none in the answer). */
  emit: boolean;
}

/**
 * The generator answered with committed tick `tick`; `hasSample` says whether this poller's
 * server was in the answer. A tick not newer than the last emitted one is never emitted again,
 * nor one less than a poll period after it (when the generator ticks faster than
 * `POLL_INTERVAL_MS`). The next long poll is due at once: the generator holds it until the next
 * tick commits.
 */
export function onTick(
  p: PollerState,
  tick: number,
  hasSample: boolean,
  now: number,
  timing: PollerTiming,
): TickOutcome {
  if (p.phase === 'idle') return { state: p, emit: false };
  const seenTick = Math.max(p.seenTick, tick);
  if (tick <= p.lastEmittedTick) {
    // Answered with a tick we have (a request shared with a poller that lagged).
    const dueAt = Math.max(p.dueAt, now + timing.coalesceMs);
    return { state: polled(p, seenTick, p.lastEmittedTick, dueAt), emit: false };
  }
  const early = p.lastEmittedTick !== NO_TICK && tick < p.lastEmittedTick + timing.pollIntervalMs;
  if (!hasSample || early) {
    // No sample of ours in this tick (server just removed), or too soon: wait for a later tick.
    return { state: polled(p, seenTick, p.lastEmittedTick, now), emit: false };
  }
  return { state: polled(p, seenTick, tick, now), emit: true };
}

/**
 * A polling state after an answer, spelled field by field: `onTick` runs once per watched server
 * per tick, and one object literal costs a fraction of two spreads.
 */
function polled(
  p: PollerState,
  seenTick: number,
  lastEmittedTick: number,
  dueAt: number,
): PollerState {
  return {
    id: p.id,
    phase: 'polling',
    subscribers: p.subscribers,
    lastEmittedTick,
    seenTick,
    dueAt,
    failures: 0,
  };
}

export function onNoTick(p: PollerState, retryAt: number): PollerState {
  if (p.phase === 'idle') return p;
  return { ...p, phase: 'polling', failures: 0, dueAt: retryAt };
}

/** The request failed or timed out: back off for `delayMs` (from `backoffDelay`). */
export function onFailure(p: PollerState, now: number, delayMs: number): PollerState {
  if (p.phase === 'idle') return p;
  return { ...p, phase: 'backoff', failures: p.failures + 1, dueAt: now + delayMs };
}

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

/** Retry quickly: a restarted generator is polled again within half a second. */
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 100, maxMs: 500 };

/**
 * Exponential backoff with "equal jitter": half the step fixed, half random, so pollers and
 * broadcaster replicas that failed together do not retry in lockstep. `failures` counts the
 * failure being handled (1 for the first); `random` is in [0, 1).
 */
export function backoffDelay(
  failures: number,
  random: number,
  { baseMs, maxMs }: BackoffOptions = DEFAULT_BACKOFF,
): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(step / 2 + (step / 2) * random);
}
