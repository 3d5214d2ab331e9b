import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { get, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, IMMUTABLE } from '../server/app.js';
import { loadConfig } from '../server/config.js';

describe('static server', () => {
  let root: string;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'frontend-dist-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>Fleet</title>');
    writeFileSync(
      join(root, 'assets', 'index-AbC123.js'),
      `console.log(${'"x",'.repeat(2000)} 1);`,
    );
    writeFileSync(join(root, 'robots.txt'), 'User-agent: *\n');
    const app = createApp({ root, log: pino({ level: 'silent' }) });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    rmSync(root, { recursive: true, force: true });
  });

  it('serves index.html at / with no-cache, so a deploy shows at once', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('etag')).toBeTruthy();
    expect(await res.text()).toContain('<title>Fleet</title>');
    expect((await fetch(`${base}/index.html`)).headers.get('cache-control')).toBe('no-cache');
  });

  it('answers a revalidation of index.html with 304', async () => {
    const etag = (await fetch(`${base}/`)).headers.get('etag')!;
    // node:http, not fetch: fetch adds `Cache-Control: max-age=0` to conditional requests.
    const status = await new Promise<number | undefined>((resolve, reject) =>
      get(`${base}/`, { headers: { 'If-None-Match': etag } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on('error', reject),
    );
    expect(status).toBe(304);
  });

  it('caches hashed assets for a year as immutable, compressed', async () => {
    const res = await fetch(`${base}/assets/index-AbC123.js`, {
      headers: { 'Accept-Encoding': 'gzip' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe(IMMUTABLE);
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('content-type')).toMatch(/javascript/);
  });

  it('answers unknown paths with a JSON 404 that is never cached', async () => {
    for (const path of ['/assets/missing-123.js', '/nope', '/servers/server-1']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(404);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.json()).toEqual({
        error: { code: 'not_found', message: expect.stringContaining('no such file') },
      });
    }
  });

  it('caches unhashed extras briefly', async () => {
    const res = await fetch(`${base}/robots.txt`);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
  });

  it('reports health and hides the framework', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('refuses to start without a build', () => {
    expect(() =>
      createApp({ root: join(root, 'nothing'), log: pino({ level: 'silent' }) }),
    ).toThrow(/npm run build -w frontend/);
  });
});

describe('static server config', () => {
  it('defaults to port 3000 on loopback and level info', () => {
    expect(loadConfig({})).toEqual({ port: 3000, host: '127.0.0.1', logLevel: 'info' });
    expect(loadConfig({ PORT: '0', HOST: '::', LOG_LEVEL: 'debug' })).toEqual({
      port: 0,
      host: '::',
      logLevel: 'debug',
    });
  });

  it('names every bad variable at once', () => {
    expect(() => loadConfig({ PORT: 'abc', LOG_LEVEL: 'loud' })).toThrow(
      'invalid configuration: PORT: expected an integer 0–65535, got "abc"; LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    );
    expect(() => loadConfig({ PORT: '70000' })).toThrow(
      /PORT: expected an integer 0–65535, got "70000"/,
    );
  });
});
