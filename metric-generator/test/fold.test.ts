import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  MIGRATIONS_DIR,
  openDatabase,
  prepareConnection,
  type MetricsDatabase,
  type SampleRow,
} from '../src/db.js';
import { createFold, foldSliceSize, sliceRange, type Fold } from '../src/fold.js';
import { fleetServers } from '../src/server-ids.js';
import { createSampleColumns } from '../src/simulation.js';
import { silentLog, stagedSampleCount, storedRowCount, writeNumberedTick } from './helpers.js';

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
      ...['idle', 'idle', 'idle', 'rotated'], // ticks 1-4 in staged_0: a generation
      ...['copied', 'copied', 'idle', 'rotated'], // ticks 5-8 in staged_1, 1-4 folded
      ...['copied', 'copied', 'idle'], // ticks 9-11 in staged_0, 5-8 folded
    ]);
    expect(rowsIn(db, 'samples')).toBe(refs.length * 8);
    expect(db.stagingStatus()).toEqual({
      active: 0,
      activeOldest: 9 * TICK,
      foldPending: false,
      pendingOldest: undefined,
    });
    expect(stagedSampleCount(db, 0)).toBe(refs.length * 3);
    expect(stagedSampleCount(db, 1)).toBe(0);
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

describe('staging in blocks of servers', () => {
  it('folds many blocks per tick, keys out of slot order and gaps, through slices that cut blocks', async () => {
    const db = openDatabase({ path: ':memory:', log: silentLog });
    try {
      // 90 servers in slots whose keys do not ascend (real servers keep their key), 6 blocks a tick.
      const keys = Int32Array.from({ length: 90 }, (_, i) => (i % 2 ? 1_000_000 + i : 500 - i));
      db.registerServers([...keys].map((key) => ({ key, id: `s-${key}` })));
      const gap = (slot: number, t: number) => (slot * 7 + t) % 11 === 0;
      const written: number[] = [];
      for (let t = 1; t <= 9; t++) {
        const c = createSampleColumns(keys.length);
        for (let slot = 0; slot < keys.length; slot++) {
          c.cpuPct[slot] = gap(slot, t) ? Number.NaN : t + slot / 1000;
          c.netRxBps[slot] = keys[slot]! * t;
        }
        written.push(db.writeTick(t * TICK, keys, c, keys.length));
        if (t === 4) db.rotateStaging();
      }
      const expectedOf = (slot: number, ticks: number[]) =>
        ticks.filter((t) => !gap(slot, t)).map((t) => [t, t + slot / 1000, keys[slot]! * t]);
      const historyOf = (key: number) =>
        db.history(key, 0, 1e15, 100).map((r) => [r.ts / TICK, r.cpuPct, r.netRxBps]);
      const all = Array.from({ length: 9 }, (_, i) => i + 1);
      // Slices of 7 keys: boundaries fall inside the 17-server blocks.
      const sorted = db.knownServerKeys();
      let copied = 0;
      for (let from = 0; from < sorted.length; from += 7) {
        const { lo, hi } = sliceRange(sorted, from, from + 7);
        copied += db.foldCopy(lo, hi);
        for (let slot = 0; slot < keys.length; slot += 13) {
          expect(historyOf(keys[slot]!)).toEqual(expectedOf(slot, all));
        }
      }
      db.foldFinish();
      const staged1to4 = written.slice(0, 4).reduce((a, b) => a + b, 0);
      expect(copied).toBe(staged1to4);
      expect(storedRowCount(db)).toBe(written.reduce((a, b) => a + b, 0));
      for (let slot = 0; slot < keys.length; slot++) {
        expect(historyOf(keys[slot]!)).toEqual(expectedOf(slot, all));
      }
      // Ticks 5-9 in one slice: several multi-row statements into `samples` in one copy.
      db.rotateStaging();
      expect(db.foldCopy(...ALL)).toBe(written.slice(4).reduce((a, b) => a + b, 0));
      db.foldFinish();
      expect(stagedSampleCount(db, 0) + stagedSampleCount(db, 1)).toBe(0);
      for (let slot = 0; slot < keys.length; slot++) {
        expect(historyOf(keys[slot]!)).toEqual(expectedOf(slot, all));
      }
    } finally {
      db.close();
    }
  });
});

