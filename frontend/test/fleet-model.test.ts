import { describe, expect, it } from 'vitest';
import {
  compactServerList,
  createFleetFrame,
  decodeFleetBytes,
  setFleetValues,
  type FleetFrame,
  type ServersPayload,
} from '@metrics/protocol';
import { createFleetModel, type FleetQuery } from '../src/fleet-model.js';

const T0 = Date.UTC(2026, 10, 22, 5, 0, 0);

function servers(ids: string[], version = 1): ServersPayload {
  const servers = compactServerList(ids.map((id) => ({ id })));
  return { servers, count: ids.length, version, timestamp: T0 };
}

/** Encodes like the broadcaster does; `undefined` rows are servers missing from the tick. */
function frame(
  tick: number,
  rows: ([number, number, number] | undefined)[],
  version = 1,
): FleetFrame {
  const f = createFleetFrame({ tick, version, count: rows.length });
  rows.forEach((r, i) => r && setFleetValues(f.values, rows.length, i, ...r));
  return decodeFleetBytes(f.bytes);
}

const ids = (model: ReturnType<typeof createFleetModel>, view: Uint32Array) =>
  Array.from(view, (i) => model.ids[i]);

describe('fleet model', () => {
  it('applies a frame in the order of the servers list of the same version', () => {
    const m = createFleetModel();
    m.setServers(servers(['server-1', 'server-2']));
    expect(
      m.applyFrame(
        frame(T0, [
          [10, 20, 30],
          [40.25, 50, 60],
        ]),
        T0 + 20,
      ),
    ).toBe('applied');
    expect(m.values.cpuPct[m.indexOf('server-2')]).toBeCloseTo(40.25, 5);
    expect(m.values.diskPct[m.indexOf('server-1')]).toBeCloseTo(30, 5);
    expect(m.tick).toBe(T0);
  });

  it('holds a frame of an unknown version until its servers list arrives', () => {
    const m = createFleetModel();
    m.setServers(servers(['server-1'], 1));
    expect(
      m.applyFrame(
        frame(
          T0,
          [
            [1, 2, 3],
            [4, 5, 6],
          ],
          2,
        ),
        T0 + 5,
      ),
    ).toBe('pending');
    expect(m.tick).toBeNaN();
    m.setServers(servers(['server-1', 'server-2'], 2));
    expect(m.tick).toBe(T0);
    expect(m.values.cpuPct[1]).toBeCloseTo(4, 5);
    expect(m.receivedAt).toBe(T0 + 5);
  });

  it('ignores a frame that is not newer than the one shown', () => {
    const m = createFleetModel();
    m.setServers(servers(['server-1']));
    m.applyFrame(frame(T0 + 1000, [[50, 50, 50]]), T0 + 1010);
    expect(m.applyFrame(frame(T0, [[1, 1, 1]]), T0 + 1020)).toBe('old');
    expect(m.values.cpuPct[0]).toBeCloseTo(50, 5);
  });

  it('keeps each server’s values at its new position when the list changes', () => {
    const m = createFleetModel();
    m.setServers(servers(['server-1', 'server-2']));
    m.applyFrame(
      frame(T0, [
        [11, 0, 0],
        [22, 0, 0],
      ]),
      T0,
    );
    m.setServers(servers(['server-2', 'server-3'], 2));
    expect(m.values.cpuPct[m.indexOf('server-2')]).toBeCloseTo(22, 5);
    expect(m.values.cpuPct[m.indexOf('server-3')]).toBeNaN();
    expect(m.indexOf('server-1')).toBe(-1);
  });

  it('estimates the tick period from consecutive frames, ignoring skipped ticks', () => {
    const m = createFleetModel();
    m.setServers(servers(['server-1']));
    for (const t of [0, 500, 1500, 2000]) m.applyFrame(frame(T0 + t, [[1, 1, 1]]), T0 + t);
    expect(m.tickMs).toBe(500);
  });

  describe('staleness', () => {
    const m = createFleetModel();
    m.setServers(servers(['server-1', 'server-2']));
    m.applyFrame(
      frame(T0, [
        [1, 1, 1],
        [2, 2, 2],
      ]),
      T0 + 10,
    );
    m.applyFrame(frame(T0 + 1000, [[1, 1, 1], undefined]), T0 + 1010);

    it.each([
      { server: 0, now: T0 + 1010, stale: false, why: 'reported in the latest frame' },
      { server: 0, now: T0 + 4010, stale: false, why: 'exactly 3 ticks without a frame' },
      { server: 0, now: T0 + 4011, stale: true, why: 'more than 3 ticks without a frame' },
      { server: 1, now: T0 + 1010, stale: true, why: 'missing (NaN) in the latest frame' },
    ])('server $server at +$now is stale=$stale: $why', ({ server, now, stale }) => {
      expect(m.isStale(server, now)).toBe(stale);
    });

    it('keeps the last known value of a server missing from the frame', () => {
      expect(m.values.cpuPct[1]).toBeCloseTo(2, 5);
      expect(m.ageOf(1, T0 + 1510)).toBe(1500);
      expect(m.ageOf(0, T0 + 1510)).toBe(500);
    });

    it('treats a server that never reported as stale with infinite age', () => {
      const fresh = createFleetModel();
      fresh.setServers(servers(['server-1']));
      expect(fresh.isStale(0, T0)).toBe(true);
      expect(fresh.ageOf(0, T0)).toBe(Infinity);
    });
  });

  describe('view: filter and sort', () => {
    const m = createFleetModel();
    const list = ['server-1', 'server-2', 'server-10', 'server-11', 'host'];
    m.setServers(servers(list));
    m.applyFrame(frame(T0, [[50, 10, 90], [90, 20, 10], [50, 30, 20], undefined, [5, 95, 1]]), T0);
    const q = (over: Partial<FleetQuery>): FleetQuery => ({
      filter: '',
      sortKey: 'name',
      sortDir: 'asc',
      ...over,
    });

    it.each<[Partial<FleetQuery>, string[]]>([
      [{}, ['host', 'server-1', 'server-2', 'server-10', 'server-11']],
      [{ sortDir: 'desc' }, ['server-11', 'server-10', 'server-2', 'server-1', 'host']],
      // Equal CPU keeps name order; server-11 never reported and goes last either way.
      [
        { sortKey: 'cpuPct', sortDir: 'desc' },
        ['server-2', 'server-1', 'server-10', 'host', 'server-11'],
      ],
      [
        { sortKey: 'cpuPct', sortDir: 'asc' },
        ['host', 'server-1', 'server-10', 'server-2', 'server-11'],
      ],
      [
        { sortKey: 'memPct', sortDir: 'desc' },
        ['host', 'server-10', 'server-2', 'server-1', 'server-11'],
      ],
      [{ filter: 'SERVER-1' }, ['server-1', 'server-10', 'server-11']],
      [{ filter: '  Server-1 ' }, ['server-1', 'server-10', 'server-11']],
      [
        { filter: '1', sortKey: 'diskPct', sortDir: 'desc' },
        ['server-1', 'server-10', 'server-11'],
      ],
      [{ filter: 'nothing-matches' }, []],
    ])('%o → %o', (query, expected) => {
      expect(ids(m, m.view(q(query)))).toEqual(expected);
    });

    it('does not let a caller’s copy change the cached filter result', () => {
      const a = m.view(q({ filter: 'server' }));
      a.fill(0);
      expect(ids(m, m.view(q({ filter: 'server' })))).toHaveLength(4);
      expect(new Set(ids(m, m.view(q({ filter: 'server' }))))).toHaveProperty('size', 4);
    });
  });

  it('summarises the latest frame: averages, hottest and hot count over reporting servers', () => {
    const m = createFleetModel();
    m.setServers(servers(['server-1', 'server-2', 'server-3', 'server-4']));
    m.applyFrame(
      frame(T0, [
        [95, 10, 10],
        [20, 30, 40],
        [91, 50, 70],
        [99, 0, 0],
      ]),
      T0,
    );
    m.applyFrame(
      frame(T0 + 1000, [[95, 10, 10], [20, 30, 40], [91, 50, 70], undefined]),
      T0 + 1000,
    );
    const s = m.summary(T0 + 1200);
    expect(s).toMatchObject({ total: 4, reporting: 3, stale: 1, hot: 2 });
    expect(m.ids[s.hottest]).toBe('server-1');
    expect(s.avg.cpuPct).toBeCloseTo((95 + 20 + 91) / 3, 4);
    expect(s.avg.diskPct).toBeCloseTo(40, 4);
    // Nothing for more than 3 ticks: nobody counts as reporting.
    const late = m.summary(T0 + 5000);
    expect(late).toMatchObject({ reporting: 0, stale: 4, hottest: -1 });
    expect(late.avg.cpuPct).toBeNaN();
  });

  it('orders names naturally whether the list is one range or mixed entries', () => {
    const name = { filter: '', sortKey: 'name' as const, sortDir: 'asc' as const };
    const range = createFleetModel();
    range.setServers(servers(Array.from({ length: 12 }, (_, i) => `server-${i + 1}`)));
    expect(range.view(name).slice(0, 3)).toEqual(Uint32Array.from([0, 1, 2]));
    expect(ids(range, range.view(name)).slice(8)).toEqual([
      'server-9',
      'server-10',
      'server-11',
      'server-12',
    ]);
    // Real servers after the range, in no particular order: sorted by the collator.
    const mixed = createFleetModel();
    mixed.setServers(servers(['server-1', 'server-2', 'server-10', 'web-b', 'db-a', 'Server-3']));
    expect(ids(mixed, mixed.view(name))).toEqual([
      'db-a',
      'server-1',
      'server-2',
      'Server-3',
      'server-10',
      'web-b',
    ]);
  });

  it('applies and sorts a 10,000-server frame', () => {
    const n = 10_000;
    const m = createFleetModel();
    m.setServers(servers(Array.from({ length: n }, (_, i) => `server-${i + 1}`)));
    const rows = Array.from(
      { length: n },
      (_, i) => [(i * 37) % 100, 50, 50] as [number, number, number],
    );
    m.applyFrame(frame(T0, rows), T0);
    const sorted = m.view({ filter: '', sortKey: 'cpuPct', sortDir: 'desc' });
    expect(sorted).toHaveLength(n);
    let ordered = true;
    for (let k = 1; k < n; k++) {
      ordered &&= m.values.cpuPct[sorted[k - 1]!]! >= m.values.cpuPct[sorted[k]!]!;
    }
    expect(ordered).toBe(true);
    expect(m.ids[sorted[0]!]).toBe(m.ids[m.summary(T0).hottest]);
  });
});
