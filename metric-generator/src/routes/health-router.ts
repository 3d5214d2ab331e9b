import { Router } from 'express';
import { ROUTES, type HealthResponse } from '@metrics/protocol';
import type { Ticker } from '../ticker.js';

export interface HealthDeps {
  ticker: Ticker;
  tickMs: number;
  /** A function when the set can change (real servers from a file_sd file). */
  serverCount: number | (() => number);
  now?: () => number;
}

export interface HealthReport extends HealthResponse {
  reason?: string;
}

/** Ticks count as stalled when none has committed for this long. */
export const stallAfterMs = (tickMs: number) => Math.max(3 * tickMs, 2_000);

/**
 * Pure: health from the ticker's status. 503-worthy (`error`) when the last tick failed to commit
 * (e.g. disk full, database unwritable) or when no tick has committed for `stallAfterMs`.
 */
export function healthReport({
  ticker,
  tickMs,
  serverCount,
  now = Date.now,
}: HealthDeps): HealthReport {
  const s = ticker.status();
  const t = now();
  const since = s.lastCommittedAt ?? s.startedAt;
  const details = {
    servers: typeof serverCount === 'function' ? serverCount() : serverCount,
    tickMs,
    lastTick:
      s.lastCommittedTick === undefined ? null : new Date(s.lastCommittedTick).toISOString(),
    lastTickAgeMs: s.lastCommittedAt === undefined ? null : t - s.lastCommittedAt,
    missedTicks: s.missedTicks,
    consecutiveFailures: s.consecutiveFailures,
  };
  let reason: string | undefined;
  if (s.lastError) reason = `database write failed: ${s.lastError.message}`;
  else if (!s.running) reason = 'not ticking';
  else if (t - since > stallAfterMs(tickMs)) reason = `no tick committed for ${t - since} ms`;
  return reason ? { status: 'error', reason, ...details } : { status: 'ok', ...details };
}

export function healthRouter(deps: HealthDeps): Router {
  const router = Router();
  router.get(ROUTES.health, (_req, res) => {
    const report = healthReport(deps);
    if (report.status === 'ok') {
      res.status(200).json(report);
      return;
    }
    res
      .status(503)
      .set('Cache-Control', 'no-store')
      .json({ ...report, error: { code: 'unavailable', message: report.reason } });
  });
  return router;
}
