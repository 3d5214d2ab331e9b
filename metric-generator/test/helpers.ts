import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { createApp, type AppConfig, type GeneratorApp } from '../src/app.js';

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
  const server = createServer(app.express);
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

/** Polls `check` every 20 ms until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 3_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
