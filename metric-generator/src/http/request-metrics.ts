import type { RequestHandler } from 'express';
import type { GeneratorMetrics } from '../metrics.js';

/**
 * Counts every request by method, matched route pattern (not the raw path, so ids do not
 * explode the label set) and status; a request whose client left before the answer is `499`.
 */
export function requestMetrics(metrics: GeneratorMetrics): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.once('close', () => {
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      const status = res.writableFinished ? String(res.statusCode) : '499';
      metrics.httpRequests.inc({ method: req.method, route, status });
      metrics.httpDuration.observe({ route }, (performance.now() - started) / 1000);
    });
    next();
  };
}
