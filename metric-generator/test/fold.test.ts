import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type MetricsDatabase, type SampleRow } from '../src/db.js';
import { createFold, foldSliceSize, sliceRange, type Fold } from '../src/fold.js';
import { fleetServers } from '../src/server-ids.js';
import { silentLog, storedRowCount, writeNumberedTick } from './helpers.js';

const TICK = 1000;
const SERVERS = 10;
const GENERATION = 4;
const ALL = [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] as const;

describe('fold slices', () => {
  it.each([
    [10, 30, 1],
    [100, 30, 4],
    [100_000, 30, 3572],
    [5, 2, 5],
    [0, 30, 1],
  ])('%i servers, generation of %i ticks: %i servers per slice', (servers, gen, size) => {
    expect(foldSliceSize(servers, gen)).toBe(size);
  });

  it('covers every key with open-ended first and last slices', () => {
    const keys = [0, 1, 2, 5, 9];
    expect(sliceRange(keys, 0, 2)).toEqual({ lo: Number.MIN_SAFE_INTEGER, hi: 1 });
    expect(sliceRange(keys, 2, 4)).toEqual({ lo: 2, hi: 5 });
    expect(sliceRange(keys, 4, 5)).toEqual({ lo: 9, hi: Number.MAX_SAFE_INTEGER });
    expect(sliceRange([], 0, 0)).toEqual({
      lo: Number.MIN_SAFE_INTEGER,
      hi: Number.MAX_SAFE_INTEGER,
    });
  });
});

