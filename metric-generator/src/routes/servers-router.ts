import { Router } from 'express';
import { HISTORY_LIMIT_DEFAULT, ROUTES } from '@metrics/protocol';
import { historyQuerySchema, serverIdSchema } from '@metrics/protocol/schemas';
import type { MetricsDatabase, SampleRow } from '../db.js';
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

/** Serializes a stored row exactly like the latest cache does (`Sample` key order). */
export function rowJson(id: string, row: SampleRow): string {
  return (
    `{"serverId":${JSON.stringify(id)},"timestamp":"${new Date(row.ts).toISOString()}",` +
    `"cpuPct":${row.cpuPct},"memPct":${row.memPct},"diskPct":${row.diskPct},` +
    `"netRxBps":${row.netRxBps},"netTxBps":${row.netTxBps},"load1":${row.load1}}`
  );
}

/** `GET /v1/servers`, `GET /v1/servers/:id/latest`, `GET /v1/servers/:id/history`. */
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

  router.get('/v1/servers/:id/history', (req, res) => {
    const server = serverOf(req.params.id);
    const q = parseOr400(historyQuerySchema, req.query, 'history query');
    const rows = db.history(
      server.key,
      q.from ?? 0,
      q.to ?? Number.MAX_SAFE_INTEGER,
      q.limit ?? HISTORY_LIMIT_DEFAULT,
    );
    const samples = rows.map((r) => rowJson(server.id, r)).join(',');
    sendJson(res, `{"serverId":${JSON.stringify(server.id)},"samples":[${samples}]}`);
  });

  return router;
}
