import { Router } from 'express';
import { ROUTES } from '@metrics/protocol';
import { serverIdSchema } from '@metrics/protocol/schemas';
import type { MetricsDatabase } from '../db.js';
import { rowJson } from '../history-json.js';
import { hasSample, sampleJson, type LatestCache } from '../latest-cache.js';
import type { ServerCatalog } from '../server-catalog.js';
import type { ServerRef } from '../server-ids.js';
import { notFound, unavailable } from '../http/http-error.js';
import { parseOr400 } from '../http/validate.js';
import { sendJson } from './send-json.js';

export interface ServersRouterDeps {
  catalog: ServerCatalog;
  db: MetricsDatabase;
  latest: LatestCache;
}

/** `GET /v1/servers` (with the list's `version`), `GET /v1/servers/:id/latest` (history: history-router.ts). */
export function serversRouter({ catalog, db, latest }: ServersRouterDeps): Router {
  const router = Router();

  const serverOf = (rawId: unknown): ServerRef => {
    const id = parseOr400(serverIdSchema, rawId, 'server id');
    const server = catalog.find(id);
    if (!server) throw notFound(`unknown server ${JSON.stringify(id)}`);
    return server;
  };

  router.get(ROUTES.servers, (_req, res) => sendJson(res, catalog.listBody()));

  router.get('/v1/servers/:id/latest', (req, res) => {
    const server = serverOf(req.params.id);
    const current = latest.current();
    const slot = current?.slotOf.get(server.id);
    if (current && slot !== undefined && hasSample(current, slot)) {
      sendJson(res, sampleJson(current, slot), { 'X-Tick': String(current.tick) });
      return;
    }
    // Before the first commit of this run, or a real server without a sample this tick: the
    // newest stored sample (its timestamp tells how old it is), if any.
    const row = db.latest(server.key);
    if (!row) throw unavailable(`no sample of ${server.id} committed yet`);
    sendJson(res, rowJson(server.id, row), { 'X-Tick': String(row.ts) });
  });

  return router;
}
