import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { createApp, HTTP_SERVER_OPTIONS, type AppConfig, type GeneratorApp } from '../src/app.js';
import type { MetricsDatabase } from '../src/db.js';
import type { ServerRef } from '../src/server-ids.js';
import { createSampleColumns } from '../src/simulation.js';
import { ENTRY_BYTES, entriesIn } from '../src/staged-blocks.js';

export const silentLog = pino({ level: 'silent' });

export const testConfig = (overrides: Partial<AppConfig> = {}): AppConfig => ({
  serverCount: 5,
  tickMs: 100,
  dbPath: ':memory:',
  retentionSeconds: 3600,
  seed: 42,
  includeHost: false,
  ...overrides,
});

export interface RunningApp {
  app: GeneratorApp;
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** Builds the app, listens on a free loopback port and (unless `start: false`) starts ticking. */
export async function startApp(
  overrides: Partial<AppConfig> = {},
  options: { start?: boolean; now?: () => number } = {},
): Promise<RunningApp> {
  const app = createApp({
    config: testConfig(overrides),
    log: silentLog,
    now: options.now,
    defaultMetrics: false,
  });
  const server = createServer(HTTP_SERVER_OPTIONS, app.express);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  if (options.start ?? true) app.start();
  const { port } = server.address() as AddressInfo;
  return {
    app,
    server,
    url: `http://127.0.0.1:${port}`,
    async close() {
      await app.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export { waitFor } from '../../scripts/lib/wait.js';

/** Moves every staged row into `samples`, as the fold does over two generations. */
export function foldEverything(db: MetricsDatabase): void {
  for (let i = 0; i < 2; i++) {
    if (db.stagingStatus().foldPending) {
      db.foldCopy(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
      db.foldFinish();
    }
    db.rotateStaging();
  }
}

/** Samples held by a staging table (each block row holds several). */
export function stagedSampleCount(db: MetricsDatabase, table: 0 | 1): number {
  const bytes = db.handle.prepare(`SELECT total(length(v)) FROM staged_${table}`).pluck().get();
  return (bytes as number) / ENTRY_BYTES;
}

/** Stored samples, counting one present in a staging table and in `samples` once. */
export function storedRowCount(db: MetricsDatabase): number {
  const seen = new Set<string>();
  for (const [key, ts] of db.handle
    .prepare('SELECT server_id, ts FROM samples')
    .raw()
    .iterate() as Iterable<[number, number]>) {
    seen.add(`${key}@${ts}`);
  }
  for (const table of [0, 1]) {
    for (const [ts, v] of db.handle
      .prepare(`SELECT ts, v FROM staged_${table}`)
      .raw()
      .iterate() as Iterable<[number, Buffer]>) {
      entriesIn(v, ts, -Infinity, Infinity, (row) => seen.add(`${row.serverKey}@${ts}`));
    }
  }
  return seen.size;
}

/**
 * Writes tick number `t` (at `t * tickMs`) for every server of `refs`: slot `i` carries
 * cpuPct = t + i / 100 and memPct = `version`, so a row read back names its tick, slot and write.
 */
export function writeNumberedTick(
  db: MetricsDatabase,
  refs: readonly ServerRef[],
  t: number,
  { tickMs, version = 1 }: { tickMs: number; version?: number },
): void {
  const c = createSampleColumns(refs.length);
  for (let i = 0; i < refs.length; i++) {
    c.cpuPct[i] = t + i / 100;
    c.memPct[i] = version;
  }
  db.writeTick(
    t * tickMs,
    Int32Array.from(refs, (s) => s.key),
    c,
    refs.length,
  );
}
