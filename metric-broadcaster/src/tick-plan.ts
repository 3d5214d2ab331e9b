import { LATEST_IDS_MAX_CHARS } from '@metrics/protocol';
import { isActive, wantedAfter, type PollerState, type PollerTiming } from './poller.js';

/**
 * Pure planning of the poll loop: which pollers share the next `GET /v1/latest` request, with
 * which `after=`, and when. Every poller that falls due within `coalesceWindowMs` of the
 * earliest one rides the same request, so the generator sees one request per tick however many
 * servers are watched. The fleet overview has its own request (`GET /v1/fleet`, fleet-poll.ts):
 * this plan asks for the watched servers only, and for every server only when more than half of
 * them are watched.
 */

export interface PlanLimits {
  /** Above this many ids the request asks for every server instead (no `ids=`). */
  maxIds: number;
  /** Above this many characters of `ids=` value the request asks for every server. */
  maxIdsChars: number;
}

/** Ids stay under the generator's request head limit (twice `LATEST_IDS_MAX_CHARS`). */
export const DEFAULT_PLAN_LIMITS: PlanLimits = {
  maxIds: 20_000,
  maxIdsChars: LATEST_IDS_MAX_CHARS,
};

export type Plan =
  | { kind: 'idle' }
  | { kind: 'wait'; until: number }
  | {
      kind: 'request';
      /** `true`: no `ids=`, the answer holds every server. */
      all: boolean;
      /** The server ids asked for (empty when `all`). */
      ids: string[];
      /** The pollers whose state the answer updates. */
      pollers: string[];
      after: number;
    };

export interface PlanInput {
  pollers: Iterable<PollerState>;
  now: number;
  timing: PollerTiming;
  /** Number of servers discovered: asking for more than half of them is asking for all. */
  knownServers: number;
  limits?: PlanLimits;
}

export function planRequest({
  pollers,
  now,
  timing,
  knownServers,
  limits = DEFAULT_PLAN_LIMITS,
}: PlanInput): Plan {
  const active: PollerState[] = [];
  let earliest = Infinity;
  for (const p of pollers) {
    if (!isActive(p)) continue;
    active.push(p);
    if (p.dueAt < earliest) earliest = p.dueAt;
  }
  if (!active.length) return { kind: 'idle' };
  if (earliest > now) return { kind: 'wait', until: earliest };

  const horizon = now + timing.coalesceMs;
  const batch = active.filter((p) => p.dueAt <= horizon);
  let after = Infinity;
  for (const p of batch) after = Math.min(after, wantedAfter(p, timing));

  const ids = batch.map((p) => p.id);
  const all = wantsAll(ids, active.length, knownServers, limits);
  if (all) {
    // The answer holds every server: every active poller takes its tick now.
    return { kind: 'request', all, ids: [], pollers: active.map((p) => p.id), after };
  }
  return { kind: 'request', all, ids, pollers: batch.map((p) => p.id), after };
}

/**
 * Whether a request for `ids` (out of `activeServers` watched) asks for every server instead:
 * past the id limits, or when more than half of the known servers are watched.
 */
export function wantsAll(
  ids: readonly string[],
  activeServers: number,
  knownServers: number,
  limits: PlanLimits = DEFAULT_PLAN_LIMITS,
): boolean {
  const n = Math.max(ids.length, activeServers);
  if (n > limits.maxIds) return true;
  if (knownServers > 0 && n * 2 > knownServers) return true;
  let chars = 0;
  for (const id of ids) chars += id.length + 1;
  return chars > limits.maxIdsChars;
}

/**
 * After an answer with tick `tick` that covered `covered` (or every server), the active pollers
 * it did not cover and that have not emitted `tick` yet: they joined while the request was in
 * flight. One immediate follow-up request (`after = tick - 1`) brings their sample of the same
 * tick, so each client still gets one `metrics` event for the tick.
 */
export function planCompletion(
  pollers: Iterable<PollerState>,
  tick: number,
  covered: ReadonlySet<string> | 'all',
): string[] {
  if (covered === 'all') return [];
  const lagging: string[] = [];
  for (const p of pollers) {
    if (!isActive(p) || covered.has(p.id) || p.lastEmittedTick >= tick) continue;
    lagging.push(p.id);
  }
  return lagging;
}
