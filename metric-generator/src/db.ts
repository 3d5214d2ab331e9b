import { readdirSync, readFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { SampleColumns } from './simulation.js';
import type { ServerRef } from './server-ids.js';
import { createHistoryReader } from './history-reader.js';

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

/** The two time-ordered staging tables (migrations/002_staging.sql). */
export type StagingTable = 0 | 1;

export interface StagingStatus {
  /** The table new ticks are appended to. */
  active: StagingTable;
  /** The oldest tick in the active table, if any. */
  activeOldest: number | undefined;
  /** The other table still holds rows: they are being folded into `samples`. */
  foldPending: boolean;
  /** The oldest tick of the table being folded, if any. */
  pendingOldest: number | undefined;
}

export interface MetricsDatabase {
  /** The better-sqlite3 connection, for diagnostics and fault-injection in tests. */
  readonly handle: Database.Database;
  readonly path: string;
  /** Records the configured servers (idempotent). */
  registerServers(servers: readonly ServerRef[]): void;
  /**
   * Writes one tick, every server's sample, in one transaction, to the active staging table.
   * `keys[i]` is the server key of slot i; slots 0 … count-1 of `columns` are written. Throws
   * (and writes nothing) on failure.
   */
  writeTick(tick: number, keys: Int32Array, columns: SampleColumns, count: number): void;
  /**
   * Samples of one server with `from <= ts <= to`, the newest `limit` of them, oldest first,
   * from `samples` and both staging tables (see history-merge.ts).
   */
  history(serverKey: number, from: number, to: number, limit: number): SampleRow[];
  /** The newest stored sample of one server. */
  latest(serverKey: number): SampleRow | undefined;
  /** Keys of every server that ever wrote (current or former), ascending. */
  knownServerKeys(): number[];
  /** Deletes the rows of `serverKey` older than `cutoff` from `samples`; returns how many. */
  pruneServer(serverKey: number, cutoff: number): number;
  /** Deletes the rows older than `cutoff` from both staging tables (a range on their key). */
  pruneStaged(cutoff: number): number;
  stagingStatus(): StagingStatus;
  /**
   * Copies the rows of servers `loKey … hiKey` from the staging table being folded into
   * `samples`, in key order, in one transaction; returns how many. Idempotent.
   */
  foldCopy(loKey: number, hiKey: number): number;
  /** Empties the folded staging table once every slice has been copied. */
  foldFinish(): void;
  /** Makes the other (empty) staging table the active one; the old one is then folded. */
  rotateStaging(): void;
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
    prepareConnection(db, log, migrationsDir);
  } catch (err) {
    db.close();
    throw err;
  }

  const staged = ([0, 1] as const).map((t) => stagingStatements(db, `recent_${t}`));
  let active = db.prepare('SELECT active FROM staging_state').pluck().get() as StagingTable;
  const setActive = db.prepare('UPDATE staging_state SET active = ?');
  const insertServer = db.prepare('INSERT OR IGNORE INTO servers (id, name) VALUES (?, ?)');
  const selectServerKeys = db.prepare<[], number>('SELECT id FROM servers ORDER BY id').pluck();
  const deleteOld = db.prepare('DELETE FROM samples WHERE server_id = ? AND ts < ?');

  const args: number[] = new Array<number>(ROWS_PER_STATEMENT * COLUMNS);
  const writeTx = db.transaction(
    (tick: number, keys: Int32Array, c: SampleColumns, count: number) => {
      const { insertMany, insertOne } = staged[active]!;
      let i = 0;
      for (; i + ROWS_PER_STATEMENT <= count; i += ROWS_PER_STATEMENT) {
        for (let j = 0, o = 0; j < ROWS_PER_STATEMENT; j++, o += COLUMNS) {
          const r = i + j;
          args[o] = tick;
          args[o + 1] = keys[r]!;
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
          tick,
          keys[i]!,
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
  const other = () => (1 - active) as StagingTable;
  const foldCopyTx = db.transaction(
    (lo: number, hi: number) => staged[other()]!.copy.run({ lo, hi }).changes,
  );
  const rotateTx = db.transaction(() => {
    if (staged[other()]!.any.get() !== undefined) {
      throw new Error('cannot rotate staging: the previous generation is not folded yet');
    }
    setActive.run(other());
  });
  // The same statements as the history reader workers' (history-reader.ts), on this connection.
  const history = createHistoryReader(db).rows;

  let closed = false;
  return {
    handle: db,
    path,
    registerServers: (servers) => registerTx(servers),
    writeTick: (tick, keys, columns, count) => writeTx(tick, keys, columns, count),
    history,
    latest: (key) => history(key, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 1)[0],
    knownServerKeys: () => selectServerKeys.all(),
    pruneServer: (key, cutoff) => deleteOld.run(key, cutoff).changes,
    pruneStaged: (cutoff) =>
      staged[0]!.prune.run(cutoff).changes + staged[1]!.prune.run(cutoff).changes,
    stagingStatus() {
      const pendingOldest = staged[other()]!.oldest.get() ?? undefined;
      return {
        active,
        activeOldest: staged[active]!.oldest.get() ?? undefined,
        foldPending: pendingOldest !== undefined,
        pendingOldest,
      };
    },
    foldCopy: (lo, hi) => foldCopyTx(lo, hi),
    foldFinish() {
      staged[other()]!.clear.run();
    },
    rotateStaging() {
      rotateTx();
      active = other();
    },
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

/**
 * The write and maintenance statements of one staging table, keyed `(ts, server_id)`; its
 * history reads are in history-reader.ts.
 */
function stagingStatements(db: Database.Database, table: string) {
  const columns = '(ts, server_id, cpu_pct, mem_pct, disk_pct, net_rx_bps, net_tx_bps, load1)';
  return {
    insertOne: db.prepare(`INSERT OR REPLACE INTO ${table} ${columns} VALUES ${placeholders(1)}`),
    insertMany: db.prepare(
      `INSERT OR REPLACE INTO ${table} ${columns} VALUES ${placeholders(ROWS_PER_STATEMENT)}`,
    ),
    // Sorted by (server_id, ts): each server's leaf page of `samples` is visited once, in order.
    copy: db.prepare<[{ lo: number; hi: number }]>(
      `INSERT OR REPLACE INTO samples
         (server_id, ts, cpu_pct, mem_pct, disk_pct, net_rx_bps, net_tx_bps, load1)
       WITH RECURSIVE t(ts) AS (
         SELECT min(ts) FROM ${table}
         UNION ALL
         SELECT (SELECT min(ts) FROM ${table} WHERE ts > t.ts) FROM t WHERE t.ts IS NOT NULL
       )
       SELECT r.server_id, r.ts, r.cpu_pct, r.mem_pct, r.disk_pct, r.net_rx_bps, r.net_tx_bps,
              r.load1
       FROM t JOIN ${table} r ON r.ts = t.ts AND r.server_id BETWEEN :lo AND :hi
       ORDER BY r.server_id, r.ts`,
    ),
    // No WHERE: SQLite's truncate optimization frees the pages without visiting every row.
    clear: db.prepare(`DELETE FROM ${table}`),
    prune: db.prepare(`DELETE FROM ${table} WHERE ts < ?`),
    oldest: db.prepare<[], number | null>(`SELECT min(ts) FROM ${table}`).pluck(),
    any: db.prepare<[], number>(`SELECT 1 FROM ${table} LIMIT 1`).pluck(),
  };
}

/**
 * The generator's pragmas and schema on an open connection: what `openDatabase` does before
 * preparing its statements, and what the generator bench's bare insert starts from.
 */
export function prepareConnection(
  db: Database.Database,
  log: Logger,
  migrationsDir = MIGRATIONS_DIR,
): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // Checkpoints run after each commit in the tick's idle time (ticker.ts), not inside a commit
  // where they would lengthen the tick.
  db.pragma('wal_autocheckpoint = 0');
  // After a checkpoint, the WAL file is cut back to this size so it does not keep its peak size.
  db.pragma('journal_size_limit = 67108864');
  db.pragma('cache_size = -65536'); // 64 MiB page cache
  // The fold's ORDER BY sorts one slice (up to a generation of rows per server) in memory.
  db.pragma('temp_store = MEMORY');
  db.pragma('busy_timeout = 2000');
  migrate(db, migrationsDir, log);
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
