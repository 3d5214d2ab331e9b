import { describe, expect, it } from 'vitest';
import {
  createFleetFrame,
  decodeFleetBytes,
  setFleetValues,
  type FleetFrame,
} from '@metrics/protocol';
import { createFleetModel, type FleetModel } from '../src/fleet-model.js';
import { DEFAULT_OVERVIEW, type OverviewRoute } from '../src/route.js';
import { createRowOrder, sortAfterClick } from '../src/views/row-order.js';

const T0 = Date.UTC(2026, 10, 22, 5, 0, 0);
const IDS = ['server-1', 'server-2', 'server-3', 'server-10'];

/** A frame in which every server reports `cpu[i]` (memory and disk do not matter here). */
function frame(tick: number, cpu: number[]): FleetFrame {
  const f = createFleetFrame({ tick, version: 1, count: cpu.length });
  cpu.forEach((c, i) => setFleetValues(f.values, cpu.length, i, c, 50, 50));
  return decodeFleetBytes(f.bytes);
}

function fleet(cpu: number[]): FleetModel {
  const model = createFleetModel();
  model.setServers({
    servers: IDS.map((id) => ({ id })),
    count: IDS.length,
    version: 1,
    timestamp: T0,
  });
  model.applyFrame(frame(T0, cpu), T0);
  return model;
}

const names = (model: FleetModel, order: Uint32Array) => Array.from(order, (i) => model.ids[i]);
const byCpu: OverviewRoute = { ...DEFAULT_OVERVIEW, sortKey: 'cpuPct', sortDir: 'desc' };

describe('row order of the overview table', () => {
  it('sorts by the query on first use', () => {
    const model = fleet([10, 40, 20, 30]);
    const rows = createRowOrder(model);
    expect(rows.update(byCpu, false)).toBe(false);
    expect(names(model, rows.order)).toEqual(['server-2', 'server-10', 'server-3', 'server-1']);
  });

  it('re-sorts for new data while nobody holds the table', () => {
    const model = fleet([10, 40, 20, 30]);
    const rows = createRowOrder(model);
    rows.update(byCpu, false);
    model.applyFrame(frame(T0 + 1000, [90, 5, 20, 30]), T0 + 1000);
    expect(rows.update(byCpu, false)).toBe(false);
    expect(names(model, rows.order)[0]).toBe('server-1');
  });

  it('keeps the order for new data while the table is held, and says so', () => {
    const model = fleet([10, 40, 20, 30]);
    const rows = createRowOrder(model);
    rows.update(byCpu, false);
    const before = names(model, rows.order);
    model.applyFrame(frame(T0 + 1000, [90, 5, 20, 30]), T0 + 1000);
    expect(rows.update(byCpu, true)).toBe(true);
    expect(names(model, rows.order)).toEqual(before);
    // Released: the new data sorts in and nothing waits any more.
    expect(rows.update(byCpu, false)).toBe(false);
    expect(names(model, rows.order)[0]).toBe('server-1');
  });

  it('does not mention a held order when nothing new waits or the sort is by name', () => {
    const model = fleet([10, 40, 20, 30]);
    const rows = createRowOrder(model);
    rows.update(byCpu, false);
    expect(rows.update(byCpu, true)).toBe(false);
    const byName: OverviewRoute = { ...byCpu, sortKey: 'name', sortDir: 'asc' };
    rows.update(byName, false);
    model.applyFrame(frame(T0 + 1000, [90, 5, 20, 30]), T0 + 1000);
    expect(rows.update(byName, true)).toBe(false);
  });

  it('applies a new query at once, even while the table is held', () => {
    const model = fleet([10, 40, 20, 30]);
    const rows = createRowOrder(model);
    rows.update(byCpu, false);
    const byName: OverviewRoute = { ...byCpu, sortKey: 'name', sortDir: 'asc' };
    rows.update(byName, true);
    expect(names(model, rows.order)).toEqual(['server-1', 'server-2', 'server-3', 'server-10']);
  });

  it('marks the servers the filter keeps for the heat grid, and none without a filter', () => {
    const model = fleet([10, 40, 20, 30]);
    const rows = createRowOrder(model);
    rows.update({ ...byCpu, filter: 'server-1' }, false);
    expect(names(model, rows.order)).toEqual(['server-10', 'server-1']);
    expect(Array.from(rows.matches!)).toEqual(IDS.map((id) => (id.includes('server-1') ? 1 : 0)));
    rows.update({ ...byCpu, filter: ' ' }, false);
    expect(rows.matches).toBeUndefined();
  });
});

describe('sorting by a column header', () => {
  it.each([
    [{ sortKey: 'cpuPct', sortDir: 'desc' }, 'cpuPct', 'asc'],
    [{ sortKey: 'cpuPct', sortDir: 'asc' }, 'cpuPct', 'desc'],
    [{ sortKey: 'cpuPct', sortDir: 'desc' }, 'name', 'asc'],
    [{ sortKey: 'name', sortDir: 'asc' }, 'memPct', 'desc'],
    [{ sortKey: 'name', sortDir: 'asc' }, 'name', 'desc'],
  ] as const)('from %o a click on %s sorts %s', (route, key, sortDir) => {
    expect(sortAfterClick(route, key)).toEqual({ sortKey: key, sortDir });
  });
});
