import { Router } from 'express';
import { ROUTES } from '@metrics/protocol';
import { serverIdSchema } from '@metrics/protocol/schemas';
import type { MetricsDatabase } from '../db.js';
import { rowJson } from '../history-json.js';
import { sampleJson, type LatestCache } from '../latest-cache.js';
import type { ServerRef } from '../server-ids.js';
import { notFound, unavailable } from '../http/http-error.js';
import { parseOr400 } from '../http/validate.js';
import { sendJson } from './send-json.js';

export interface ServersRouterDeps {
  servers: readonly ServerRef[];
  db: MetricsDatabase;
  latest: LatestCache;
}

export { rowJson } from '../history-json.js';

/** `GET /v1/servers`, `GET /v1/servers/:id/latest` (history: history-router.ts). */
export function serversRouter({ servers, db, latest }: ServersRouterDeps): Router {
  const router = Router();
  const byId = new Map(servers.map((s) => [s.id, s]));
  const listBody = JSON.stringify({ servers: servers.map((s) => ({ id: s.id })) });

  const serverOf = (rawId: unknown): ServerRef => {
    const id = parseOr400(serverIdSchema, rawId, 'server id');
    const server = byId.get(id);
    if (!server) throw notFound(`unknown server ${JSON.stringify(id)}`);
    return server;
  };

  router.get(ROUTES.servers, (_req, res) => sendJson(res, listBody));

  router.get('/v1/servers/:id/latest', (req, res) => {
    const server = serverOf(req.params.id);
    const current = latest.current();
    const slot = current?.slotOf.get(server.id);
    if (current && slot !== undefined && slot < current.count) {
      sendJson(res, sampleJson(current, slot), { 'X-Tick': String(current.tick) });
      return;
    }
    // Before the first commit of this run: the newest sample from an earlier run, if any.
    const row = db.latest(server.key);
    if (!row) throw unavailable(`no sample of ${server.id} committed yet`);
    sendJson(res, rowJson(server.id, row), { 'X-Tick': String(row.ts) });
  });

  return router;
}
