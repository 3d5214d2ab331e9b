import { describe, expect, it } from 'vitest';
import { createFleetFrame, setFleetValues, type FleetFramePayload } from '@metrics/protocol';
import { createFleetModel } from '../src/fleet-model.js';
import { createFleetSession } from '../src/fleet-session.js';
import { createServerClock } from '../src/server-clock.js';
import { createFakeSocket, flush } from './fake-socket.js';

const T0 = Date.UTC(2026, 10, 22, 5, 0, 0);

/** A frame as the browser receives it: the generator's frame as an ArrayBuffer. */
function wireFrame(tick: number, cpu: number[], version = 1): FleetFramePayload {
  const f = createFleetFrame({ tick, version, count: cpu.length });
  cpu.forEach((c, i) => setFleetValues(f.values, cpu.length, i, c, 50, 40));
  return { tick, version, count: cpu.length, frame: f.bytes.buffer as ArrayBuffer };
}

function setup(firstFrameWaitMs?: number) {
  const socket = createFakeSocket();
  const model = createFleetModel();
  let changes = 0;
  const session = createFleetSession({
    socket,
    model,
    clock: createServerClock(() => T0),
    now: () => T0 + 20,
    onChange: () => changes++,
    firstFrameWaitMs,
  });
  const list = (version = 1) =>
    socket.serverEmit('servers', {
      servers: [{ prefix: 'server-', from: 1, to: 2 }],
      count: 2,
      version,
      timestamp: T0,
    });
  return { socket, model, session, list, changes: () => changes };
}

/** A session whose list arrived before it was active (drawn at once). */
function listed() {
  const t = setup();
  t.list();
  return t;
}

describe('fleet session', () => {
  it('joins the fleet room only while active, and leaves it when inactive', async () => {
    const t = listed();
    await flush();
    expect(t.socket.requests).toEqual([]);
    t.session.setActive(true);
    await flush();
    t.session.setActive(false);
    await flush();
    expect(t.socket.requests.map((r) => r.event)).toEqual(['fleet:subscribe', 'fleet:unsubscribe']);
  });

  it('joins again after every reconnect', async () => {
    const t = listed();
    t.session.setActive(true);
    await flush();
    t.socket.drop();
    t.socket.connect();
    await flush();
    expect(t.socket.requests.map((r) => r.event)).toEqual(['fleet:subscribe', 'fleet:subscribe']);
  });

  it('decodes binary frames into the model', async () => {
    const t = listed();
    t.session.setActive(true);
    await flush();
    t.socket.serverEmit('fleet', wireFrame(T0, [12.5, 99]));
    expect(t.model.tick).toBe(T0);
    expect(t.model.values.cpuPct[1]).toBeCloseTo(99, 5);
    expect(t.model.receivedAt).toBe(T0 + 20);
    expect(t.changes()).toBe(2); // servers + frame
  });

  it('ignores frames while inactive and counts undecodable ones', async () => {
    const t = listed();
    t.socket.serverEmit('fleet', wireFrame(T0, [1, 2]));
    expect(t.model.tick).toBeNaN();
    t.session.setActive(true);
    t.socket.serverEmit('fleet', { tick: T0, version: 1, count: 2, frame: new ArrayBuffer(5) });
    expect(t.session.rejected).toBe(1);
    t.socket.serverEmit('servers', { servers: [{ id: 'a' }], count: 3, version: 9, timestamp: T0 });
    expect(t.session.rejected).toBe(2);
    expect(t.model.version).toBe(1);
    expect(t.model.tick).toBeNaN();
  });

  it('stops listening when closed', () => {
    const t = listed();
    t.session.setActive(true);
    t.session.close();
    expect(t.socket.listenerCount('fleet')).toBe(0);
    expect(t.socket.listenerCount('servers')).toBe(0);
  });
});

describe('fleet session: the first servers list of a joined page', () => {
  function joined(firstFrameWaitMs: number) {
    const t = setup(firstFrameWaitMs);
    t.session.setActive(true);
    return t;
  }

  it('is drawn once, with the join frame, when the frame follows at once', async () => {
    const t = joined(10_000);
    await flush();
    t.list(1);
    expect(t.model.count).toBe(2);
    expect(t.changes()).toBe(0);
    t.socket.serverEmit('fleet', wireFrame(T0, [12.5, 99]));
    expect(t.changes()).toBe(1);
    // Later lists (a real server came or went) are drawn at once.
    t.list(2);
    expect(t.changes()).toBe(2);
    t.session.close();
  });

  it('is drawn without values when no frame comes in time', async () => {
    const t = joined(20);
    await flush();
    t.list(1);
    expect(t.changes()).toBe(0);
    await new Promise((r) => setTimeout(r, 40));
    expect(t.changes()).toBe(1);
    t.socket.serverEmit('fleet', wireFrame(T0, [1, 2]));
    expect(t.changes()).toBe(2);
    t.session.close();
  });

  it('is drawn at once when the connection drops or the overview is left meanwhile', async () => {
    const t = joined(10_000);
    await flush();
    t.list(1);
    t.socket.drop();
    expect(t.changes()).toBe(1);
    t.socket.connect();
    await flush();
    t.list(1);
    expect(t.changes()).toBe(1);
    t.session.setActive(false);
    expect(t.changes()).toBe(2);
    t.session.close();
  });
});
