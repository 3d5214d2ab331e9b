import type { Logger } from 'pino';
import type { MetricsDatabase } from './db.js';
import { nextBatch } from './retention.js';

/**
 * The fold: moves staged ticks into `samples` (see migrations/002_staging.sql).
 *
 * Each tick is appended to the active staging table. When the active table holds a generation
 * (its oldest tick is `generationTicks - 1` periods old) and the other table is empty, the two
 * swap roles.
 * The table that stopped receiving is then copied into `samples` in slices of servers, one slice
 * per tick in the idle time after the commit, so that the copy of a generation is spread over
 * about one generation of ticks; when every slice is copied the table is emptied in one
 * statement. Each server's leaf page of `samples` is thus written once per generation (with a
 * generation of rows), not once per tick.
 *
 * Crash safety: a copy is one transaction and `INSERT OR REPLACE`, so copying a slice again
 * after a restart is harmless; the table is emptied only after the last slice is committed. A
 * row is therefore always in `samples`, in a staging table, or in both with the same values
 * (the history merge prefers the staging copy, see history-merge.ts).
 */
export interface FoldOptions {
  db: MetricsDatabase;
  tickMs: number;
  /** Ticks per generation. */
  generationTicks?: number;
  /** Servers per fold transaction (default `FOLD_CHUNK_SERVERS`). */
  chunkServers?: number;
  log: Logger;
}

export interface Fold {
  /**
   * One step for `tick`: copy the next slice, empty the folded table, or rotate. Runs when
   * `keepGoing()` allows, and regardless of it when the fold is a whole generation behind, so
   * staging stays bounded even when the machine is too busy to have idle time.
   */
  runSlice(tick: number, keepGoing: () => boolean): Promise<FoldStep>;
}

export type FoldStep =
  | { kind: 'idle' }
  | { kind: 'skipped' }
  | { kind: 'copied'; rows: number; done: boolean }
  | { kind: 'rotated' };

/**
 * Servers per fold transaction: about 15,000 rows (30 ticks each), some 40 ms on this project's
 * 2-core reference machine.
 */
export const FOLD_CHUNK_SERVERS = 500;

/** Ticks per generation: the trade-off between `samples` pages written per tick and staged rows. */
export const GENERATION_TICKS = 30;

/** Pure: how many servers a slice holds so that a pass takes about `generationTicks - 2` ticks. */
export function foldSliceSize(servers: number, generationTicks: number): number {
  return Math.max(1, Math.ceil(servers / Math.max(1, generationTicks - 2)));
}

/** Pure: the key range of a slice; the first and last slices are open-ended. */
export function sliceRange(
  keys: readonly number[],
  from: number,
  to: number,
): { lo: number; hi: number } {
  return {
    lo: from === 0 ? Number.MIN_SAFE_INTEGER : keys[from]!,
    hi: to >= keys.length ? Number.MAX_SAFE_INTEGER : keys[to - 1]!,
  };
}

export function createFold({
  db,
  tickMs,
  generationTicks = GENERATION_TICKS,
  chunkServers = FOLD_CHUNK_SERVERS,
  log: parentLog,
}: FoldOptions): Fold {
  const log = parentLog.child({ module: 'fold' });
  const generationMs = generationTicks * tickMs;
  let keys: number[] | undefined;
  let cursor = 0;

  return {
    async runSlice(tick, keepGoing) {
      const status = db.stagingStatus();
      const oldest = Math.min(status.activeOldest ?? Infinity, status.pendingOldest ?? Infinity);
      const behind = oldest !== Infinity && tick - oldest >= 2 * generationMs;
      if (!behind && !keepGoing()) return { kind: 'skipped' };
      if (status.foldPending) {
        if (!keys) {
          keys = db.knownServerKeys();
          cursor = 0;
        }
        // A slice is copied in chunks, one transaction each, with a turn of the event loop
        // between them: HTTP requests waiting on the thread are answered within a chunk's time.
        const slice = foldSliceSize(keys.length, generationTicks);
        let servers = 0;
        let rows = 0;
        for (;;) {
          const start = cursor;
          const next = nextBatch(keys, start, Math.min(chunkServers, slice - servers));
          const { lo, hi } = sliceRange(keys, start, next.cursor);
          rows += db.foldCopy(lo, hi);
          servers += next.cursor - start;
          cursor = next.cursor;
          if (next.passDone) {
            db.foldFinish();
            keys = undefined;
            log.debug({ tick }, 'staging generation folded');
            return { kind: 'copied', rows, done: true };
          }
          if (servers >= slice) break;
          await new Promise<void>((resolve) => setImmediate(resolve));
          // Out of idle time: the rest of the slice waits for the next tick's.
          if (!behind && !keepGoing()) break;
        }
        return { kind: 'copied', rows, done: false };
      }
      const age = status.activeOldest === undefined ? 0 : tick - status.activeOldest;
      if (age >= generationMs - tickMs) {
        db.rotateStaging();
        log.debug({ tick, active: db.stagingStatus().active }, 'staging rotated');
        return { kind: 'rotated' };
      }
      return { kind: 'idle' };
    },
  };
}
