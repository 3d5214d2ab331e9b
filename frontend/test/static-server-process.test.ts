import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startService } from '../../scripts/lib/service-process.js';

const built = existsSync(fileURLToPath(new URL('../dist/index.html', import.meta.url)));

describe('static server process', () => {
  it('exits 1 naming every bad variable', async () => {
    await expect(
      startService('frontend', { PORT: 'abc', LOG_LEVEL: 'loud' }, { timeoutMs: 15_000 }),
    ).rejects.toThrow(/PORT: expected an integer 0–65535, got "abc".*LOG_LEVEL: expected one of/s);
  }, 30_000);

  // Needs the Vite build it serves (`npm test` builds before the unit step).
  it.skipIf(!built)(
    'serves on the port it logs and exits 0 on SIGTERM',
    async () => {
      const service = await startService('frontend', { PORT: '0' }, { timeoutMs: 20_000 });
      try {
        const res = await fetch(`${service.url}/`);
        expect(res.status).toBe(200);
        expect(await res.text()).toContain('<div id="app">');
      } finally {
        const exit = await service.stop('SIGTERM', 10_000);
        expect(exit).toEqual({ code: 0, signal: null });
      }
    },
    60_000,
  );
});
