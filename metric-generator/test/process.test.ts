import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ROUTES } from '@metrics/protocol';
import { historyResponseSchema } from '@metrics/protocol/schemas';
import { startService, type ServiceProcess } from '../../scripts/lib/service-process.js';

const dir = mkdtempSync(join(tmpdir(), 'generator-process-'));
const started: ServiceProcess[] = [];

async function start(env: Record<string, string>): Promise<ServiceProcess> {
  const service = await startService('metric-generator', { PORT: '0', ...env });
  started.push(service);
  return service;
}

afterEach(async () => {
  for (const s of started.splice(0)) await s.stop('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function latestTick(url: string, after?: number): Promise<number> {
  const res = await fetch(
    `${url}${ROUTES.latest}?ids=server-1${after === undefined ? '' : `&after=${after}`}`,
  );
  expect(res.status).toBe(200);
  await res.arrayBuffer();
  return Number(res.headers.get('x-tick'));
}

describe('metric-generator process', () => {
  it('exits 1 naming every bad variable and what it expected', async () => {
    const error = await startService('metric-generator', {
      PORT: '0',
      SERVER_COUNT: 'abc',
      TICK_MS: '5',
    }).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(error?.message).toMatch(/exited before listening \(code 1,/);
    expect(error?.message).toContain('SERVER_COUNT: expected an integer 1–100000, got "abc"');
    expect(error?.message).toContain(
      'TICK_MS: expected an integer 50–3600000 (milliseconds), got "5"',
    );
    expect(error?.message).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it('exits 0 soon after SIGTERM, answering a held long poll first', async () => {
    const service = await start({
      DB_PATH: join(dir, 'term.db'),
      TICK_MS: '200',
      SERVER_COUNT: '20',
    });
    const tick = await latestTick(service.url, 0);
    const held = fetch(`${service.url}${ROUTES.latest}?after=${tick + 3_600_000}`);
    await new Promise((r) => setTimeout(r, 50));
    const before = Date.now();
    const exit = await service.stop('SIGTERM', 10_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - before).toBeLessThan(2_000);
    expect((await held).status).toBe(204);
    expect(service.output.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
  });

  it('after kill -9, restarts on the same database: integrity ok, committed samples kept, ticks go on', async () => {
    const dbPath = join(dir, 'crash.db');
    const env = { DB_PATH: dbPath, TICK_MS: '100', SERVER_COUNT: '500', SEED: '3' };
    const first = await start(env);
    let tick = await latestTick(first.url, 0);
    for (let i = 0; i < 5; i++) tick = await latestTick(first.url, tick);
    // Kill right after a commit was seen: that tick must survive.
    expect((await first.stop('SIGKILL')).signal).toBe('SIGKILL');

    const db = new Database(dbPath);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();

    const second = await start(env);
    const history = historyResponseSchema.parse(
      await (
        await fetch(`${second.url}${ROUTES.serverHistory('server-500')}?to=${tick}&limit=6`)
      ).json(),
    );
    expect(history.samples.map((s) => Date.parse(s.timestamp))).toEqual(
      Array.from({ length: 6 }, (_, i) => tick - (5 - i) * 100),
    );
    const next = await latestTick(second.url, tick);
    expect(next).toBeGreaterThan(tick);
    expect(next % 100).toBe(0);
    expect(await second.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });
});
