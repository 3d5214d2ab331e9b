import { describe, expect, it } from 'vitest';
import { startService } from '../../scripts/lib/service-process.js';

describe('metric-generator process without stdout', () => {
  // Seen in the field: with the reading end of its stdout pipe closed, pino's exit-time flush
  // retried EPIPE forever and the generator never exited, whatever signal it got.
  it('exits 0 on SIGTERM after whoever read its stdout has gone', async () => {
    const service = await startService('metric-generator', {
      PORT: '0',
      DB_PATH: ':memory:',
      TICK_MS: '100',
    });
    service.child.stdout!.destroy();
    await new Promise((r) => setTimeout(r, 300)); // a few ticks' log lines meet the closed pipe
    const before = Date.now();
    expect(await service.stop('SIGTERM', 5_000)).toEqual({ code: 0, signal: null });
    expect(Date.now() - before).toBeLessThan(3_000);
  });
});