describe('migration 003: per-row staging to blocks', () => {
  it('moves what the per-row staging tables held into samples, the active table winning', () => {
    const db = new Database(':memory:');
    try {
      prepareConnectionUpTo(db, 2);
      const insert = (table: string, ts: number, key: number, cpu: number) =>
        db.prepare(`INSERT INTO ${table} VALUES (?, ?, ?, 1, 2, 3, 4, 5)`).run(ts, key, cpu);
      db.prepare('UPDATE staging_state SET active = 1').run();
      insert('recent_0', 1000, 1, 10); // being folded
      insert('recent_0', 2000, 1, 20); // also rewritten in the active table
      insert('recent_1', 2000, 1, 21);
      insert('recent_1', 3000, 2, 30);
      prepareConnection(db, silentLog);
      expect(db.pragma('user_version', { simple: true })).toBe(3);
      expect(
        db.prepare('SELECT server_id, ts, cpu_pct FROM samples ORDER BY server_id, ts').raw().all(),
      ).toEqual([
        [1, 1000, 10],
        [1, 2000, 21],
        [2, 3000, 30],
      ]);
      const tables = db
        .prepare("SELECT name FROM sqlite_master WHERE name LIKE 're%' OR name LIKE 'st%'")
        .pluck()
        .all();
      expect(tables.sort()).toEqual(['staged_0', 'staged_1', 'staging_state']);
    } finally {
      db.close();
    }
  });
});

/** Applies the migrations up to `version` only, as a database of an older generator has them. */
function prepareConnectionUpTo(db: Database.Database, version: number) {
  const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
  try {
    for (const file of readdirSync(MIGRATIONS_DIR)) {
      if (Number.parseInt(file, 10) <= version)
        copyFileSync(join(MIGRATIONS_DIR, file), join(dir, file));
    }
    prepareConnection(db, silentLog, `${dir}/`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('a fold slice in chunks', () => {
  it('lets the event loop run between chunks and leaves the rest of the slice when idle time ends', async () => {
    const db = openDatabase({ path: ':memory:', log: silentLog });
    try {
      const refs = fleetServers(40, false);
      db.registerServers(refs);
      for (let t = 1; t <= 4; t++) writeNumberedTick(db, refs, t, { tickMs: TICK });
      db.rotateStaging();
      // A generation of 4 ticks: slices of 20 servers, chunks of 6.
      const fold = createFold({
        db,
        tickMs: TICK,
        generationTicks: 4,
        chunkServers: 6,
        log: silentLog,
      });
      const turns: number[] = [];
      const folded = () => db.handle.prepare('SELECT count(*) FROM samples').pluck().get();
      const probe = setInterval(() => turns.push(folded() as number), 0);
      let step;
      try {
        step = await fold.runSlice(5 * TICK, () => true);
      } finally {
        clearInterval(probe);
      }
      expect(step).toEqual({ kind: 'copied', rows: 20 * 4, done: false });
      // Other callbacks ran while the slice was being copied (after its first chunk).
      expect(turns.some((rows) => rows > 0 && rows < 80)).toBe(true);

      // Idle time ends after the first chunk: 6 servers now, the rest of the slice later.
      let calls = 0;
      const second = await fold.runSlice(6 * TICK, () => calls++ < 1);
      expect(second).toEqual({ kind: 'copied', rows: 6 * 4, done: false });
      expect(await fold.runSlice(7 * TICK, () => true)).toEqual({
        kind: 'copied',
        rows: 14 * 4,
        done: true,
      });
      expect(storedRowCount(db)).toBe(40 * 4);
      expect(db.stagingStatus().foldPending).toBe(false);
    } finally {
      db.close();
    }
  });
});
