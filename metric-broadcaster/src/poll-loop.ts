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

/** A discovered server in the loop (mutable, owned by the loop; states themselves are immutable). */
interface Slot {
  state: PollerState;
  /** Its newest sample known (from an answer or a subscribe's fetch). */
  latest: RawSample | undefined;
  /** Its sample in the answer being applied, valid while `answerSeq` is that answer's. */
  answered: RawSample | undefined;
  answerSeq: number;
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
  /**
   * One slot per discovered server, holding its poller's state and its newest sample: an answer
   * for 2,600 watched servers costs two lookups per sample. `active` counts the pollers whose
   * room has members.
   */
  const slots = new Map<string, Slot>();
  const active = new Set<Slot>();
  let knownServers = 0;
  let currentTick = -1;
  let lastAnswerAt = -Infinity;
  /** Bumped by every answer applied: a slot's `answered` sample belongs to that answer only. */
  let answerSeq = 0;

  function put(slot: Slot, state: PollerState): void {
    slot.state = state;
    if (isActive(state)) active.add(slot);
    else active.delete(slot);
  }

  /** The active pollers in discovery's order (the order of the ids asked, of each event's samples). */
  function activeStates(): PollerState[] {
    const states: PollerState[] = [];
    if (!active.size) return states;
    for (const slot of slots.values()) if (isActive(slot.state)) states.push(slot.state);
    return states;
  }

  function update(key: string): void {
    const slot = slots.get(key);
    if (!slot) return;
    const now = Date.now();
    const known = Math.max(currentTick, opts.newestTick?.() ?? -1);
    put(slot, withSubscribers(slot.state, opts.subscribersOf(key), known, now));
  }

  function remembered(slot: Slot, s: RawSample): void {
    if (!slot.latest || slot.latest.tick < s.tick) slot.latest = s;
  }

  /** Every room change of this turn lands in the same request. */
  const driver = createRequestDriver((now) => {
    const plan = planRequest({
      pollers: activeStates(),
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
        const slot = slots.get(key);
        if (slot) put(slot, onNoTick(slot.state, retryAt));
      }
      return;
    }

    const emitted: RawSample[] = [];
    apply(answer, keys, emitted);

    const lagging = planCompletion(activeStates(), answer.tick, all ? 'all' : new Set(keys));
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
    const seq = ++answerSeq;
    for (const s of answer.samples) {
      const slot = slots.get(s.serverId);
      if (!slot) continue;
      remembered(slot, s);
      slot.answered = s;
      slot.answerSeq = seq;
    }
    for (const key of keys) {
      const slot = slots.get(key);
      if (!slot || !isActive(slot.state)) continue;
      const sample = slot.answerSeq === seq ? slot.answered : undefined;
      slot.answered = undefined;
      const out = onTick(
        slot.state,
        sample?.tick ?? answer.tick,
        sample !== undefined,
        now,
        timing,
      );
      slot.state = out.state; // polling stays polling: `active` is unchanged
      if (out.emit && sample) emitted.push(sample);
    }
  }

  function fail(keys: string[], err: unknown): void {
    const error = asGeneratorError(err);
    let failures = 0;
    for (const key of keys) failures = Math.max(failures, slots.get(key)?.state.failures ?? 0);
    // One jitter draw for the whole batch keeps its pollers together in the next request.
    const delay = backoffDelay(failures + 1, random(), opts.backoff);
    const now = Date.now();
    for (const key of keys) {
      const slot = slots.get(key);
      if (slot) put(slot, onFailure(slot.state, now, delay));
    }
    log.warn({ err: error.message, kind: error.kind, retryInMs: delay }, 'generator poll failed');
    opts.onGenerator(false, error);
  }

  return {
    setServers(ids) {
      const next = new Set(ids);
      for (const [key, slot] of slots) {
        if (!next.has(key)) {
          slots.delete(key);
          active.delete(slot);
        }
      }
      for (const id of ids) {
        if (!slots.has(id)) {
          slots.set(id, {
            state: createPoller(id),
            latest: undefined,
            answered: undefined,
            answerSeq: 0,
          });
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
      const s = slots.get(serverId)?.latest;
      if (!s || s.tick < currentTick) return undefined;
      return Date.now() - lastAnswerAt <= timing.pollIntervalMs ? s : undefined;
    },
    remember(samples) {
      for (const s of samples) {
        const slot = slots.get(s.serverId);
        if (slot) remembered(slot, s);
      }
    },
    get currentTick() {
      return currentTick;
    },
    activePollers: () => active.size,
    poller(key) {
      return slots.get(key)?.state;
    },
    close: () => driver.close(),
  };
}
