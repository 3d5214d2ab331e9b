import { readdirSync, readFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { SampleColumns } from './simulation.js';
import type { ServerRef } from './server-ids.js';

/** Numbered migrations (`NNN_name.sql`), applied in order at open; `PRAGMA user_version` records the last. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));

/** One stored sample, as read back. */
export interface SampleRow {
  serverKey: number;
  ts: number;
  cpuPct: number;
  memPct: number;
  diskPct: number;
  netRxBps: number;
  netTxBps: number;
  load1: number;
}

export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

export interface MetricsDatabase {
  /** The better-sqlite3 connection, for diagnostics and fault-injection in tests. */
  readonly handle: Database.Database;
  readonly path: string;
  /** Records the configured servers (idempotent). */
  registerServers(servers: readonly ServerRef[]): void;
  /**
   * Writes one tick, every server's sample, in one transaction. `keys[i]` is the server key of
   * slot i; slots 0 … count-1 of `columns` are written. Throws (and writes nothing) on failure.
   */
  writeTick(tick: number, keys: Int32Array, columns: SampleColumns, count: number): void;
  /** Samples of one server with `from <= ts <= to`, the newest `limit` of them, oldest first. */
  history(serverKey: number, from: number, to: number, limit: number): SampleRow[];
  /** The newest stored sample of one server. */
  latest(serverKey: number): SampleRow | undefined;
  /** Keys of every server that ever wrote (current or former), ascending. */
  knownServerKeys(): number[];
  /** Deletes the rows of `serverKey` older than `cutoff`; returns how many. */
  pruneServer(serverKey: number, cutoff: number): number;
  /** A passive WAL checkpoint: copies committed pages into the main file without blocking. */
  checkpoint(mode?: 'PASSIVE' | 'TRUNCATE'): CheckpointResult;
  integrityCheck(): string;
  close(): void;
}

export interface OpenDatabaseOptions {
  path: string;
  log: Logger;
  migrationsDir?: string;
}

/** Rows per multi-row INSERT: 128 × 8 parameters stays far below SQLite's 32,766 limit. */
const ROWS_PER_STATEMENT = 128;
const COLUMNS = 8;

function placeholders(rows: number): string {
  return Array.from({ length: rows }, () => '(?,?,?,?,?,?,?,?)').join(',');
}

/**
 * Opens (creating if needed) the generator's SQLite database: WAL, `synchronous=NORMAL` (a commit
 * survives a process crash; only an OS crash may lose the last ticks), migrations applied, every
 * statement prepared once here.
 */
export function openDatabase({
  path,
  log: parentLog,
  migrationsDir = MIGRATIONS_DIR,
}: OpenDatabaseOptions): MetricsDatabase {
  const log = parentLog.child({ module: 'db' });
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // Checkpoints run after each commit in the tick's idle time (see retention.ts), not inside a
    // commit where they would lengthen the tick.
    db.pragma('wal_autocheckpoint = 0');
    // After a checkpoint, the WAL file is cut back to this size so it does not keep its peak size.
    db.pragma('journal_size_limit = 67108864');
    db.pragma('cache_size = -65536'); // 64 MiB page cache
    db.pragma('busy_timeout = 2000');
    migrate(db, migrationsDir, log);
  } catch (err) {
    db.close();
    throw err;
  }

  const insertOne = db.prepare(`INSERT OR REPLACE INTO samples VALUES ${placeholders(1)}`);
  const insertMany = db.prepare(
    `INSERT OR REPLACE INTO samples VALUES ${placeholders(ROWS_PER_STATEMENT)}`,
  );
  const insertServer = db.prepare('INSERT OR IGNORE INTO servers (id, name) VALUES (?, ?)');
  const selectHistory = db.prepare<[number, number, number, number], SampleRow>(
    `SELECT * FROM (
       SELECT server_id AS serverKey, ts, cpu_pct AS cpuPct, mem_pct AS memPct, disk_pct AS diskPct,
              net_rx_bps AS netRxBps, net_tx_bps AS netTxBps, load1
       FROM samples WHERE server_id = ? AND ts BETWEEN ? AND ? ORDER BY ts DESC LIMIT ?
     ) ORDER BY ts`,
  );
  const selectLatest = db.prepare<[number], SampleRow>(
    `SELECT server_id AS serverKey, ts, cpu_pct AS cpuPct, mem_pct AS memPct, disk_pct AS diskPct,
            net_rx_bps AS netRxBps, net_tx_bps AS netTxBps, load1
     FROM samples WHERE server_id = ? ORDER BY ts DESC LIMIT 1`,
  );
  const selectServerKeys = db.prepare<[], number>('SELECT id FROM servers ORDER BY id').pluck();
  const deleteOld = db.prepare('DELETE FROM samples WHERE server_id = ? AND ts < ?');

  const args: number[] = new Array<number>(ROWS_PER_STATEMENT * COLUMNS);
  const writeTx = db.transaction(
    (tick: number, keys: Int32Array, c: SampleColumns, count: number) => {
      let i = 0;
      for (; i + ROWS_PER_STATEMENT <= count; i += ROWS_PER_STATEMENT) {
        for (let j = 0, o = 0; j < ROWS_PER_STATEMENT; j++, o += COLUMNS) {
          const r = i + j;
          args[o] = keys[r]!;
          args[o + 1] = tick;
          args[o + 2] = c.cpuPct[r]!;
          args[o + 3] = c.memPct[r]!;
          args[o + 4] = c.diskPct[r]!;
          args[o + 5] = c.netRxBps[r]!;
          args[o + 6] = c.netTxBps[r]!;
          args[o + 7] = c.load1[r]!;
        }
        insertMany.run(args);
      }
      for (; i < count; i++) {
        insertOne.run(
          keys[i]!,
          tick,
          c.cpuPct[i]!,
          c.memPct[i]!,
          c.diskPct[i]!,
          c.netRxBps[i]!,
          c.netTxBps[i]!,
          c.load1[i]!,
        );
      }
    },
  );
  const registerTx = db.transaction((servers: readonly ServerRef[]) => {
    for (const s of servers) insertServer.run(s.key, s.id);
  });

  let closed = false;
  return {
    handle: db,
    path,
    registerServers: (servers) => registerTx(servers),
    writeTick: (tick, keys, columns, count) => writeTx(tick, keys, columns, count),
    history: (key, from, to, limit) => selectHistory.all(key, from, to, limit),
    latest: (key) => selectLatest.get(key),
    knownServerKeys: () => selectServerKeys.all(),
    pruneServer: (key, cutoff) => deleteOld.run(key, cutoff).changes,
    checkpoint(mode = 'PASSIVE') {
      const [row] = db.pragma(`wal_checkpoint(${mode})`) as CheckpointResult[];
      return row ?? { busy: 0, log: 0, checkpointed: 0 };
    },
    integrityCheck: () => db.pragma('integrity_check', { simple: true }) as string,
    close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}

function migrate(db: Database.Database, dir: string, log: Logger): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const files = readdirSync(dir)
    .filter((f) => /^\d+_.+\.sql$/.test(f))
    .sort();
  for (const file of files) {
    const version = Number.parseInt(file, 10);
    if (version <= current) continue;
    const sql = readFileSync(`${dir}${file}`, 'utf8');
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${version}`);
    })();
    log.info({ migration: file }, 'migration applied');
  }
}
