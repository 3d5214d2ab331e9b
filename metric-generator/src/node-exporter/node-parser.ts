/**
 * Where a scraped answer becomes a `NodeReading`: on the tick's thread, through the parse queue
 * (parse-queue.ts), behind the sockets. A body that is not a usable answer fails with
 * `ScrapeError('bad_answer', …)`.
 *
 * Tried and not kept: the parsing on a worker thread of its own. Measured side by side on the
 * quiet 2-core machine at 1,000 targets (bench:exporters, 2026-12-02 02:05 UTC), it took the
 * tick's sampling p50 from 225 to 195 ms but its p99 only from 271 to 266 ms, for 5 % more CPU
 * per tick (copying each answer to the thread and the reading back), and at 100 targets it cost
 * 40 % more CPU for a slower tick.
 */
import { parseExposition } from './exposition.js';
import { NODE_FAMILIES, readNode, type NodeReading } from './node-reading.js';
import { createParseQueue } from './parse-queue.js';
import { ScrapeError } from './scrape-error.js';

export interface NodeParser {
  /** The reading of `body`, an answer that arrived at `at` (epoch ms). */
  read(body: Uint8Array | string, at: number, mountPoint: string): Promise<NodeReading>;
}

export function createNodeParser(): NodeParser {
  const queue = createParseQueue();
  return {
    read(body, at, mountPoint) {
      return queue.run(() => {
        try {
          return readNode(parseExposition(body, NODE_FAMILIES), at, mountPoint);
        } catch (err) {
          throw new ScrapeError('bad_answer', `bad answer: ${(err as Error).message}`);
        }
      });
    },
  };
}
