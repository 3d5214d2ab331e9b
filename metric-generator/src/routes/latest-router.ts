import { Router } from 'express';
import { z } from 'zod';
import { ROUTES } from '@metrics/protocol';
import { instantSchema, serverIdSchema } from '@metrics/protocol/schemas';
import type { LatestCache } from '../latest-cache.js';
import { unavailable } from '../http/http-error.js';
import { parseOr400 } from '../http/validate.js';
import { sendJson } from './send-json.js';

/** At most this many ids per request (the largest fleet). */
export const LATEST_MAX_IDS = 100_000;

export const latestQuerySchema = z
  .object({
    ids: z
      .string()
      .max(LATEST_MAX_IDS * 65)
      .transform((s) => s.split(','))
      .pipe(
        z
          .array(serverIdSchema)
          .max(LATEST_MAX_IDS, `at most ${LATEST_MAX_IDS} ids`)
          .transform((ids) => [...new Set(ids)]),
      )
      .optional(),
    after: instantSchema.optional(),
  })
  .strict();

export interface LatestRouterDeps {
  latest: LatestCache;
  tickMs: number;
}

/**
 * `GET /v1/latest?ids=&after=`: the last committed tick from memory, never from the database.
 * With `after`, a long poll: answered when a tick newer than `after` is committed, or 204 after
 * 2 × TICK_MS. Without it, answered at once (before the first commit of the run it waits for
 * that commit like a long poll, then 503).
 */
export function latestRouter({ latest, tickMs }: LatestRouterDeps): Router {
  const router = Router();
  router.get(ROUTES.latest, async (req, res) => {
    const q = parseOr400(latestQuerySchema, req.query, 'latest query');
    const aborted = new AbortController();
    res.once('close', () => aborted.abort());
    const tick = await latest.waitForTick(q.after ?? -Infinity, 2 * tickMs, aborted.signal);
    if (aborted.signal.aborted && !tick) return; // the client left
    if (!tick) {
      if (q.after === undefined) throw unavailable('no tick committed yet');
      const current = latest.current();
      if (current) res.set('X-Tick', String(current.tick));
      res.status(204).end();
      return;
    }
    sendJson(res, latest.body(tick, q.ids), { 'X-Tick': String(tick.tick) });
  });
  return router;
}
