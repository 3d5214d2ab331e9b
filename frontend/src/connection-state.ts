/**
 * What the connection indicator says, as a pure reducer over socket and data events with an
 * explicit `now`. The indicator never claims "live" unless the socket is connected, the
 * generator is up and data is actually arriving.
 */
import type { GeneratorStatus } from '@metrics/protocol';
import { formatAge } from './format.js';

export type SocketPhase = 'connecting' | 'connected' | 'reconnecting';

export interface ConnectionState {
  phase: SocketPhase;
  generator: GeneratorStatus | 'unknown';
  /** Reconnection attempt in progress (1-based), 0 when none. */
  attempt: number;
  /** Local time of the latest data (fleet frame or metrics), NaN before any. */
  lastDataAt: number;
  /** Local time the phase last changed. */
  phaseSince: number;
  /** Browser reports no network (`navigator.onLine`). */
  browserOffline: boolean;
  lastError: string | undefined;
}

export type ConnectionEvent =
  | { type: 'connect' }
  | { type: 'disconnect'; reason: string }
  | { type: 'reconnect-attempt'; attempt: number }
  | { type: 'connect-error'; message: string }
  | { type: 'status'; generator: GeneratorStatus }
  | { type: 'data' }
  | { type: 'browser-offline' }
  | { type: 'browser-online' };

export function initialConnection(now: number): ConnectionState {
  return {
    phase: 'connecting',
    generator: 'unknown',
    attempt: 0,
    lastDataAt: NaN,
    phaseSince: now,
    browserOffline: false,
    lastError: undefined,
  };
}

export function reduceConnection(
  state: ConnectionState,
  event: ConnectionEvent,
  now: number,
): ConnectionState {
  switch (event.type) {
    case 'connect':
      return { ...state, phase: 'connected', attempt: 0, phaseSince: now, lastError: undefined };
    case 'disconnect':
      // The generator's status is unknown until the broadcaster says it again.
      return {
        ...state,
        phase: 'reconnecting',
        generator: 'unknown',
        phaseSince: now,
        lastError: event.reason,
      };
    case 'reconnect-attempt':
      return {
        ...state,
        phase: state.phase === 'connected' ? 'connected' : 'reconnecting',
        attempt: event.attempt,
      };
    case 'connect-error':
      return {
        ...state,
        phase: state.phase === 'connecting' && state.attempt === 0 ? 'connecting' : 'reconnecting',
        lastError: event.message,
      };
    case 'status':
      return { ...state, generator: event.generator };
    case 'data':
      return { ...state, lastDataAt: now };
    case 'browser-offline':
      return { ...state, browserOffline: true };
    case 'browser-online':
      return { ...state, browserOffline: false };
  }
}

export type IndicatorLevel =
  'connecting' | 'live' | 'stalled' | 'reconnecting' | 'down' | 'offline';

export interface Indicator {
  level: IndicatorLevel;
  label: string;
  /** Secondary text: age of the last update, attempt number, or what is wrong. */
  detail: string;
}

/** No data for this long while connected, generator up and subscribed, counts as stalled. */
export function stalledAfterMs(tickMs: number): number {
  return 3 * tickMs;
}

/**
 * @param expectingData whether a subscription that delivers every tick is active (a hidden tab
 *   or an empty page expects nothing, so silence is not a problem there).
 */
export function indicator(
  state: ConnectionState,
  now: number,
  tickMs: number,
  expectingData: boolean,
): Indicator {
  const age = now - state.lastDataAt;
  const updated = Number.isNaN(state.lastDataAt) ? 'no data yet' : `updated ${formatAge(age)} ago`;
  if (state.phase !== 'connected') {
    if (state.browserOffline) return { level: 'offline', label: 'Offline', detail: updated };
    if (state.phase === 'connecting') {
      return { level: 'connecting', label: 'Connecting…', detail: updated };
    }
    const attempt = state.attempt ? `attempt ${state.attempt}` : 'connection lost';
    return { level: 'reconnecting', label: 'Reconnecting…', detail: `${attempt} · ${updated}` };
  }
  if (state.generator === 'down') {
    return { level: 'down', label: 'Generator down', detail: `showing last data · ${updated}` };
  }
  if (
    expectingData &&
    !(age <= stalledAfterMs(tickMs)) &&
    now - state.phaseSince > stalledAfterMs(tickMs)
  ) {
    return { level: 'stalled', label: 'No new data', detail: updated };
  }
  return { level: 'live', label: 'Live', detail: updated };
}

/**
 * A socket that looks connected but has carried nothing for this long, while the generator is
 * up and a per-tick subscription is active, is a dead TCP path (a network drop the heartbeat
 * has not noticed yet): the caller reconnects at once instead of waiting for the ping timeout.
 */
export function shouldForceReconnect(
  state: ConnectionState,
  now: number,
  tickMs: number,
  expectingData: boolean,
): boolean {
  if (!expectingData || state.phase !== 'connected' || state.generator !== 'up') return false;
  const quietSince = Number.isNaN(state.lastDataAt)
    ? state.phaseSince
    : Math.max(state.lastDataAt, state.phaseSince);
  return now - quietSince > Math.max(10_000, 10 * tickMs);
}
