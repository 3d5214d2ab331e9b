import { describe, expect, it, vi } from 'vitest';
import type { Sample } from '@metrics/protocol';
import { createDetailSession } from '../src/detail-session.js';
import { createServerClock } from '../src/server-clock.js';
import { createFakeSocket, flush, sampleAt } from './fake-socket.js';

const T0 = Date.UTC(2026, 10, 22, 5, 0, 0);
const ID = 'server-3';

/** A generator that recorded one sample per second of `seconds` (relative to T0). */
const recorded = (from: number, to: number, id = ID): Sample[] =>
  Array.from({ length: to - from + 1 }, (_, k) => sampleAt(id, T0 + (from + k) * 1000));

function setup(startSecond = 300.05) {
  let local = T0 + startSecond * 1000;
  const clock = createServerClock(() => local);
  const socket = createFakeSocket();
  let changes = 0;
  const open = () =>
    createDetailSession({ socket, serverId: ID, clock, onChange: () => changes++ });
  return {
    socket,
    clock,
    open,
    setSecond: (s: number) => (local = T0 + s * 1000),
    changes: () => changes,
    live: (s: number, id = ID) => {
      const sample = sampleAt(id, T0 + s * 1000);
      socket.store.push(sample);
      socket.serverEmit('metrics', { data: [sample], timestamp: T0 + s * 1000 + 15 });
    },
  };
}

/** Seconds (relative to T0) held by the session's buffer. */
const held = (session: ReturnType<ReturnType<typeof setup>['open']>) =>
  session.buffer.points.map((p) => (p.t - T0) / 1000);
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, k) => from + k);

