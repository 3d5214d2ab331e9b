import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorBody, ErrorCode } from '@metrics/protocol';
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';

export interface HealthReport {
  status: 'ok';
  generator: 'up' | 'down';
  servers: number;
  pollers: number;
  clients: number;
  /** ISO time of the newest tick relayed, or null before the first. */
  lastTick: string | null;
}

export interface RoutesOptions {
  health(): HealthReport;
  registry: Registry;
  log: Logger;
}

/**
 * The broadcaster's own HTTP endpoints (socket.io answers `/socket.io/` before these run):
 * `GET /healthz` (200 while the broadcaster serves; the generator's state is a field, so a
 * generator outage does not get the broadcaster restarted) and `GET /metrics` (Prometheus).
 */
export function createRequestHandler({ health, registry, log }: RoutesOptions) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/healthz' && path !== '/metrics') {
      sendError(res, 404, 'not_found', `no route for ${req.method} ${path}`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      sendError(res, 405, 'bad_request', `${req.method} is not allowed on ${path}`);
      return;
    }
    if (path === '/healthz') {
      send(res, 200, 'application/json; charset=utf-8', JSON.stringify(health()), req.method);
      return;
    }
    registry.metrics().then(
      (text) => send(res, 200, registry.contentType, text, req.method),
      (err: unknown) => {
        log.error({ err }, 'metrics collection failed');
        sendError(res, 500, 'internal', 'metrics collection failed');
      },
    );
  };
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  method: string | undefined,
): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(method === 'HEAD' ? undefined : body);
}

function sendError(res: ServerResponse, status: number, code: ErrorCode, message: string): void {
  const body: ErrorBody = { error: { code, message } };
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body), 'GET');
}