describe('staging and fold', () => {
  const dirs: string[] = [];
  const open: MetricsDatabase[] = [];
  afterEach(() => {
    for (const d of open.splice(0)) d.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function database(path = ':memory:'): MetricsDatabase {
    const db = openDatabase({ path, log: silentLog });
    db.registerServers(fleetServers(SERVERS, true));
    open.push(db);
    return db;
  }
  const refs = fleetServers(SERVERS, true);
  const keys = Int32Array.from(refs, (s) => s.key);
  const write = (db: MetricsDatabase, t: number, version = 1) =>
    writeNumberedTick(db, refs, t, { tickMs: TICK, version });
  const historyOf = (db: MetricsDatabase, key: number, from = 0, to = 1e15, limit = 1000) =>
    db.history(key, from, to, limit).map((r: SampleRow) => [r.ts / TICK, r.cpuPct, r.memPct]);
  const expected = (slot: number, ticks: number[], version = 1) =>
    ticks.map((t) => [t, t + slot / 100, version]);
  const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
  const rowsIn = (db: MetricsDatabase, table: string) =>
    db.handle.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;

  /** Writes ticks `from … to`, running one fold step after each, as the ticker does. */
  async function run(db: MetricsDatabase, fold: Fold, from: number, to: number) {
    const steps: string[] = [];
    for (let t = from; t <= to; t++) {
      write(db, t);
      steps.push((await fold.runSlice(t * TICK, () => true)).kind);
    }
    return steps;
  }

  it('appends ticks to the active table; rotates a generation later, then copies slice by slice and empties it', async () => {
    const db = database();
    const fold = createFold({ db, tickMs: TICK, generationTicks: GENERATION, log: silentLog });
    // 11 keys (host + 10 servers), slices of ceil(11 / 2) = 6: two copy steps per generation.
    const steps = await run(db, fold, 1, 11);
    expect(steps).toEqual([
      ...['idle', 'idle', 'idle', 'rotated'], // ticks 1-4 in recent_0: a generation
      ...['copied', 'copied', 'idle', 'rotated'], // ticks 5-8 in recent_1, 1-4 folded
      ...['copied', 'copied', 'idle'], // ticks 9-11 in recent_0, 5-8 folded
    ]);
    expect(rowsIn(db, 'samples')).toBe(refs.length * 8);
    expect(db.stagingStatus()).toEqual({
      active: 0,
      activeOldest: 9 * TICK,
      foldPending: false,
      pendingOldest: undefined,
    });
    expect(rowsIn(db, 'recent_0')).toBe(refs.length * 3);
    expect(rowsIn(db, 'recent_1')).toBe(0);
    for (let slot = 0; slot < refs.length; slot++) {
      expect(historyOf(db, keys[slot]!)).toEqual(expected(slot, range(1, 11)));
    }
  });

  it('serves the same history before, during and after a fold, with from/to/limit', async () => {
    const db = database();
    const fold = createFold({ db, tickMs: TICK, generationTicks: GENERATION, log: silentLog });
    for (let t = 1; t <= 12; t++) {
      write(db, t);
      await fold.runSlice(t * TICK, () => true);
      for (const slot of [0, 5, 10]) {
        const key = keys[slot]!;
        expect(historyOf(db, key)).toEqual(expected(slot, range(1, t)));
        expect(historyOf(db, key, 0, 1e15, 3)).toEqual(
          expected(slot, range(Math.max(1, t - 2), t)),
        );
        expect(historyOf(db, key, 2 * TICK, 6 * TICK, 2)).toEqual(
          expected(slot, range(Math.max(2, Math.min(t, 6) - 1), Math.min(t, 6))),
        );
        expect(db.latest(key)?.ts).toBe(t * TICK);
      }
      expect(storedRowCount(db)).toBe(refs.length * t);
    }
  });

  it('keeps the newest write of a tick written twice (the clock went back), in every table', async () => {
    const db = database();
    const fold = createFold({ db, tickMs: TICK, generationTicks: GENERATION, log: silentLog });
    await run(db, fold, 1, 6); // ticks 1-4 rotated and being folded, 5-6 active
    write(db, 2, 2); // tick 2 again, new values: into the active table
    expect(historyOf(db, keys[3]!, 2 * TICK, 2 * TICK)).toEqual([[2, 2.03, 2]]);
    for (let t = 7; t <= 16; t++) {
      write(db, t);
      await fold.runSlice(t * TICK, () => true);
      expect(historyOf(db, keys[3]!, 2 * TICK, 2 * TICK)).toEqual([[2, 2.03, 2]]);
    }
    expect(db.handle.prepare('SELECT mem_pct FROM samples WHERE ts = 2000').pluck().all()).toEqual(
      Array(refs.length).fill(2),
    );
    expect(storedRowCount(db)).toBe(refs.length * 16);
  });

  it('after a restart in the middle of a fold, copies the generation again and loses nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fold-'));
    dirs.push(dir);
    const path = join(dir, 'metrics.db');
    const first = database(path);
    const fold = createFold({
      db: first,
      tickMs: TICK,
      generationTicks: GENERATION,
      log: silentLog,
    });
    const steps = await run(first, fold, 1, 5); // rotated at 4, first slice copied at 5
    expect(steps.at(-1)).toBe('copied');
    first.close();
    open.splice(open.indexOf(first), 1);

    const second = database(path);
    expect(second.stagingStatus()).toMatchObject({ active: 1, foldPending: true });
    const again = createFold({
      db: second,
      tickMs: TICK,
      generationTicks: GENERATION,
      log: silentLog,
    });
    expect(await run(second, again, 6, 12)).toEqual([
      ...['copied', 'copied', 'rotated'], // a new pass over every slice; ticks 5-8 rotate
      ...['copied', 'copied', 'idle', 'rotated'],
    ]);
    for (let slot = 0; slot < refs.length; slot++) {
      expect(historyOf(second, keys[slot]!)).toEqual(expected(slot, range(1, 12)));
    }
    expect(second.integrityCheck()).toBe('ok');
  });

  it('waits for idle time unless the fold is a generation behind', async () => {
    const db = database();
    const fold = createFold({ db, tickMs: TICK, generationTicks: GENERATION, log: silentLog });
    for (let t = 1; t <= 8; t++) write(db, t);
    expect((await fold.runSlice(8 * TICK, () => false)).kind).toBe('skipped');
    // Tick 9 is two generations after the oldest staged tick: the fold runs anyway.
    write(db, 9);
    expect((await fold.runSlice(9 * TICK, () => false)).kind).toBe('rotated');
    expect((await fold.runSlice(9 * TICK, () => false)).kind).toBe('copied');
    expect((await fold.runSlice(9 * TICK, () => false)).kind).toBe('copied');
    expect((await fold.runSlice(9 * TICK, () => false)).kind).toBe('skipped');
    expect(historyOf(db, keys[4]!)).toEqual(expected(4, range(1, 9)));
  });

  it('refuses to rotate onto a table that still holds an unfolded generation', () => {
    const db = database();
    write(db, 1);
    db.rotateStaging();
    write(db, 2);
    expect(() => db.rotateStaging()).toThrow(/not folded yet/);
    db.foldCopy(...ALL);
    db.foldFinish();
    db.rotateStaging();
    expect(historyOf(db, keys[0]!)).toEqual(expected(0, [1, 2]));
  });
});
