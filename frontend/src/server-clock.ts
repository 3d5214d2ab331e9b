/**
 * The broadcaster's clock as seen from the browser: every payload carries the time it was sent,
 * so `now()` stays right even when the viewer's clock is off by minutes (the chart's time axis
 * and the history window are in the server's time). Loopback latency is negligible at a
 * one-second resolution; over a WAN the error is half a round trip.
 */
export interface ServerClock {
  /** Epoch ms by the server's clock. */
  now(): number;
  /** Records a payload's send time (epoch ms) as it is received. */
  observe(sentAt: number): void;
  readonly offsetMs: number;
}

export function createServerClock(localNow: () => number = Date.now): ServerClock {
  let offset = 0;
  let known = false;
  return {
    now: () => localNow() + offset,
    observe(sentAt) {
      if (!Number.isFinite(sentAt) || sentAt <= 0) return;
      const sample = sentAt - localNow();
      // Smooth small jitter; jump at once to the first reading or a big change.
      offset =
        known && Math.abs(sample - offset) < 1000 ? offset + (sample - offset) * 0.2 : sample;
      known = true;
    },
    get offsetMs() {
      return offset;
    },
  };
}
