import { onNextTurn } from './next-turn.js';

/** What a tick loop's plan says to do now. */
export type NextRequest =
  { kind: 'idle' } | { kind: 'wait'; until: number } | { kind: 'send'; send: () => Promise<void> };

export interface RequestDriver {
  /** Plans again on the next turn of the event loop: a burst of room changes is one decision. */
  soon(): void;
  readonly closed: boolean;
  /** Stops scheduling; a request in flight runs to its end, but nothing follows it. */
  close(): void;
}

/**
 * Carries out a tick loop's plan (both `poll-loop.ts` and `fleet-poll.ts`): at most one request
 * in flight, a timer while the plan says wait, and a new plan whenever a request ends or the
 * rooms change. `plan(now)` is asked only while no request is in flight.
 */
export function createRequestDriver(plan: (now: number) => NextRequest): RequestDriver {
  let inFlight = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  function schedule(): void {
    if (closed || inFlight) return;
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    const now = Date.now();
    const next = plan(now);
    if (next.kind === 'idle') return;
    if (next.kind === 'wait') {
      timer = setTimeout(schedule, next.until - now);
      return;
    }
    inFlight = true;
    void next.send().finally(() => {
      inFlight = false;
      schedule();
    });
  }

  return {
    soon: onNextTurn(schedule, () => closed),
    get closed() {
      return closed;
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
