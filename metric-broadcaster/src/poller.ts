/**
 * The poller of one serverId (or of the fleet overview) as a pure state machine: every
 * transition is a function of (state, input, now) and returns a new state. The poll loop
 * (`poll-loop.ts`) carries out what these decide; tests drive them with an explicit clock.
 *
 * ```
 *            subscribers > 0                    sample / no tick
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
  /** When the poller wants its next request sent (epoch ms, local clock). */
  readonly dueAt: number;
  /** Consecutive failed requests; sets the backoff delay. */
  readonly failures: number;
}

export interface PollerTiming {
  /** Period between samples the room should get (`POLL_INTERVAL_MS`). */
  pollIntervalMs: number;
  /**
   * How long before the next tick is expected the long poll is sent: the generator holds it
   * and answers the moment the tick commits, so the phase follows the generator's, not ours.
   */
  leadMs: number;
}

export const NO_TICK = -1;

/** The lead the broadcaster uses: a quarter of the poll period, at most 250 ms. */
export function defaultTiming(pollIntervalMs: number): PollerTiming {
  return { pollIntervalMs, leadMs: Math.min(250, Math.floor(pollIntervalMs / 4)) };
}

export function createPoller(id: string): PollerState {
  return { id, phase: 'idle', subscribers: 0, lastEmittedTick: NO_TICK, dueAt: 0, failures: 0 };
}

/**
 * The room's member count changed. An idle poller that gains members starts polling, due at
 * `alignedDueAt` (the loop's shared phase, so it joins the other pollers' request) and starting
 * after `currentTick`: the newest tick the loop knows is committed, which `subscribe` already
 * sent to the new member from the cache or a direct fetch. Losing every member makes it idle:
 * no watcher, no work.
 */
export function withSubscribers(
  p: PollerState,
  subscribers: number,
  currentTick: number,
  alignedDueAt: number,
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
    dueAt: alignedDueAt,
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
 * The `after=` this poller asks the generator for: the tick one poll period after the last
 * one it emitted, minus 1 ms, so an answer is never a tick it already has and, when the
 * generator ticks faster than `pollIntervalMs`, never an intermediate tick either.
 */
export function wantedAfter(p: PollerState, timing: PollerTiming): number {
  return p.lastEmittedTick === NO_TICK ? 0 : p.lastEmittedTick + timing.pollIntervalMs - 1;
}

export interface TickOutcome {
  state: PollerState;
  /** Whether the room gets this tick's sample (false: already emitted, or none in the answer). */
  emit: boolean;
}

/**
 * The generator answered with committed tick `tick`; `hasSample` says whether this poller's
 * server was in the answer. A tick not newer than the last emitted one is never emitted again.
 * The next request is due one period after this answer arrived, less the lead.
 */
export function onTick(
  p: PollerState,
  tick: number,
  hasSample: boolean,
  now: number,
  timing: PollerTiming,
): TickOutcome {
  if (p.phase === 'idle') return { state: p, emit: false };
  const next = now + timing.pollIntervalMs - timing.leadMs;
  if (tick <= p.lastEmittedTick) {
    // Answered with a tick we have (a request shared with a poller that lagged): keep the
    // schedule we had, the next long poll will wait for the tick we want.
    return { state: { ...p, phase: 'polling', failures: 0 }, emit: false };
  }
  if (!hasSample) {
    // The generator committed a tick without this server (it was just removed): poll on the
    // normal schedule until discovery drops the poller.
    return { state: { ...p, phase: 'polling', failures: 0, dueAt: next }, emit: false };
  }
  return {
    state: { ...p, phase: 'polling', failures: 0, lastEmittedTick: tick, dueAt: next },
    emit: true,
  };
}

/**
 * The long poll ended without a new tick (204: none committed within 2 × TICK_MS, or the
 * generator is shutting down). The generator is alive; ask again at `retryAt`.
 */
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
