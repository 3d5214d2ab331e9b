import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { samplePrefixes, serializeSlots, serializeTick } from '../src/sample-bytes.js';
import {
  createFleetSimulation,
  createSampleColumns,
  type SampleColumns,
} from '../src/simulation.js';

const TICK = Date.UTC(2026, 10, 22, 5, 0, 1);
const KEYS = ['cpuPct', 'memPct', 'diskPct', 'netRxBps', 'netTxBps', 'load1'] as const;

/** What the bytes must equal: JSON.stringify of each sample object, keys in `Sample` order. */
function reference(ids: readonly string[], c: SampleColumns, count: number): string {
  const timestamp = new Date(TICK).toISOString();
  const lines = ids.slice(0, count).map((serverId, i) =>
    JSON.stringify({
      serverId,
      timestamp,
      cpuPct: c.cpuPct[i],
      memPct: c.memPct[i],
      diskPct: c.diskPct[i],
      netRxBps: c.netRxBps[i],
      netTxBps: c.netTxBps[i],
      load1: c.load1[i],
    }),
  );
  return `HEAD${lines.join(',\n')}TAIL`;
}

function serialize(ids: readonly string[], c: SampleColumns, count = ids.length) {
  return serializeTick('HEAD', 'TAIL', new Date(TICK).toISOString(), samplePrefixes(ids), c, count);
}

describe('serializeTick', () => {
  it('leaves out a slot without a sample (NaN): no bytes, an empty range, separators intact', () => {
    const ids = ['server-1', 'this', 'server-2', 'that'];
    const c = createSampleColumns(4);
    for (const k of KEYS) c[k].set([1, NaN, 2, NaN]);
    const { body, starts, ends } = serialize(ids, c);
    const text = body.toString();
    const kept = { ...c };
    for (const k of KEYS) kept[k] = Float64Array.from([1, 2]);
    expect(text).toBe(reference(['server-1', 'server-2'], kept as SampleColumns, 2));
    expect(ends[1]! - starts[1]!).toBe(0);
    expect(ends[3]! - starts[3]!).toBe(0);
    expect(JSON.parse(body.subarray(starts[2], ends[2]).toString())).toMatchObject({
      serverId: 'server-2',
    });
    // Missing first and last too.
    for (const k of KEYS) c[k].set([NaN, 3, NaN, 4]);
    expect(serialize(ids, c).body.toString()).toMatch(
      /^HEAD\{"serverId":"this".*\},\n\{"serverId":"that".*\}TAIL$/,
    );
  });

  it('writes the same bytes as JSON.stringify for a simulated fleet, with each sample’s range', () => {
    const n = 2_000;
    const ids = Array.from({ length: n }, (_, i) => `server-${i + 1}`);
    const sim = createFleetSimulation({
      seed: 7,
      servers: ids.map((_, i) => i + 1),
      tickMs: 1000,
    });
    const c = createSampleColumns(n);
    for (let t = 0; t < 3; t++) for (let i = 0; i < n; i++) sim.step(i, TICK + t * 1000, c);
    const out = serialize(ids, c);
    expect(out.body.toString()).toBe(reference(ids, c, n));
    for (const slot of [0, 1, 999, n - 1]) {
      const json = out.body.subarray(out.starts[slot], out.ends[slot]).toString();
      expect(JSON.parse(json)).toMatchObject({ serverId: ids[slot], cpuPct: c.cpuPct[slot] });
    }
  });

  it('writes any finite value as JSON.stringify does (table hits, misses and odd numbers)', () => {
    const value = fc.oneof(
      fc.integer({ min: 0, max: 1000 }).map((k) => k / 10),
      fc.integer({ min: 0, max: 60_000 }).map((k) => k / 100),
      fc.integer({ min: 0, max: 2 ** 40 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constantFrom(0, -0, 0.1 + 0.2, 1e21, 5e-324, -1, 100.05, 1e15, 123456789012345),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(value, value, value, value, value, value), {
          minLength: 1,
          maxLength: 5,
        }),
        fc.array(fc.constantFrom('host', 'server-1', 'server-100000', 'é'), { minLength: 5 }),
        (rows, idPool) => {
          const ids = rows.map((_, i) => `${idPool[i % idPool.length]}-${i}`);
          const c = createSampleColumns(rows.length);
          rows.forEach((r, i) => KEYS.forEach((k, j) => (c[k][i] = r[j]!)));
          expect(serialize(ids, c).body.toString()).toBe(reference(ids, c, rows.length));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('writes only the first `count` slots', () => {
    const ids = ['a', 'b', 'c'];
    const c = createSampleColumns(3);
    expect(serialize(ids, c, 2).body.toString()).toBe(reference(ids, c, 2));
    expect(serialize(ids, c, 0).body.toString()).toBe('HEADTAIL');
  });
});

describe('serializeSlots', () => {
  it('writes exactly the ranges serializeTick gives those slots, in the order asked', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.integer({ min: 0, max: 1000 }).map((k) => k / 10),
          {
            minLength: 1,
            maxLength: 40,
          },
        ),
        fc.array(fc.nat(), { maxLength: 60 }),
        fc.array(fc.boolean(), { maxLength: 40 }),
        (values, picks, missing) => {
          const ids = values.map((_, i) => `server-${i + 1}`);
          const c = createSampleColumns(values.length);
          values.forEach((v, i) => {
            for (const k of KEYS) c[k][i] = missing[i] ? NaN : v;
          });
          const full = serialize(ids, c);
          const slots = picks.map((p) => p % values.length);
          const expected = slots
            .filter((i) => !missing[i])
            .map((i) => full.body.subarray(full.starts[i], full.ends[i]).toString())
            .join(',\n');
          const timestamp = new Date(TICK).toISOString();
          const picked = serializeSlots('HEAD', 'TAIL', timestamp, samplePrefixes(ids), c, slots);
          expect(picked.toString()).toBe(`HEAD${expected}TAIL`);
        },
      ),
      { numRuns: 200 },
    );
  });
});
