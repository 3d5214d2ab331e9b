import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeHttpServer, listen } from '../src/http-server.js';

/** A logger whose entries the test can read. */
function memoryLog() {
  const entries: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => entries.push(JSON.parse(line)) });
  return { log, entries };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

function server(handler: Parameters<typeof createServer>[1] = (_req, res) => res.end('ok')) {
  const s = createServer(handler);
  servers.push(s);
  return s;
}

/** GET / over a keep-alive connection; resolves with the body or rejects on a cut socket. */
function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ port, path: '/', headers: { connection: 'keep-alive' } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('listen', () => {
  it('logs listening with the port bound for port 0, and more fields from onListening', async () => {
    const { log, entries } = memoryLog();
    const s = server();
    const port = await listen(s, { port: 0, log, onListening: (p) => ({ seen: p }) });
    expect(port).toBe((s.address() as AddressInfo).port);
    expect(port).toBeGreaterThan(0);
    expect(entries).toMatchObject([{ msg: 'listening', port, seen: port }]);
  });

  it('binds the given host only, and logs the address it is bound to', async () => {
    const { log, entries } = memoryLog();
    const s = server();
    const port = await listen(s, { port: 0, host: '127.0.0.1', log });
    expect(s.address()).toMatchObject({ address: '127.0.0.1', port });
    expect(entries).toMatchObject([{ msg: 'listening', port, host: '127.0.0.1' }]);
  });

  it('binds every interface when no host is given', async () => {
    const s = server();
    await listen(s, { port: 0, log: pino({ level: 'silent' }) });
    expect(['::', '0.0.0.0']).toContain((s.address() as AddressInfo).address);
  });

  it('logs cannot listen, cleans up and exits 1 when the port is taken', async () => {
    const taken = await listen(server(), { port: 0, log: pino({ level: 'silent' }) });
    const { log, entries } = memoryLog();
    const cleanup = vi.fn(async () => {});
    const exit = vi.fn();
    await expect(listen(server(), { port: taken, log, cleanup, exit })).rejects.toThrow(
      /EADDRINUSE/,
    );
    expect(cleanup).toHaveBeenCalledOnce();
    expect(exit).toHaveBeenCalledWith(1);
    expect(entries).toMatchObject([{ msg: 'cannot listen', port: taken, level: 60 }]);
  });
});

describe('closeHttpServer', () => {
  const quiet = pino({ level: 'silent' });

  it('closes idle keep-alive connections at once instead of waiting for their timeout', async () => {
    const s = server();
    const port = await listen(s, { port: 0, log: quiet });
    expect(await get(port)).toBe('ok');
    const started = Date.now();
    await closeHttpServer(s);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(s.listening).toBe(false);
  });

  it('lets drain answer held requests before the server closes', async () => {
    const held: (() => void)[] = [];
    const s = server((_req, res) => held.push(() => res.end('answered')));
    const port = await listen(s, { port: 0, log: quiet });
    const answer = get(port);
    await vi.waitFor(() => expect(held).toHaveLength(1));
    await closeHttpServer(s, { drain: async () => held.forEach((answer) => answer()) });
    expect(await answer).toBe('answered');
  });

  it('cuts connections still open graceMs after drain', async () => {
    let arrived = false;
    const s = server(() => (arrived = true)); // never answers
    const port = await listen(s, { port: 0, log: quiet });
    const answer = get(port);
    await vi.waitFor(() => expect(arrived).toBe(true));
    await closeHttpServer(s, { drain: async () => {}, graceMs: 50 });
    await expect(answer).rejects.toThrow(/socket hang up|ECONNRESET/);
  });

  it('fails as drain fails', async () => {
    const s = server();
    await listen(s, { port: 0, log: quiet });
    await expect(
      closeHttpServer(s, { drain: () => Promise.reject(new Error('db locked')) }),
    ).rejects.toThrow('db locked');
  });
});
