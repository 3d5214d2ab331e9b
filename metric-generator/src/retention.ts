import type { Logger } from 'pino';
import type { MetricsDatabase } from './db.js';

/**
 * Retention: rows older than RETENTION_SECONDS are deleted server by server (each a range delete
 * on the primary key), in batches run in the idle time after a tick's commit. A batch is a
 * transaction over at most `batchServers` servers; batches stop at a deadline set before the next
 * tick, so pruning never delays a tick. Servers no longer configured are pruned too (their keys
 * stay in the `servers` table), so their rows age out. Each pass starts by deleting the expired
 * rows of the two staging tables (one range delete each: they are keyed by time), which matters
 * only when the retention is shorter than a staging generation.
 */

/** Pure: the next batch of a pass over `keys` starting at `cursor`. */
export function nextBatch(
  keys: readonly number[],
  cursor: number,
  batchServers: number,
): { batch: readonly number[]; cursor: number; passDone: boolean } {
  const end = Math.min(keys.length, cursor + Math.max(1, batchServers));
  return { batch: keys.slice(cursor, end), cursor: end, passDone: end >= keys.length };
}

export interface RetentionOptions {
  db: MetricsDatabase;
  retentionMs: number;
  log: Logger;
  /** Servers per transaction. */
  batchServers?: number;
  /** Called with the rows deleted by each batch. */
  onPruned?: (rows: number) => void;
}

export interface Retention {
  /**
   * Prunes for `tick`'s cutoff in batches while `keepGoing()` (the ticker's deadline before the
   * next tick) and the pass is not complete.
   * Yields to the event loop between batches (so HTTP is served). Resolves with rows deleted.
   * A pass covers every known server once; the next pass starts at a later tick.
   */
  runSlice(tick: number, keepGoing: () => boolean): Promise<number>;
  /** Rows deleted so far. */
  readonly pruned: number;
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createRetention({
  db,
  retentionMs,
  log: parentLog,
  batchServers = 500,
  onPruned,
}: RetentionOptions): Retention {
  const log = parentLog.child({ module: 'retention' });
  let keys: number[] = [];
  let cursor = 0;
  let passTick: number | undefined;
  let stagedDue = false;
  let pruned = 0;
  const pruneBatch = db.handle.transaction((batch: readonly number[], cutoff: number) => {
    let rows = 0;
    for (const key of batch) rows += db.pruneServer(key, cutoff);
    return rows;
  });

  return {
    get pruned() {
      return pruned;
    },
    async runSlice(tick, keepGoing) {
      let rows = 0;
      if (passTick === undefined || (cursor >= keys.length && tick > passTick)) {
        keys = db.knownServerKeys();
        cursor = 0;
        passTick = tick;
        stagedDue = true;
      }
      const cutoff = passTick - retentionMs;
      if (stagedDue && keepGoing()) {
        const staged = db.pruneStaged(cutoff);
        stagedDue = false;
        rows += staged;
        if (staged) onPruned?.(staged);
      }
      while (cursor < keys.length && keepGoing()) {
        const next = nextBatch(keys, cursor, batchServers);
        const deleted = pruneBatch(next.batch, cutoff);
        cursor = next.cursor;
        rows += deleted;
        if (deleted) onPruned?.(deleted);
        if (!next.passDone) await yieldToLoop();
      }
      pruned += rows;
      if (rows) log.debug({ rows, cutoff }, 'pruned');
      return rows;
    },
  };
}
