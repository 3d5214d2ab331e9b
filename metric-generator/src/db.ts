import { readdirSync, readFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { SampleColumns } from './simulation.js';
import type { ServerRef } from './server-ids.js';
import { createHistoryReader } from './history-reader.js';
import {
  blockSize,
  ENTRY_BYTES,
  ENTRY_VALUES,
  entryValues,
  forEachBlock,
  keyOrder,
  tickBytes,
  type BlockOut,
} from './staged-blocks.js';

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

/** The two time-ordered staging tables (migrations/002_staging.sql, 003_staged_blocks.sql). */
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
   * Writes one tick, every server's sample, in one transaction, to the active staging table, in
   * blocks of servers (staged-blocks.ts). `keys[i]` is the server key of slot i; slots
   * 0 … count-1 of `columns` are written, except those whose `cpuPct` is NaN (no sample this
   * tick). Returns the samples written. Throws (and writes nothing) on failure.
   */
  writeTick(tick: number, keys: Int32Array, columns: SampleColumns, count: number): number;
  /**
   * The keys of real servers named `names`, registering the new ones: a name keeps its key across
   * restarts, new names get keys from `REAL_SERVER_KEY_BASE` up (above every `server-N`).
   */
  keysFor(names: readonly string[]): Map<string, number>;
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
  /** Deletes the samples older than `cutoff` from both staging tables (a range on their key); returns how many. */
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

/** Keys of real (scraped) servers start here, above the largest `server-N` key (999,999). */
export const REAL_SERVER_KEY_BASE = 1_000_000;

/** Rows per multi-row INSERT into `samples`: 128 × 8 parameters, far below SQLite's 32,766. */
const ROWS_PER_STATEMENT = 128;
const COLUMNS = 8;
/** Staged blocks per multi-row INSERT (4 parameters each). */
const BLOCKS_PER_STATEMENT = 16;

function placeholders(rows: number, columns: number): string {
  const row = `(${Array.from({ length: columns }, () => '?').join(',')})`;
  return Array.from({ length: rows }, () => row).join(',');
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

  const staged = ([0, 1] as const).map((t) => stagingStatements(db, `staged_${t}`));
  let active = db.prepare('SELECT active FROM staging_state').pluck().get() as StagingTable;
  const setActive = db.prepare('UPDATE staging_state SET active = ?');
  const insertServer = db.prepare('INSERT OR IGNORE INTO servers (id, name) VALUES (?, ?)');
  const selectKeyByName = db
    .prepare<[string], number>('SELECT id FROM servers WHERE name = ?')
    .pluck();
  const selectMaxKey = db.prepare<[], number | null>('SELECT max(id) FROM servers').pluck();
  const selectServerKeys = db.prepare<[], number>('SELECT id FROM servers ORDER BY id').pluck();
  const deleteOld = db.prepare('DELETE FROM samples WHERE server_id = ? AND ts < ?');

  const perBlock = blockSize(db.pragma('page_size', { simple: true }) as number);
  const orders = new WeakMap<Int32Array, Int32Array | undefined>();
  let tickBuffer = Buffer.alloc(0);
  const blockArgs: (number | Buffer)[] = new Array<number | Buffer>(BLOCKS_PER_STATEMENT * 4);
  const writeTx = db.transaction(
    (tick: number, keys: Int32Array, c: SampleColumns, count: number): number => {
      const { insertMany, insertOne } = staged[active]!;
      if (!orders.has(keys)) orders.set(keys, keyOrder(keys));
      if (tickBuffer.length < tickBytes(count)) tickBuffer = Buffer.alloc(tickBytes(count));
      let filled = 0; // blocks in `blockArgs`
      const emit = (b: BlockOut) => {
        const o = filled * 4;
        blockArgs[o] = tick;
        blockArgs[o + 1] = b.lo;
        blockArgs[o + 2] = b.hi;
        blockArgs[o + 3] = b.bytes;
        if (++filled === BLOCKS_PER_STATEMENT) {
          insertMany.run(blockArgs);
          filled = 0;
        }
      };
      const written = forEachBlock(keys, orders.get(keys), c, count, perBlock, tickBuffer, emit);
      for (let j = 0; j < filled; j++) insertOne.run(blockArgs.slice(j * 4, j * 4 + 4));
      return written;
    },
  );
  const registerTx = db.transaction((servers: readonly ServerRef[]) => {
    for (const s of servers) insertServer.run(s.key, s.id);
  });
  const keysTx = db.transaction((names: readonly string[]) => {
    const out = new Map<string, number>();
    let next = Math.max(REAL_SERVER_KEY_BASE - 1, selectMaxKey.get() ?? 0) + 1;
    for (const name of names) {
      let key = selectKeyByName.get(name);
      if (key === undefined) {
        key = next++;
        insertServer.run(key, name);
      }
      out.set(name, key);
    }
    return out;
  });
  const other = () => (1 - active) as StagingTable;
  const insertSamples = db.prepare(
    `INSERT OR REPLACE INTO samples
       (server_id, ts, cpu_pct, mem_pct, disk_pct, net_rx_bps, net_tx_bps, load1)
     VALUES ${placeholders(ROWS_PER_STATEMENT, COLUMNS)}`,
  );
  const insertSample = db.prepare(
    `INSERT OR REPLACE INTO samples
       (server_id, ts, cpu_pct, mem_pct, disk_pct, net_rx_bps, net_tx_bps, load1)
     VALUES ${placeholders(1, COLUMNS)}`,
  );
  const sampleArgs: number[] = new Array<number>(ROWS_PER_STATEMENT * COLUMNS);
  const foldCopyTx = db.transaction((lo: number, hi: number): number => {
    // Tick by tick, as staged: the pages of `samples` the slice touches stay in the page cache
    // for the whole transaction, so the order of the inserts does not change what is written.
    let rows = 0;
    let filled = 0;
    // Read whole first: a connection cannot write while one of its statements still iterates.
    const slice = staged[other()]!.slice.all({ lo, hi }) as [number, Buffer][];
    for (const [ts, v] of slice) {
      const f = entryValues(v);
      for (let o = 0; o < f.length; o += ENTRY_VALUES) {
        const key = f[o]!;
        if (key < lo) continue;
        if (key > hi) break;
        const a = filled * COLUMNS;
        sampleArgs[a] = key;
        sampleArgs[a + 1] = ts;
        for (let c = 1; c < ENTRY_VALUES; c++) sampleArgs[a + 1 + c] = f[o + c]!;
        rows++;
        if (++filled === ROWS_PER_STATEMENT) {
          insertSamples.run(sampleArgs);
          filled = 0;
        }
      }
    }
    for (let j = 0; j < filled; j++) {
      insertSample.run(sampleArgs.slice(j * COLUMNS, (j + 1) * COLUMNS));
    }
    return rows;
  });
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
    keysFor: (names) => keysTx(names),
    history,
    latest: (key) => history(key, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 1)[0],
    knownServerKeys: () => selectServerKeys.all(),
    pruneServer: (key, cutoff) => deleteOld.run(key, cutoff).changes,
    pruneStaged(cutoff) {
      let bytes = 0;
      for (const t of staged) for (const length of t.prune.all(cutoff)) bytes += length;
      return bytes / ENTRY_BYTES;
    },
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
 * The write and maintenance statements of one staging table of blocks, keyed `(ts, lo)`
 * (staged-blocks.ts); its history reads are in history-reader.ts.
 */
function stagingStatements(db: Database.Database, table: string) {
  const columns = '(ts, lo, hi, v)';
  return {
    insertOne: db.prepare(
      `INSERT OR REPLACE INTO ${table} ${columns} VALUES ${placeholders(1, 4)}`,
    ),
    insertMany: db.prepare(
      `INSERT OR REPLACE INTO ${table} ${columns} VALUES ${placeholders(BLOCKS_PER_STATEMENT, 4)}`,
    ),
    // The blocks of every tick that may hold keys lo … hi: from the one holding `lo` (the largest
    // `lo` not above it) to the last one starting at or below `hi`; a seek per tick.
    slice: db
      .prepare<[{ lo: number; hi: number }]>(
        `WITH RECURSIVE t(ts) AS (
           SELECT min(ts) FROM ${table}
           UNION ALL
           SELECT (SELECT min(ts) FROM ${table} WHERE ts > t.ts) FROM t WHERE t.ts IS NOT NULL
         ),
         b(ts, first) AS (
           SELECT ts, coalesce((SELECT max(q.lo) FROM ${table} q WHERE q.ts = t.ts AND q.lo <= :lo), :lo)
           FROM t WHERE ts IS NOT NULL
         )
         SELECT r.ts, r.v FROM b JOIN ${table} r ON r.ts = b.ts AND r.lo BETWEEN b.first AND :hi`,
      )
      .raw(),
    // No WHERE: SQLite's truncate optimization frees the pages without visiting every row.
    clear: db.prepare(`DELETE FROM ${table}`),
    // The samples deleted, not the block rows: each block's byte length says how many it held.
    prune: db
      .prepare<[number], number>(`DELETE FROM ${table} WHERE ts < ? RETURNING length(v)`)
      .pluck(),
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
  // Temporary b-trees (the recursive CTEs' queues, sorts that no index serves) stay in memory.
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
