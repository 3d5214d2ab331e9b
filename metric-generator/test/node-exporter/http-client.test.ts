/**
 * The lean HTTP client against real sockets: keep-alive reuse, a kept-alive connection its server
 * closed (retried once on a new one), `Connection: close`, refused connections, the deadline.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/node-exporter/http-client.js';

const ANSWER = (body: string, extra = '') =>
  `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;

interface Server {
  port: number;
  connections: number;
  requests: string[];
  close(): Promise<void>;
}

/** A raw server: `answer(request, socket)` writes what it likes. */
async function rawServer(answer: (req: string, s: net.Socket, n: number) => void): Promise<Server> {
  const sockets = new Set<net.Socket>();
  const state = { connections: 0, requests: [] as string[] };
  const server = net.createServer((s) => {
    state.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      while (buf.includes('\r\n\r\n')) {
        const req = buf.slice(0, buf.indexOf('\r\n\r\n') + 4);
        buf = buf.slice(req.length);
        state.requests.push(req);
        answer(req, s, state.requests.length);
      }
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return state.connections;
    },
    requests: state.requests,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const LONG_MS = 5_000;

describe('createHttpClient', () => {
  it('keeps one connection per target alive across scrapes', async () => {
    const server = await rawServer((_req, s, n) => s.write(ANSWER(`n ${n}\n`)));
    closers.push(() => server.close());
    const client = createHttpClient({ maxBytes: 1024 });
    closers.push(() => client.close());
    const url = `http://127.0.0.1:${server.port}/metrics?collect[]=cpu`;
    for (let i = 1; i <= 3; i++) {
      expect((await client.get(url, LONG_MS)).toString()).toBe(`n ${i}\n`);
    }
    expect(server.connections).toBe(1);
    expect(server.requests[0]).toMatch(/^GET \/metrics\?collect\[\]=cpu HTTP\/1\.1\r\n/);
    expect(server.requests[0]).toContain(`Host: 127.0.0.1:${server.port}\r\n`);
  });

  it('retries once on a new connection when the kept-alive one was closed by its server', async () => {
    // Answers, then closes the connection without saying so (an idle timeout on its side).
    const server = await rawServer((_req, s) => {
      s.write(ANSWER('ok\n'));
      setTimeout(() => s.destroy(), 20);
    });
    closers.push(() => server.close());
    const client = createHttpClient({ maxBytes: 1024 });
    closers.push(() => client.close());
    const url = `http://127.0.0.1:${server.port}/metrics`;
    expect((await client.get(url, LONG_MS)).toString()).toBe('ok\n');
    await new Promise((r) => setTimeout(r, 100));
    expect((await client.get(url, LONG_MS)).toString()).toBe('ok\n');
    expect(server.connections).toBe(2);
  });

  it('opens a new connection after Connection: close', async () => {
    const server = await rawServer((_req, s) => s.end(ANSWER('ok\n', 'Connection: close\r\n')));
    closers.push(() => server.close());
    const client = createHttpClient({ maxBytes: 1024 });
    closers.push(() => client.close());
    const url = `http://127.0.0.1:${server.port}/metrics`;
    await client.get(url, LONG_MS);
    await client.get(url, LONG_MS);
    expect(server.connections).toBe(2);
  });

  it('says why: refused, cut short, too slow', async () => {
    const client = createHttpClient({ maxBytes: 1024 });
    closers.push(() => client.close());
    const closed = await rawServer(() => {});
    const port = closed.port;
    await closed.close();
    await expect(client.get(`http://127.0.0.1:${port}/metrics`, LONG_MS)).rejects.toMatchObject({
      kind: 'network',
      message: 'connection refused',
    });

    const cut = await rawServer((_req, s) => s.end(ANSWER('0123456789').slice(0, -4)));
    closers.push(() => cut.close());
    await expect(client.get(`http://127.0.0.1:${cut.port}/metrics`, LONG_MS)).rejects.toMatchObject(
      { kind: 'network', message: 'answer cut short' },
    );

    const silent = await rawServer(() => {});
    closers.push(() => silent.close());
    const t0 = performance.now();
    await expect(client.get(`http://127.0.0.1:${silent.port}/metrics`, 100)).rejects.toMatchObject({
      kind: 'timeout',
    });
    expect(performance.now() - t0).toBeLessThan(2_000);
  });

  it('keeps an answer that came in by its deadline while the thread was busy', async () => {
    // The server (in this process) answers, then holds the thread past the client's deadline:
    // the answer waits in the socket, as behind another answer's parse.
    const server = await rawServer((_req, s) => {
      s.write(ANSWER('ok\n'));
      const until = performance.now() + 150;
      while (performance.now() < until) {
        // busy
      }
    });
    closers.push(() => server.close());
    const client = createHttpClient({ maxBytes: 1024 });
    closers.push(() => client.close());
    const url = `http://127.0.0.1:${server.port}/metrics`;
    // (The first one opens the connection.)
    expect((await client.get(url, LONG_MS)).toString()).toBe('ok\n');
    expect((await client.get(url, 50)).toString()).toBe('ok\n');
  });
});
