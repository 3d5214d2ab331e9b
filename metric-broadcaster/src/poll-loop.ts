import type { Logger } from 'pino';
import { asGeneratorError, type GeneratorClient, type GeneratorError } from './generator-client.js';
import type { LatestTick, RawSample } from './latest-body.js';
import {
  backoffDelay,
  createPoller,
  isActive,
  onFailure,
  onNoTick,
  onTick,
  requestTimeoutMs,
  withSubscribers,
  type BackoffOptions,
  type PollerState,
  type PollerTiming,
} from './poller.js';
import {
  DEFAULT_PLAN_LIMITS,
  planCompletion,
  planRequest,
  wantsAll,
  type PlanLimits,
} from './tick-plan.js';
import { createRequestDriver } from './request-driver.js';

export interface PollLoopOptions {
  client: GeneratorClient;
  timing: PollerTiming;
  /** Extra time a request may take beyond the wait the long poll expects. */
  generatorTimeoutMs: number;
  log: Logger;
  /** Members of a server's room right now (room size decides: no member, no polling). */
  subscribersOf(serverId: string): number;
  /**
   * A tick's samples whose room gets them now: their poller emitted (each at most once, ever).
   * Called once per answered tick that has any.
   */
  onTick(tick: number, emitted: RawSample[]): void;
  /** Every finished request reports whether the generator answered. */
  onGenerator(ok: boolean, error?: GeneratorError): void;
  /** Newest tick known from elsewhere (the fleet poll): a new subscriber's polling starts after it. */
  newestTick?: () => number;
  random?: () => number;
  backoff?: BackoffOptions;
  planLimits?: PlanLimits;
}

export interface PollLoop {
  /** Discovery's server list: a poller per id, created and dropped as ids come and go. */
  setServers(ids: readonly string[]): void;
  /** A server room's membership changed. */
  refresh(serverId: string): void;
  /**
   * The newest sample known for `serverId` if it belongs to the newest tick the loop has seen
   * and that tick is recent (less than one poll period old); else `undefined`.
   */
  freshSample(serverId: string): RawSample | undefined;
  /** Stores samples fetched outside the loop (subscribe's immediate fetch). */
  remember(samples: readonly RawSample[]): void;
  readonly currentTick: number;
  activePollers(): number;
  poller(key: string): PollerState | undefined;
  /** Stops scheduling; an answer still in flight is dropped. */
  close(): void;
}

/**
 * The watched servers' tick loop: runs the pollers' plan against the generator, at most one
 * `GET /v1/latest?ids=` in flight, for the watched ids only. Each answer arrives the moment the
 * generator commits a tick (long poll with `after=`), so the loop's phase is the generator's.
 * With no active poller it sends nothing.
 */
