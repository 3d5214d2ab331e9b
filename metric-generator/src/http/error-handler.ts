import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { ErrorBody } from '@metrics/protocol';
import type { Logger } from 'pino';
import { HttpError, notFound } from './http-error.js';

/** Unknown routes become a 404 in the one error format. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(notFound(`no route ${req.method} ${req.path}`));
};

/**
 * The one error handler: every error becomes `{ error: { code, message } }`. Expected errors
 * carry their status; anything else is logged with its stack and answered 500 without details.
 */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    let status = 500;
    let body: ErrorBody = { error: { code: 'internal', message: 'internal error' } };
    if (err instanceof HttpError) {
      status = err.status;
      body = { error: { code: err.code, message: err.message } };
      res.set(err.headers);
    } else if (isClientError(err)) {
      // Errors raised by Express itself for a bad request, e.g. a malformed %-escape in the path.
      status = err.status;
      body = { error: { code: 'bad_request', message: err.expose ? err.message : 'bad request' } };
    } else {
      log.error({ err, method: req.method, url: req.originalUrl }, 'request failed');
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status).json(body);
  };
}

function isClientError(err: unknown): err is { status: number; message: string; expose?: boolean } {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}
