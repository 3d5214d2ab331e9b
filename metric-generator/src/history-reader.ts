/**
 * Reading one or several servers' history from any connection to the generator's database: the
 * writer's own (in-thread reads) or a read-only one in a history reader worker
 * (history-worker.ts). Both run these statements, so both answer exactly the same.
 *
 * A server's history is in up to three tables (see history-merge.ts). The active staging table is
 * read from `staging_state` inside the same read transaction as the three range reads, so a
 * reader on another connection sees one consistent snapshot (WAL) even while the writer rotates
 * the staging tables or folds one of them into `samples`.
 */
import type Database from 'better-sqlite3';
import type { SampleRow } from './db.js';
import { mergeNewest } from './history-merge.js';
import { seriesJson } from './history-json.js';
import { findEntry } from './staged-blocks.js';

/** One read: `from <= ts <= to`, the newest `limit` per server, oldest first. */
export interface HistoryRead {
  /** Server keys and ids, in the order of the answer. */
  servers: readonly { key: number; id: string }[];
  from: number;
  to: number;
  limit: number;
  /** `true`: `{ "series": [ … ] }` (GET /v1/history); `false`: one server's `{ serverId, samples }`. */
  batch: boolean;
}

export interface HistoryReader {
  /** Samples of one server (see `MetricsDatabase.history`). */
  rows(serverKey: number, from: number, to: number, limit: number): SampleRow[];
  /** The JSON body answering `read`, every server read in one transaction. */
  body(read: HistoryRead): string;
}

type RangeParams = { key: number; from: number; to: number; limit: number };

/**
 * Walks a staging table's distinct ticks with one index seek each (a recursive CTE: SQLite has
 * no skip scan without statistics), so a generation of ticks costs a few dozen seeks, not a scan.
 * Per tick, the block that may hold the key is the one with the largest `lo` not above it
 * (staged-blocks.ts); `hi` rules out a key past its last entry.
 */
const stagingSql = (table: string) => `WITH RECURSIVE t(ts) AS (
       SELECT min(ts) FROM ${table} WHERE ts BETWEEN :from AND :to
       UNION ALL
       SELECT (SELECT min(ts) FROM ${table} WHERE ts > t.ts AND ts <= :to) FROM t
       WHERE t.ts IS NOT NULL
     )
     SELECT r.ts, r.v FROM t JOIN ${table} r ON r.ts = t.ts
       AND r.lo = (SELECT max(q.lo) FROM ${table} q WHERE q.ts = t.ts AND q.lo <= :key)
     WHERE r.hi >= :key
     ORDER BY r.ts`;

const SAMPLES_SQL = `SELECT * FROM (
       SELECT server_id AS serverKey, ts, cpu_pct AS cpuPct, mem_pct AS memPct, disk_pct AS diskPct,
              net_rx_bps AS netRxBps, net_tx_bps AS netTxBps, load1
       FROM samples WHERE server_id = :key AND ts BETWEEN :from AND :to ORDER BY ts DESC LIMIT :limit
     ) ORDER BY ts`;

/** Prepares the history statements on `db` once. */
export function createHistoryReader(db: Database.Database): HistoryReader {
  const stagedSql = [0, 1].map((t) => db.prepare(stagingSql(`staged_${t}`)).raw());
  // A staging table holds at most about two generations of ticks: decoded whole, the merge
  // keeps the newest `limit`.
  const staged = (t: number, q: RangeParams): SampleRow[] => {
    const out: SampleRow[] = [];
    const params = { key: q.key, from: q.from, to: q.to };
    for (const [ts, v] of stagedSql[t]!.iterate(params) as Iterable<[number, Buffer]>) {
      const row = findEntry(v, ts, q.key);
      if (row) out.push(row);
    }
    return out;
  };
  const samples = db.prepare<[RangeParams], SampleRow>(SAMPLES_SQL);
  const activeTable = db.prepare<[], number>('SELECT active FROM staging_state').pluck();

  const rowsOf = (active: number, q: RangeParams): SampleRow[] =>
    // Precedence: the active table holds the newest writes, then the one being folded.
    mergeNewest([staged(active, q), staged(1 - active, q), samples.all(q)], q.limit);

  const rowsTx = db.transaction((q: RangeParams) => rowsOf(activeTable.get() ?? 0, q));
  const bodyTx = db.transaction((read: HistoryRead): string => {
    const active = activeTable.get() ?? 0;
    const parts = read.servers.map(({ key, id }) =>
      seriesJson(id, rowsOf(active, { key, from: read.from, to: read.to, limit: read.limit })),
    );
    return read.batch ? `{"series":[${parts.join(',')}]}` : (parts[0] ?? '');
  });

  return {
    rows: (key, from, to, limit) => rowsTx({ key, from, to, limit }),
    body: (read) => bodyTx(read),
  };
}