describe('detail session', () => {
  it('subscribes, then fills the last five minutes from history', async () => {
    const t = setup();
    t.socket.store.push(...recorded(-100, 300));
    const s = t.open();
    await flush();
    expect(t.socket.requests[0]).toEqual({ event: 'subscribe', serverIds: [ID] });
    expect(t.socket.requests[1]).toEqual({
      event: 'history',
      request: { serverIds: [ID], from: T0 + 50, limit: 305 },
    });
    expect(s.status).toBe('ready');
    expect(held(s)).toEqual(range(1, 300));
    expect(t.changes()).toBeGreaterThan(0);
  });

  it('asks history in whole milliseconds even when the clock reading is fractional', async () => {
    const t = setup(300.0504321);
    t.socket.store.push(...recorded(0, 300));
    const s = t.open();
    await flush();
    const req = t.socket.requests.find((r) => r.event === 'history');
    expect(req).toMatchObject({ request: { from: T0 + 50 } });
    expect(s.status).toBe('ready');
    expect(held(s)).toHaveLength(300);
  });

  it('appends live samples of its server only, each second once', async () => {
    const t = setup();
    t.socket.store.push(...recorded(0, 300));
    const s = t.open();
    await flush();
    t.live(301);
    t.live(301);
    t.live(301, 'server-4');
    t.setSecond(302.05);
    t.live(302);
    await flush();
    expect(held(s).slice(-3)).toEqual([300, 301, 302]);
    expect(s.backfills).toBe(0);
  });

  it('after a reconnect, resubscribes and backfills the gap so no second is missing', async () => {
    const t = setup();
    t.socket.store.push(...recorded(0, 300));
    const s = t.open();
    await flush();
    t.live(301);
    t.socket.drop('transport close');
    // The generator keeps recording while the page is cut off.
    t.socket.store.push(...recorded(302, 320));
    t.setSecond(321.05);
    // On subscribe the broadcaster sends the latest sample at once, before history answers.
    t.socket.subscribeHandler = (ids) => {
      t.live(321);
      return { ok: true, subscribed: ids, unknown: [] };
    };
    t.socket.connect();
    await flush();
    await flush();
    const requests = t.socket.requests.filter((r) => r.event !== 'history' || true);
    expect(requests.filter((r) => r.event === 'subscribe')).toHaveLength(2);
    const resume = t.socket.requests.filter((r) => r.event === 'history')[1];
    expect(resume).toMatchObject({ request: { from: T0 + 301_001 } });
    expect(held(s)).toEqual(range(21, 321));
    expect(s.buffer.gaps()).toEqual([]);
  });

  it('fetches a tick that never arrived live from history', async () => {
    const t = setup();
    t.socket.store.push(...recorded(0, 300));
    const s = t.open();
    await flush();
    // 301 was recorded but its live delivery was lost.
    t.socket.store.push(sampleAt(ID, T0 + 301_000));
    t.setSecond(302.05);
    t.live(302);
    await flush();
    await flush();
    const last = t.socket.requests.at(-1);
    expect(last).toMatchObject({
      event: 'history',
      request: { from: T0 + 301_000, to: T0 + 301_000 },
    });
    expect(held(s).slice(-3)).toEqual([300, 301, 302]);
    expect(s.backfills).toBe(1);
  });

  it('asks again for a gap whose backfill was refused with retryAfterMs, after that delay', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const t = setup();
      t.socket.store.push(...recorded(0, 300));
      const s = t.open();
      await flush();
      t.socket.store.push(sampleAt(ID, T0 + 301_000));
      const real = t.socket.historyHandler;
      let refusals = 1;
      t.socket.historyHandler = (req) =>
        refusals-- > 0
          ? { ok: false, error: 'too many history requests', retryAfterMs: 700 }
          : real(req);
      t.setSecond(302.05);
      t.live(302);
      await flush();
      const gapRequests = () =>
        t.socket.requests.filter(
          (r) => r.event === 'history' && 'serverId' in r.request && r.request.to !== undefined,
        ).length;
      expect(gapRequests()).toBe(1);
      await vi.advanceTimersByTimeAsync(699);
      expect(gapRequests()).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(gapRequests()).toBe(2);
      expect(held(s).slice(-3)).toEqual([300, 301, 302]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('asks once for a gap the generator never recorded and leaves it visible', async () => {
    const t = setup();
    t.socket.store.push(...recorded(0, 290));
    const s = t.open();
    await flush();
    t.setSecond(300.05);
    t.live(300); // generator was down for 291..299
    await flush();
    t.setSecond(301.05);
    t.live(301);
    await flush();
    await flush();
    expect(s.backfills).toBe(1);
    expect(s.buffer.gaps()).toEqual([{ from: T0 + 291_000, to: T0 + 299_000, missing: 9 }]);
  });

  it('pauses while hidden (unsubscribes) and backfills when shown again', async () => {
    const t = setup();
    t.socket.store.push(...recorded(0, 300));
    const s = t.open();
    await flush();
    s.setActive(false);
    expect(t.socket.requests.at(-1)).toEqual({ event: 'unsubscribe', serverIds: [ID] });
    t.socket.store.push(...recorded(301, 360));
    t.setSecond(360.5);
    s.setActive(true);
    await flush();
    await flush();
    expect(t.socket.requests.filter((r) => r.event === 'subscribe')).toHaveLength(2);
    expect(held(s)).toEqual(range(60, 360));
  });

  it('unsubscribes and stops listening when closed', async () => {
    const t = setup();
    const s = t.open();
    await flush();
    s.close();
    expect(t.socket.requests.at(-1)).toEqual({ event: 'unsubscribe', serverIds: [ID] });
    expect(t.socket.listenerCount('metrics')).toBe(0);
    expect(t.socket.listenerCount('connect')).toBe(0);
    t.live(301);
    expect(s.buffer.points).toHaveLength(0);
  });

  it('unsubscribes when left while the subscribe ack was still in flight', async () => {
    const t = setup();
    let answer!: () => void;
    t.socket.subscribeHandler = (ids) =>
      new Promise((resolve) => {
        answer = () => resolve({ ok: true, subscribed: ids, unknown: [] });
      });
    const s = t.open();
    await flush();
    s.close();
    answer();
    await flush();
    expect(t.socket.requests.map((r) => r.event)).toEqual(['subscribe', 'unsubscribe']);
  });

  it('reports an unknown server, and loads it once the broadcaster discovers it', async () => {
    const t = setup();
    t.socket.subscribeHandler = (ids) => ({ ok: true, subscribed: [], unknown: ids });
    const s = t.open();
    await flush();
    expect(s.status).toBe('unknown-server');
    t.socket.store.push(...recorded(250, 300));
    t.socket.subscribeHandler = (ids) => ({ ok: true, subscribed: ids, unknown: [] });
    t.socket.serverEmit('servers', { servers: [{ id: ID }], version: 2, timestamp: T0 });
    await flush();
    await flush();
    expect(s.status).toBe('ready');
    expect(held(s)).toEqual(range(250, 300));
  });

  it('shows an error when the fill fails, and retries it with a growing delay', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const t = setup();
      t.socket.store.push(...recorded(0, 300));
      let failures = 2;
      const real = t.socket.historyHandler;
      t.socket.historyHandler = (req) =>
        failures-- > 0 ? { ok: false, error: 'generator unavailable' } : real(req);
      const s = t.open();
      await flush();
      expect(s.status).toBe('error');
      expect(s.error).toBe('generator unavailable');
      const histories = () => t.socket.requests.filter((r) => r.event === 'history').length;
      await vi.advanceTimersByTimeAsync(999);
      expect(histories()).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(histories()).toBe(2);
      await vi.advanceTimersByTimeAsync(1999);
      expect(histories()).toBe(2);
      await vi.advanceTimersByTimeAsync(1);
      expect(histories()).toBe(3);
      expect(s.status).toBe('ready');
      expect(held(s)).toEqual(range(1, 300));
      await vi.advanceTimersByTimeAsync(60_000);
      expect(histories()).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('waits for a connection instead of sending while offline', async () => {
    const t = setup();
    t.socket.drop();
    const s = t.open();
    await flush();
    expect(t.socket.requests).toEqual([]);
    t.socket.store.push(...recorded(0, 300));
    t.socket.connect();
    await flush();
    await flush();
    expect(s.status).toBe('ready');
  });
});
