/**
 * The production static server for the built dashboard (`frontend/dist`), behind nginx.
 * Hashed files under `/assets/` never change, so they are cached for a year as immutable;
 * `index.html` names the current hashes, so it is revalidated on every load (`no-cache`),
 * which makes a deploy visible at once. Routing is by URL hash, so `/` is the only page.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import compression from 'compression';
import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Logger } from 'pino';

export interface AppOptions {
  /** The Vite build output: `index.html` and `assets/`. */
  root: string;
  log: Logger;
}

export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const REVALIDATE = 'no-cache';
/** Unhashed extras (robots.txt and the like): cached briefly. */
export const SHORT = 'public, max-age=300';

export function createApp({ root, log }: AppOptions): Express {
  const index = join(root, 'index.html');
  if (!existsSync(index)) {
    throw new Error(`${index} not found: build the dashboard first (npm run build -w frontend)`);
  }
  const httpLog = log.child({ module: 'http' });
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', 'strong');
  app.use(compression());
  app.use((req, res, next) => {
    const started = performance.now();
    res.on('finish', () =>
      httpLog.debug(
        {
          method: req.method,
          url: req.originalUrl,
          status: res.statusCode,
          ms: performance.now() - started,
        },
        'request',
      ),
    );
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });

  app.use(
    '/assets',
    express.static(join(root, 'assets'), {
      index: false,
      redirect: false,
      fallthrough: true,
      setHeaders: (res) => res.setHeader('Cache-Control', IMMUTABLE),
    }),
  );

  const sendIndex: express.RequestHandler = (_req, res, next) => {
    res.set('Cache-Control', REVALIDATE);
    res.sendFile(index, { cacheControl: false }, (err) => err && next(err));
  };
  app.get(['/', '/index.html'], sendIndex);

  app.use(
    express.static(root, {
      index: false,
      redirect: false,
      setHeaders: (res) => res.setHeader('Cache-Control', SHORT),
    }),
  );

  app.use((req, res) => {
    res
      .status(404)
      .set('Cache-Control', 'no-store')
      .json({ error: { code: 'not_found', message: `no such file: ${req.path}` } });
  });

  const onError: ErrorRequestHandler = (err: unknown, req, res, _next) => {
    const status =
      typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number'
        ? err.status
        : 500;
    if (status >= 500) httpLog.error({ err, url: req.originalUrl }, 'request failed');
    if (res.headersSent) return;
    res
      .status(status)
      .set('Cache-Control', 'no-store')
      .json({
        error:
          status === 404
            ? { code: 'not_found', message: `no such file: ${req.path}` }
            : status < 500
              ? { code: 'bad_request', message: 'bad request' }
              : { code: 'internal', message: 'internal error' },
      });
  };
  app.use(onError);
  return app;
}
