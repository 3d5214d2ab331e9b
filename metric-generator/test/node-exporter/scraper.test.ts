/**
 * The scraper (undici, one client per target) against raw servers on loopback: keep-alive reuse,
 * a kept-alive connection its server closed (retried once on a new one), `Connection: close`, a
 * restarted exporter, every rejected answer with its kind and message, the deadline judged by the
 * answer's arrival, closing a target's connection, and `https://` targets.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createScraper } from '../../src/node-exporter/scraper.js';

const ANSWER = (body: string, extra = '') =>
  `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;

/** A chunked answer in 4 KB chunks, as Go's net/http sends node_exporter's. */
function chunked(body: string): string {
  let out = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n';
  for (let at = 0; at < body.length; at += 4096) {
    const part = body.slice(at, at + 4096);
    out += `${part.length.toString(16)}\r\n${part}\r\n`;
  }
  return `${out}0\r\n\r\n`;
}

interface Server {
  port: number;
  connections: number;
  open: number;
  requests: string[];
  close(): Promise<void>;
}

/** A raw server: `answer(request, socket, n)` writes what it likes (n counts requests). */
async function rawServer(
  answer: (req: string, s: net.Socket, n: number) => void,
  port = 0,
): Promise<Server> {
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
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return state.connections;
    },
    get open() {
      return sockets.size;
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

function scraperFor(options: Parameters<typeof createScraper>[0] = { maxBytes: 1024 }) {
  const scraper = createScraper(options);
  closers.push(() => scraper.close());
  return scraper;
}
async function serve(answer: Parameters<typeof rawServer>[0]) {
  const server = await rawServer(answer);
  closers.push(() => server.close());
  return server;
}
const text = (b: Buffer) => b.toString('latin1');
const LONG_MS = 5_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('createScraper', () => {
  it('keeps one connection per target alive across scrapes', async () => {
    const server = await serve((_req, s, n) => s.write(ANSWER(`n ${n}\n`)));
    const scraper = scraperFor();
    const url = `http://127.0.0.1:${server.port}/metrics?collect[]=cpu`;
    for (let i = 1; i <= 3; i++) expect(text(await scraper.get(url, LONG_MS))).toBe(`n ${i}\n`);
    expect(server.connections).toBe(1);
    expect(server.requests[0]).toMatch(/^GET \/metrics\?collect\[\]=cpu HTTP\/1\.1\r\n/);
    expect(server.requests[0]).toMatch(
      new RegExp(`\r\nhost: 127\\.0\\.0\\.1:${server.port}\r\n`, 'i'),
    );
    expect(server.requests[0]).toMatch(/\r\naccept: text\/plain;version=0\.0\.4/i);
  });

  it('gives each target its own connection, even on one origin', async () => {
    const server = await serve((req, s) => s.write(ANSWER(req.split(' ')[1]!)));
    const scraper = scraperFor();
    const [a, b] = await Promise.all([
      scraper.get(`http://127.0.0.1:${server.port}/a`, LONG_MS),
      scraper.get(`http://127.0.0.1:${server.port}/b`, LONG_MS),
    ]);
    expect([text(a), text(b)]).toEqual(['/a', '/b']);
    expect(server.connections).toBe(2);
  });

  it('reads chunked answers (what node_exporter sends)', async () => {
    const body = 'node_load1 0.5\n'.repeat(1000);
    const server = await serve((_req, s) => s.write(chunked(body)));
    const scraper = scraperFor({ maxBytes: 64 * 1024 });
    expect(text(await scraper.get(`http://127.0.0.1:${server.port}/metrics`, LONG_MS))).toBe(body);
  });

  it('opens a new connection when its server closed the idle one', async () => {
    // Answers, then closes the connection without saying so (an idle timeout on its side).
    const server = await serve((_req, s) => {
      s.write(ANSWER('ok\n'));
      setTimeout(() => s.destroy(), 20);
    });
    const scraper = scraperFor();
    const url = `http://127.0.0.1:${server.port}/metrics`;
    expect(text(await scraper.get(url, LONG_MS))).toBe('ok\n');
    await sleep(100);
    expect(text(await scraper.get(url, LONG_MS))).toBe('ok\n');
    expect(server.connections).toBe(2);
  });

  it('retries once on a new connection when the kept-alive one was closed under the request', async () => {
    // The second request on a connection finds it closed: the race between a server's idle
    // timeout and the next scrape.
    let perConnection = new WeakMap<net.Socket, number>();
    const server = await serve((_req, s) => {
      const n = (perConnection.get(s) ?? 0) + 1;
      perConnection.set(s, n);
      if (n === 1) s.write(ANSWER('ok\n'));
      else s.destroy();
    });
    const scraper = scraperFor();
    const url = `http://127.0.0.1:${server.port}/metrics`;
    expect(text(await scraper.get(url, LONG_MS))).toBe('ok\n');
    expect(text(await scraper.get(url, LONG_MS))).toBe('ok\n');
    expect(server.connections).toBe(2);
    perConnection = new WeakMap();
  });

  it('does not retry a new connection that closes before answering', async () => {
    const server = await serve((_req, s) => s.destroy());
    const scraper = scraperFor();
    await expect(
      scraper.get(`http://127.0.0.1:${server.port}/metrics`, LONG_MS),
    ).rejects.toMatchObject({ kind: 'network', message: 'connection closed before an answer' });
    expect(server.requests).toHaveLength(1);
  });

  it('opens a new connection after Connection: close', async () => {
    const server = await serve((_req, s) => s.end(ANSWER('ok\n', 'Connection: close\r\n')));
    const scraper = scraperFor();
    const url = `http://127.0.0.1:${server.port}/metrics`;
    await scraper.get(url, LONG_MS);
    await scraper.get(url, LONG_MS);
    expect(server.connections).toBe(2);
  });

  it('reconnects to a restarted exporter on the same port', async () => {
    const answer = (_req: string, s: net.Socket) => s.write(ANSWER('ok\n'));
    const first = await rawServer(answer);
    const { port } = first;
    const scraper = scraperFor();
    const url = `http://127.0.0.1:${port}/metrics`;
    expect(text(await scraper.get(url, LONG_MS))).toBe('ok\n');
    await first.close();
    await expect(scraper.get(url, LONG_MS)).rejects.toMatchObject({
      kind: 'network',
      message: expect.stringMatching(/^connection (refused|closed before an answer)$/),
    });
    const again = await rawServer(answer, port);
    closers.push(() => again.close());
    expect(text(await scraper.get(url, LONG_MS))).toBe('ok\n');
  });

  it.each([
    [
      'a status other than 200',
      'HTTP/1.1 503 Unavailable\r\nContent-Length: 0\r\n\r\n',
      'http',
      'HTTP 503',
    ],
    [
      'another content type',
      'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nhi',
      'bad_answer',
      'content type "text/html", not text/plain',
    ],
    [
      'no content type',
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi',
      'bad_answer',
      'content type "", not text/plain',
    ],
    [
      'a content coding',
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\nhi',
      'bad_answer',
      'content encoding "gzip"',
    ],
    [
      'a length over the limit',
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5000\r\n\r\n',
      'bad_answer',
      'answer larger than 1024 bytes',
    ],
    [
      'something that is not HTTP',
      'SSH-2.0-OpenSSH_9.2\r\n\r\n',
      'bad_answer',
      /^bad HTTP answer: /,
    ],
    ['a cut answer', ANSWER('0123456789').slice(0, -4), 'network', 'answer cut short'],
  ])('fails an answer with %s', async (_what, raw, kind, message) => {
    const server = await serve((_req, s) => s.end(raw));
    const scraper = scraperFor();
    await expect(
      scraper.get(`http://127.0.0.1:${server.port}/metrics`, LONG_MS),
    ).rejects.toMatchObject({
      name: 'ScrapeError',
      kind,
      message: typeof message === 'string' ? message : expect.stringMatching(message),
    });
  });

  it('stops reading a chunked answer past its size limit and scrapes again on a new connection', async () => {
    let huge = true;
    const server = await serve((_req, s) =>
      s.write(huge ? chunked('x'.repeat(1024 * 1024)) : ANSWER('ok\n')),
    );
    const scraper = scraperFor({ maxBytes: 64 * 1024 });
    const url = `http://127.0.0.1:${server.port}/metrics`;
    await expect(scraper.get(url, LONG_MS)).rejects.toMatchObject({
      kind: 'bad_answer',
      message: 'answer larger than 65536 bytes',
    });
    huge = false;
    expect(text(await scraper.get(url, LONG_MS))).toBe('ok\n');
    expect(server.connections).toBe(2);
  });

  it('says why: refused, too slow (and the next scrape works)', async () => {
    const scraper = scraperFor();
    const closed = await rawServer(() => {});
    const port = closed.port;
    await closed.close();
    await expect(scraper.get(`http://127.0.0.1:${port}/metrics`, LONG_MS)).rejects.toMatchObject({
      kind: 'network',
      message: 'connection refused',
    });

    let silent = true;
    const slow = await serve((_req, s) => {
      if (!silent) s.write(ANSWER('ok\n'));
    });
    const url = `http://127.0.0.1:${slow.port}/metrics`;
    const t0 = performance.now();
    await expect(scraper.get(url, 100)).rejects.toMatchObject({
      kind: 'timeout',
      message: 'no answer within 100 ms',
    });
    expect(performance.now() - t0).toBeLessThan(2_000);
    silent = false;
    expect(text(await scraper.get(url, LONG_MS))).toBe('ok\n');
  });

  it('times out a target whose connection does not open, and asks it afresh next time', async () => {
    // TCP connects, TLS never answers: the request never reaches a socket.
    const server = await serve(() => {});
    const scraper = scraperFor({ connectTimeoutMs: 300 });
    const url = `https://127.0.0.1:${server.port}/metrics`;
    for (let i = 0; i < 2; i++) {
      const t0 = performance.now();
      await expect(scraper.get(url, 100)).rejects.toMatchObject({
        kind: 'timeout',
        message: 'no answer within 100 ms',
      });
      expect(performance.now() - t0).toBeLessThan(2_000);
    }
    // Each scrape on a connection of its own; the stuck ones closed by the connect timeout.
    await expect.poll(() => server.connections).toBe(2);
    await expect.poll(() => server.open).toBe(0);
  });

  it('keeps an answer that came in by its deadline while the thread was busy', async () => {
    // The server (in this process) answers, then holds the thread past the scraper's deadline:
    // the answer waits in the socket, as behind another answer's parse.
    const server = await serve((_req, s) => {
      s.write(ANSWER('ok\n'));
      const until = performance.now() + 150;
      while (performance.now() < until) {
        // busy
      }
    });
    const scraper = scraperFor();
    const url = `http://127.0.0.1:${server.port}/metrics`;
    // (The first one opens the connection.)
    expect(text(await scraper.get(url, LONG_MS))).toBe('ok\n');
    expect(text(await scraper.get(url, 50))).toBe('ok\n');
  });

  it('closes the connection of a dropped target, and every one on close', async () => {
    const server = await serve((_req, s) => s.write(ANSWER('ok\n')));
    const scraper = createScraper();
    const a = `http://127.0.0.1:${server.port}/a`;
    const b = `http://127.0.0.1:${server.port}/b`;
    await Promise.all([scraper.get(a, LONG_MS), scraper.get(b, LONG_MS)]);
    expect(server.open).toBe(2);
    await scraper.drop(a);
    await expect.poll(() => server.open).toBe(1);
    await scraper.close();
    await expect.poll(() => server.open).toBe(0);
    await expect(scraper.get(b, LONG_MS)).rejects.toMatchObject({
      kind: 'network',
      message: 'scraper closed',
    });
  });
});

describe('https:// targets', () => {
  it('scrape over TLS, and a certificate not trusted fails as a network error', async () => {
    // A self-signed certificate for localhost, valid for 100 years (test only).
    const cert = readFileSync(
      new URL('../fixtures/tls-localhost.cert.pem', import.meta.url),
      'utf8',
    );
    const key = readFileSync(new URL('../fixtures/tls-localhost.key.pem', import.meta.url));
    const server = https.createServer({ key, cert }, (_req, res) =>
      res.writeHead(200, { 'content-type': 'text/plain' }).end('node_load1 1\n'),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => {
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    });
    const url = `https://localhost:${(server.address() as AddressInfo).port}/metrics`;
    const trusting = scraperFor({ ca: cert });
    expect(text(await trusting.get(url, LONG_MS))).toBe('node_load1 1\n');
    expect(text(await trusting.get(url, LONG_MS))).toBe('node_load1 1\n');
    await expect(scraperFor().get(url, LONG_MS)).rejects.toMatchObject({
      kind: 'network',
      message: expect.stringMatching(/certificate/i),
    });
  });
});
