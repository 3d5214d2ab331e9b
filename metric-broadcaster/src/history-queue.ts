/**
 * Admission of history requests (issue 14: bursts within limits are queued, not refused). Used
 * twice by history-service.ts: per socket (4 running, a short queue behind them) and for the
 * whole broadcaster towards the generator (a bounded number of generator reads at once).
 *
 *            admit                     admit                   admit
 *   running < maxRunning ──> run   running = max, waiting < maxWaiting ──> wait   else ──> refuse
 *   finish: running − 1, then the oldest waiting one (if any) runs: running + 1, waiting − 1
 *   leave:  a waiting one gives up (its socket closed): waiting − 1
 *
 * The state and its transitions are pure; `createGate` carries them out with promises.
 */

export interface QueueLimits {
  /** Requests that may run at once. */
  maxRunning: number;
  /** Requests that may wait behind them; more are refused. */
  maxWaiting: number;
}

export interface QueueState {
  running: number;
  waiting: number;
}

export type Admission = 'run' | 'wait' | 'refuse';

export const EMPTY_QUEUE: QueueState = Object.freeze({ running: 0, waiting: 0 });

/** Pure: what happens to one more request. */
export function admit(
  state: QueueState,
  limits: QueueLimits,
): { state: QueueState; admission: Admission } {
  if (state.running < limits.maxRunning && state.waiting === 0) {
    return { state: { ...state, running: state.running + 1 }, admission: 'run' };
  }
  if (state.waiting < limits.maxWaiting) {
    return { state: { ...state, waiting: state.waiting + 1 }, admission: 'wait' };
  }
  return { state, admission: 'refuse' };
}

/** Pure: a running request finished; `startNext` says whether the oldest waiting one runs now. */
export function finish(
  state: QueueState,
  limits: QueueLimits,
): { state: QueueState; startNext: boolean } {
  const running = Math.max(0, state.running - 1);
  if (state.waiting > 0 && running < limits.maxRunning) {
    return { state: { running: running + 1, waiting: state.waiting - 1 }, startNext: true };
  }
  return { state: { ...state, running }, startNext: false };
}

/** Pure: a waiting request left before it ran. */
export function leave(state: QueueState): QueueState {
  return { ...state, waiting: Math.max(0, state.waiting - 1) };
}

/** Bounds of the retry hint, so a client neither hammers nor gives up. */
export const RETRY_AFTER_MIN_MS = 250;
export const RETRY_AFTER_MAX_MS = 10_000;

/**
 * Pure: when a refused request should be sent again: once what is ahead of it has drained, at
 * `typicalMs` per request with `maxRunning` at a time (rounded up to 50 ms, within bounds).
 */
export function retryAfterMs(state: QueueState, limits: QueueLimits, typicalMs: number): number {
  const rounds = (state.running + state.waiting) / Math.max(1, limits.maxRunning);
  const ms = Math.ceil((rounds * Math.max(1, typicalMs)) / 50) * 50;
  return Math.min(RETRY_AFTER_MAX_MS, Math.max(RETRY_AFTER_MIN_MS, ms));
}

/** Thrown to a waiting request whose gate was closed (its socket disconnected). */
export class GateClosedError extends Error {
  override name = 'GateClosedError';
}

export interface Gate {
  readonly state: QueueState;
  readonly limits: QueueLimits;
  /**
   * Admits one request: resolves with its `release` once it may run (at once, or after the ones
   * ahead of it), or returns `undefined` at once when it is refused.
   */
  enter(): Promise<() => void> | undefined;
  /** Every waiting request is rejected with `GateClosedError`; running ones finish. */
  close(): void;
}

export function createGate(limits: QueueLimits): Gate {
  let state: QueueState = EMPTY_QUEUE;
  let closed = false;
  const waiting: Array<{ run: (release: () => void) => void; fail: (err: Error) => void }> = [];

  const releaser = () => {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = finish(state, limits);
      state = next.state;
      if (next.startNext) waiting.shift()!.run(releaser());
    };
  };

  return {
    get state() {
      return state;
    },
    limits,
    enter() {
      if (closed) return undefined;
      const next = admit(state, limits);
      if (next.admission === 'refuse') return undefined;
      state = next.state;
      if (next.admission === 'run') return Promise.resolve(releaser());
      return new Promise((run, fail) => waiting.push({ run, fail }));
    },
    close() {
      closed = true;
      for (const w of waiting.splice(0)) {
        state = leave(state);
        w.fail(new GateClosedError('closed'));
      }
    },
  };
}
