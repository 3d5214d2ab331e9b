import { Router, type Response } from 'express';
import { ROUTES } from '@metrics/protocol';
import {
  historyBatchQuerySchema,
  historyQuerySchema,
  serverIdSchema,
} from '@metrics/protocol/schemas';
import type { HistoryRead } from '../history-reader.js';
import { HistoryBusyError, type HistoryPool } from '../history-pool.js';
import { notFound, unavailable } from '../http/http-error.js';
import { parseOr400 } from '../http/validate.js';
import type { ServerRef } from '../server-ids.js';
import { sendJson } from './send-json.js';

export interface HistoryRouterDeps {
  servers: readonly ServerRef[];
  pool: HistoryPool;
}

/**
 * `GET /v1/servers/:id/history` (one server) and `GET /v1/history?ids=a,b` (several in one read,
 * `{ "series": [ … ] }` in the order asked). Same validation for both: 400 for anything malformed,
 * 404 naming the unknown ids; the reads run in the history pool (503 + `Retry-After` when it is
 * saturated).
 */
export function historyRouter({ servers, pool }: HistoryRouterDeps): Router {
  const router = Router();
  const byId = new Map(servers.map((s) => [s.id, s]));

  const send = async (res: Response, read: HistoryRead) => {
    let body: string | Uint8Array;
    try {
      body = await pool.read(read);
    } catch (err) {
      if (err instanceof HistoryBusyError) throw unavailable(err.message, err.retryAfterS);
      throw err;
    }
    sendJson(
      res,
      typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
    );
  };

  router.get('/v1/servers/:id/history', async (req, res) => {
    const id = parseOr400(serverIdSchema, req.params.id, 'server id');
    const server = byId.get(id);
    if (!server) throw notFound(`unknown server ${JSON.stringify(id)}`);
    const q = parseOr400(historyQuerySchema, req.query, 'history query');
    await send(res, {
      servers: [{ key: server.key, id: server.id }],
      from: q.from ?? 0,
      to: q.to ?? Number.MAX_SAFE_INTEGER,
      limit: q.limit,
      batch: false,
    });
  });

  router.get(ROUTES.history, async (req, res) => {
    const q = parseOr400(historyBatchQuerySchema, req.query, 'history query');
    const unknown = q.ids.filter((id) => !byId.has(id));
    if (unknown.length) {
      throw notFound(
        `unknown server${unknown.length > 1 ? 's' : ''} ${unknown.map((id) => JSON.stringify(id)).join(', ')}`,
      );
    }
    await send(res, {
      servers: q.ids.map((id) => ({ key: byId.get(id)!.key, id })),
      from: q.from ?? 0,
      to: q.to ?? Number.MAX_SAFE_INTEGER,
      limit: q.limit,
      batch: true,
    });
  });

  return router;
}
