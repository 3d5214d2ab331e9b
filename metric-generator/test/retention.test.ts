import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type MetricsDatabase } from '../src/db.js';
import { createRetention, nextBatch } from '../src/retention.js';
import { fleetServers } from '../src/server-ids.js';
import { createSampleColumns } from '../src/simulation.js';
import { foldEverything, silentLog, storedRowCount } from './helpers.js';

describe('nextBatch', () => {
  const keys = [1, 2, 3, 4, 5, 6, 7];
  it.each([
    [0, 3, [1, 2, 3], 3, false],
    [3, 3, [4, 5, 6], 6, false],
    [6, 3, [7], 7, true],
    [0, 10, keys, 7, true],
    [0, 0, [1], 1, false],
  ])('from cursor %i with %i per batch', (cursor, size, batch, next, done) => {
    expect(nextBatch(keys, cursor, size)).toEqual({ batch, cursor: next, passDone: done });
  });
});

describe('retention', () => {
  let db: MetricsDatabase | undefined;
  afterEach(() => db?.close());

  /**
   * A database holding `ticks` ticks (1 s apart, from 0) for `servers` servers, folded into
   * `samples` unless `where` is 'staged' (then they are still in the active staging table).
   */
  function filled(servers: number, ticks: number, where: 'samples' | 'staged' = 'samples') {
    db = openDatabase({ path: ':memory:', log: silentLog });
    const refs = fleetServers(servers, false);
    db.registerServers(refs);
    const keys = Int32Array.from(refs, (s) => s.key);
    const cols = createSampleColumns(servers);
    for (let t = 0; t < ticks; t++) db.writeTick(t * 1000, keys, cols, servers);
    if (where === 'samples') foldEverything(db);
    return db;
  }
  const count = (d: MetricsDatabase) => storedRowCount(d);

  it.each(['samples', 'staged'] as const)(
    'deletes exactly the rows older than the retention window (rows in %s)',
    async (where) => {
      const d = filled(10, 20, where);
      const pruned: number[] = [];
      const retention = createRetention({
        db: d,
        retentionMs: 5_000,
        log: silentLog,
        onPruned: (n) => pruned.push(n),
      });
      const rows = await retention.runSlice(19_000, () => true);
      expect(rows).toBe(10 * 14); // ticks 0 … 13 are older than 19 s - 5 s
      expect(pruned.reduce((a, b) => a + b, 0)).toBe(rows);
      expect(count(d)).toBe(10 * 6);
      const history = d.history(3, 0, Number.MAX_SAFE_INTEGER, 100).map((r) => r.ts);
      expect(history).toEqual([14, 15, 16, 17, 18, 19].map((s) => s * 1000));
    },
  );

  it('deletes the rows of both staging tables and of samples in one pass', async () => {
    const d = filled(4, 10); // ticks 0 … 9 in samples
    const refs = fleetServers(4, false);
    const keys = Int32Array.from(refs, (s) => s.key);
    const cols = createSampleColumns(4);
    for (let t = 10; t < 15; t++) d.writeTick(t * 1000, keys, cols, 4);
    d.rotateStaging(); // ticks 10 … 14 now wait to be folded
    for (let t = 15; t < 20; t++) d.writeTick(t * 1000, keys, cols, 4);
    const retention = createRetention({ db: d, retentionMs: 3_000, log: silentLog });
    expect(await retention.runSlice(19_000, () => true)).toBe(4 * 16);
    expect(d.history(1, 0, Number.MAX_SAFE_INTEGER, 100).map((r) => r.ts)).toEqual([
      16_000, 17_000, 18_000, 19_000,
    ]);
  });

  it('works in batches of servers and stops when told to, resuming where it stopped', async () => {
    const d = filled(10, 5);
    const retention = createRetention({
      db: d,
      retentionMs: 1_000,
      log: silentLog,
      batchServers: 3,
    });
    let steps = 0;
    // Allow exactly three steps in this slice: the staging tables, then two batches of servers.
    const first = await retention.runSlice(4_000, () => steps++ < 3);
    expect(first).toBe(6 * 3); // 2 batches × 3 servers × ticks 0…2
    const rest = await retention.runSlice(4_000, () => true);
    expect(rest).toBe(4 * 3);
    expect(count(d)).toBe(10 * 2);
    expect(retention.pruned).toBe(30);
  });

  it('does nothing when the slice has no time left', async () => {
    const d = filled(3, 5);
    const retention = createRetention({ db: d, retentionMs: 1_000, log: silentLog });
    expect(await retention.runSlice(4_000, () => false)).toBe(0);
    expect(count(d)).toBe(15);
  });

  it('prunes servers that are no longer configured', async () => {
    const d = filled(6, 5);
    d.registerServers(fleetServers(2, false)); // a restart with fewer servers keeps the old keys
    const retention = createRetention({ db: d, retentionMs: 1_000, log: silentLog });
    await retention.runSlice(10_000, () => true);
    expect(count(d)).toBe(0);
  });

  it('starts a new pass only at a later tick', async () => {
    const d = filled(2, 3);
    const retention = createRetention({ db: d, retentionMs: 1_000, log: silentLog });
    expect(await retention.runSlice(2_000, () => true)).toBe(2 * 1);
    expect(await retention.runSlice(2_000, () => true)).toBe(0);
    expect(await retention.runSlice(3_000, () => true)).toBe(2 * 1);
  });
});
