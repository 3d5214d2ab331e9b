import { Router, type Response } from 'express';
import { z } from 'zod';
import { ROUTES } from '@metrics/protocol';
import { instantSchema, serverIdSchema } from '@metrics/protocol/schemas';
import type { LatestCache, LatestTick } from '../latest-cache.js';
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

/** Query of `GET /v1/fleet`. */
export const fleetQuerySchema = z.object({ after: instantSchema.optional() }).strict();

export interface LatestRouterDeps {
  latest: LatestCache;
  tickMs: number;
}

/**
 * The tick a request gets: with `after`, a long poll answered when a tick newer than `after` is
 * committed, or `undefined` (then 204) after 2 × TICK_MS; without it, the current tick at once
 * (before the first commit of the run it waits for that commit like a long poll, then 503).
 * `null` when the client left while it waited.
 */
async function tickFor(
  res: Response,
  latest: LatestCache,
  tickMs: number,
  after: number | undefined,
): Promise<LatestTick | undefined | null> {
  const aborted = new AbortController();
  res.once('close', () => aborted.abort());
  const tick = await latest.waitForTick(after ?? -Infinity, 2 * tickMs, aborted.signal);
  if (aborted.signal.aborted && !tick) return null; // the client left
  if (!tick) {
    if (after === undefined) throw unavailable('no tick committed yet');
    const current = latest.current();
    if (current) res.set('X-Tick', String(current.tick));
    res.status(204).end();
  }
  return tick;
}

/**
 * `GET /v1/latest?ids=&after=` (the samples as JSON) and `GET /v1/fleet?after=` (the binary
 * fleet frame): the last committed tick from memory, never from the database, both with the
 * same long poll (`tickFor`).
 */
export function latestRouter({ latest, tickMs }: LatestRouterDeps): Router {
  const router = Router();
  router.get(ROUTES.latest, async (req, res) => {
    const q = parseOr400(latestQuerySchema, req.query, 'latest query');
    const tick = await tickFor(res, latest, tickMs, q.after);
    if (!tick) return;
    sendJson(res, latest.body(tick, q.ids), { 'X-Tick': String(tick.tick) });
  });
  router.get(ROUTES.fleet, async (req, res) => {
    const q = parseOr400(fleetQuerySchema, req.query, 'fleet query');
    const tick = await tickFor(res, latest, tickMs, q.after);
    if (!tick) return;
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': tick.fleet.byteLength,
      'Cache-Control': 'no-store',
      'X-Tick': String(tick.tick),
      'X-Servers-Version': String(tick.version),
    });
    res.end(tick.fleet);
  });
  return router;
}