export function createPollLoop(opts: PollLoopOptions): PollLoop {
  const { client, timing, log } = opts;
  const random = opts.random ?? Math.random;
  const pollers = new Map<string, PollerState>();
  const latest = new Map<string, RawSample>();
  let knownServers = 0;
  let currentTick = -1;
  let lastAnswerAt = -Infinity;

  function update(key: string): void {
    const p = pollers.get(key);
    if (!p) return;
    const now = Date.now();
    const known = Math.max(currentTick, opts.newestTick?.() ?? -1);
    pollers.set(key, withSubscribers(p, opts.subscribersOf(key), known, now));
  }

  /** Every room change of this turn lands in the same request. */
  const driver = createRequestDriver((now) => {
    const plan = planRequest({
      pollers: pollers.values(),
      now,
      timing,
      knownServers,
      ...(opts.planLimits ? { limits: opts.planLimits } : {}),
    });
    if (plan.kind !== 'request') return plan;
    return { kind: 'send', send: () => execute(plan.all, plan.ids, plan.pollers, plan.after) };
  });

  async function execute(
    all: boolean,
    ids: string[],
    keys: string[],
    after: number,
  ): Promise<void> {
    const started = Date.now();
    const timeoutMs = requestTimeoutMs(after, currentTick, timing, opts.generatorTimeoutMs);
    let answer: LatestTick | 'no-tick';
    try {
      answer = await client.latest({ ...(all ? {} : { ids }), after, timeoutMs });
    } catch (err) {
      if (driver.closed) return;
      fail(keys, err);
      return;
    }
    if (driver.closed) return;
    opts.onGenerator(true);
    if (answer === 'no-tick') {
      const retryAt = Math.max(Date.now(), started + timing.coalesceMs);
      for (const key of keys) {
        const p = pollers.get(key);
        if (p) pollers.set(key, onNoTick(p, retryAt));
      }
      return;
    }

    const emitted: RawSample[] = [];
    apply(answer, keys, emitted);

    const lagging = planCompletion(pollers.values(), answer.tick, all ? 'all' : new Set(keys));
    if (lagging.length) {
      // Pollers that joined while the long poll was held: fetch their sample of this tick now
      // (answered at once), so every client still gets this tick in one `metrics` event.
      const lagAll = wantsAll(lagging, lagging.length, 0, opts.planLimits ?? DEFAULT_PLAN_LIMITS);
      try {
        const extra = await client.latest({
          ...(lagAll ? {} : { ids: lagging }),
          after: answer.tick - 1,
          timeoutMs: opts.generatorTimeoutMs,
        });
        if (driver.closed) return;
        if (extra !== 'no-tick') apply(extra, lagging, emitted);
      } catch (err) {
        if (driver.closed) return;
        fail(lagging, err);
      }
    }
    if (emitted.length) opts.onTick(answer.tick, emitted);
  }

  /** Feeds an answer to the pollers it covers; their emitted samples go to `emitted`. */
  function apply(answer: LatestTick, keys: string[], emitted: RawSample[]): void {
    const now = Date.now();
    lastAnswerAt = now;
    if (answer.tick > currentTick) currentTick = answer.tick;
    const byId = new Map<string, RawSample>();
    for (const s of answer.samples) {
      byId.set(s.serverId, s);
      const known = latest.get(s.serverId);
      if (!known || known.tick < s.tick) latest.set(s.serverId, s);
    }
    for (const key of keys) {
      const p = pollers.get(key);
      if (!p || !isActive(p)) continue;
      const sample = byId.get(key);
      const out = onTick(p, sample?.tick ?? answer.tick, sample !== undefined, now, timing);
      pollers.set(key, out.state);
      if (out.emit && sample) emitted.push(sample);
    }
  }

  function fail(keys: string[], err: unknown): void {
    const error = asGeneratorError(err);
    let failures = 0;
    for (const key of keys) failures = Math.max(failures, pollers.get(key)?.failures ?? 0);
    // One jitter draw for the whole batch keeps its pollers together in the next request.
    const delay = backoffDelay(failures + 1, random(), opts.backoff);
    const now = Date.now();
    for (const key of keys) {
      const p = pollers.get(key);
      if (p) pollers.set(key, onFailure(p, now, delay));
    }
    log.warn({ err: error.message, kind: error.kind, retryInMs: delay }, 'generator poll failed');
    opts.onGenerator(false, error);
  }

  return {
    setServers(ids) {
      const next = new Set(ids);
      for (const key of [...pollers.keys()]) {
        if (!next.has(key)) {
          pollers.delete(key);
          latest.delete(key);
        }
      }
      for (const id of ids) {
        if (!pollers.has(id)) {
          pollers.set(id, createPoller(id));
          update(id);
        }
      }
      knownServers = ids.length;
      driver.soon();
    },
    refresh(key) {
      update(key);
      driver.soon();
    },
    freshSample(serverId) {
      const s = latest.get(serverId);
      if (!s || s.tick < currentTick) return undefined;
      return Date.now() - lastAnswerAt <= timing.pollIntervalMs ? s : undefined;
    },
    remember(samples) {
      for (const s of samples) {
        if (!pollers.has(s.serverId)) continue;
        const known = latest.get(s.serverId);
        if (!known || known.tick < s.tick) latest.set(s.serverId, s);
      }
    },
    get currentTick() {
      return currentTick;
    },
    activePollers() {
      let n = 0;
      for (const p of pollers.values()) if (isActive(p)) n++;
      return n;
    },
    poller(key) {
      return pollers.get(key);
    },
    close: () => driver.close(),
  };
}
