import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, REAL_SERVER_KEY_BASE } from '../../src/db.js';
import { createSampleColumns } from '../../src/simulation.js';
import { silentLog, storedRowCount } from '../helpers.js';

describe('database: real servers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'db-gaps-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes no row for a slot without a sample (NaN), in bulk statements and single ones', () => {
    const db = openDatabase({ path: ':memory:', log: silentLog });
    const n = 300; // two full 128-row statements and a remainder
    const keys = Int32Array.from({ length: n }, (_, i) => i + 1);
    const c = createSampleColumns(n);
    for (let i = 0; i < n; i++) {
      const v = i % 7 === 3 ? NaN : (i % 100) + 0.5;
      c.cpuPct[i] = v;
      c.memPct[i] = v;
      c.diskPct[i] = v;
      c.netRxBps[i] = Number.isNaN(v) ? NaN : i;
      c.netTxBps[i] = Number.isNaN(v) ? NaN : i;
      c.load1[i] = v;
    }
    const missing = Array.from({ length: n }, (_, i) => i).filter((i) => i % 7 === 3);
    expect(db.writeTick(5_000, keys, c, n)).toBe(n - missing.length);
    expect(storedRowCount(db)).toBe(n - missing.length);
    expect(db.latest(4)).toBeUndefined(); // slot 3
    expect(db.latest(300)).toMatchObject({ ts: 5_000, cpuPct: 99.5, netRxBps: 299 });
    db.close();
  });

  it('gives real servers keys above every server-N, the same ones after a restart', () => {
    const path = join(dir, 'keys.db');
    const first = openDatabase({ path, log: silentLog });
    first.registerServers([{ id: 'server-1', key: 1 }]);
    const a = first.keysFor(['this', 'db-1']);
    expect([...a.values()]).toEqual([REAL_SERVER_KEY_BASE, REAL_SERVER_KEY_BASE + 1]);
    first.close();
    const again = openDatabase({ path, log: silentLog });
    const b = again.keysFor(['web-1', 'db-1', 'this']);
    expect(Object.fromEntries(b)).toEqual({
      'web-1': REAL_SERVER_KEY_BASE + 2,
      'db-1': REAL_SERVER_KEY_BASE + 1,
      this: REAL_SERVER_KEY_BASE,
    });
    again.close();
  });
});
