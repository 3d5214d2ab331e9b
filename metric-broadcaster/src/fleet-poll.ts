import type { Logger } from 'pino';
import {
  asGeneratorError,
  type FleetBytes,
  type GeneratorClient,
  type GeneratorError,
} from './generator-client.js';
import {
  backoffDelay,
  createPoller,
  isActive,
  onFailure,
  onNoTick,
  onTick,
  requestTimeoutMs,
  wantedAfter,
  withSubscribers,
  type BackoffOptions,
  type PollerState,
  type PollerTiming,
} from './poller.js';
import { createRequestDriver } from './request-driver.js';

/** The poller id of the fleet room. */
export const FLEET_POLLER = 'fleet';

export interface FleetPollOptions {
  client: Pick<GeneratorClient, 'fleet'>;
  timing: PollerTiming;
  /** Extra time a request may take beyond the wait the long poll expects. */
  generatorTimeoutMs: number;
  log: Logger;
  /** Members of the fleet room right now (no member, no polling). */
  members(): number;
  /**
   * Newest tick the broadcaster knows is committed (either loop's): a member that joins now got
   * it from the join frame, so polling starts after it.
   */
  newestTick(): number;
  /** A tick's frame for the fleet room, as the generator sent it (each tick at most once). */
  onFrame(frame: FleetBytes): void;
  /** Every finished request reports whether the generator answered. */
  onGenerator(ok: boolean, error?: GeneratorError): void;
  random?: () => number;
  backoff?: BackoffOptions;
}

export interface FleetPoll {
  /** The fleet room's membership changed. */
  refresh(): void;
  /** Newest tick a fleet answer brought (`-1` before the first). */
  readonly currentTick: number;
  state(): PollerState;
  /** Stops scheduling; an answer still in flight is dropped. */
  close(): void;
}

/**
 * The fleet room's tick loop: one `GET /v1/fleet?after=` long poll at a time while the room has
 * members, answered the moment the generator commits a tick (the same phase as the watched
 * servers' loop), driven by the same pure poller state machine (poller.ts). The frame is not
 * parsed here: its header was checked by the client, the routing forwards its bytes.
 */
export function createFleetPoll(opts: FleetPollOptions): FleetPoll {
  const { client, timing, log } = opts;
  const random = opts.random ?? Math.random;
  let state = createPoller(FLEET_POLLER);
  let currentTick = -1;

  const driver = createRequestDriver((now) => {
    if (!isActive(state)) return { kind: 'idle' };
    if (state.dueAt > now) return { kind: 'wait', until: state.dueAt };
    const after = wantedAfter(state, timing);
    return { kind: 'send', send: () => execute(after) };
  });

  async function execute(after: number): Promise<void> {
    const started = Date.now();
    const timeoutMs = requestTimeoutMs(after, currentTick, timing, opts.generatorTimeoutMs);
    let answer: FleetBytes | 'no-tick';
    try {
      answer = await client.fleet({ after, timeoutMs });
    } catch (err) {
      if (driver.closed) return;
      const error = asGeneratorError(err);
      const delay = backoffDelay(state.failures + 1, random(), opts.backoff);
      state = onFailure(state, Date.now(), delay);
      log.warn({ err: error.message, kind: error.kind, retryInMs: delay }, 'fleet poll failed');
      opts.onGenerator(false, error);
      return;
    }
    if (driver.closed) return;
    opts.onGenerator(true);
    if (answer === 'no-tick') {
      state = onNoTick(state, Math.max(Date.now(), started + timing.coalesceMs));
      return;
    }
    if (answer.tick > currentTick) currentTick = answer.tick;
    const out = onTick(state, answer.tick, true, Date.now(), timing);
    state = out.state;
    if (out.emit) opts.onFrame(answer);
  }

  return {
    refresh() {
      const known = Math.max(currentTick, opts.newestTick());
      state = withSubscribers(state, opts.members(), known, Date.now());
      driver.soon();
    },
    get currentTick() {
      return currentTick;
    },
    state: () => state,
    close: () => driver.close(),
  };
}
