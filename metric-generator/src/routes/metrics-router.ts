import { Router } from 'express';
import { ROUTES } from '@metrics/protocol';
import type { GeneratorMetrics } from '../metrics.js';

/** `GET /metrics`: Prometheus text exposition of this app's registry. */
export function metricsRouter(metrics: GeneratorMetrics, refresh: () => void): Router {
  const router = Router();
  router.get(ROUTES.metrics, async (_req, res) => {
    refresh();
    const text = await metrics.registry.metrics();
    res.set('Content-Type', metrics.registry.contentType).send(text);
  });
  return router;
}
