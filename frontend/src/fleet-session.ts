/**
 * Feeds the fleet model from the socket: the `servers` list and the binary `fleet` frames.
 * The fleet room is joined only while the overview is on screen in a visible tab, and joined
 * again after every reconnect.
 */
import { decodeFleetFrame, type FleetFramePayload } from '@metrics/protocol';
import type { DashboardSocket } from './dashboard-socket.js';
import type { FleetModel } from './fleet-model.js';
import { measure } from './perf.js';
import type { ServerClock } from './server-clock.js';

export interface FleetSession {
  readonly active: boolean;
  /** Frames or server lists that could not be decoded: counted, never shown. */
  readonly rejected: number;
  setActive(active: boolean): void;
  close(): void;
}

export interface FleetSessionOptions {
  socket: DashboardSocket;
  model: FleetModel;
  clock: ServerClock;
  /** Local time, for staleness (the model compares it with when frames arrived). */
  now: () => number;
  onChange: () => void;
  /**
   * How long a page that has joined the fleet but has no values yet holds a new `servers` list
   * back for the join frame (default 250 ms): drawing every server empty first and then again
   * with values costs a 100,000-server page about 100 ms before its first values.
   */
  firstFrameWaitMs?: number;
}

export function createFleetSession(options: FleetSessionOptions): FleetSession {
  const { socket, model, clock, now, onChange } = options;
  const firstFrameWaitMs = options.firstFrameWaitMs ?? 250;
  let active = false;
  let joined = false;
  let rejected = 0;
  let held: ReturnType<typeof setTimeout> | undefined;
  const release = () => {
    if (held === undefined) return;
    clearTimeout(held);
    held = undefined;
    onChange();
  };

  const join = async () => {
    if (!active || !socket.connected) return;
    const ack = await socket.fleetSubscribe();
    joined = ack.ok;
    // Left again while the ack was in flight.
    if (!active && joined) void leave();
  };
  const leave = async () => {
    if (!joined || !socket.connected) return;
    joined = false;
    await socket.fleetUnsubscribe();
  };

  const offs = [
    socket.on('servers', (payload) => {
      clock.observe(payload.timestamp);
      try {
        model.setServers(payload);
      } catch {
        // A list that does not decode (count mismatch, oversized range) is never shown.
        rejected++;
        return;
      }
      if (active && socket.connected && Number.isNaN(model.tick) && firstFrameWaitMs > 0) {
        // The join frame is on its way (joined at connect): draw the list once, with values.
        if (held === undefined) held = setTimeout(release, firstFrameWaitMs);
        return;
      }
      if (held !== undefined) release();
      else onChange();
    }),
    socket.on('fleet', (payload: FleetFramePayload) => {
      if (!active) return;
      const started = performance.now();
      let frame;
      try {
        frame = decodeFleetFrame(payload);
      } catch {
        rejected++;
        return;
      }
      const applied = model.applyFrame(frame, now()) === 'applied';
      // Read by the frontend benchmark: what one frame costs before rendering.
      measure('fleet:apply', started);
      if (!applied) return;
      if (held !== undefined) release();
      else onChange();
    }),
    socket.on('connect', () => {
      joined = false;
      void join();
    }),
    socket.on('disconnect', () => {
      joined = false;
      release();
    }),
  ];

  return {
    get active() {
      return active;
    },
    get rejected() {
      return rejected;
    },
    setActive(next) {
      if (next === active) return;
      active = next;
      if (!active) release();
      void (active ? join() : leave());
    },
    close() {
      if (held !== undefined) clearTimeout(held);
      held = undefined;
      active = false;
      void leave();
      for (const off of offs) off();
    },
  };
}
