import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GeneratorError, createGeneratorClient } from '../src/generator-client.js';

const T = 1_800_000_000_000;
const iso = new Date(T).toISOString();
const line = (id: string) =>
  `{"serverId":"${id}","timestamp":"${iso}","cpuPct":1,"memPct":2,"diskPct":3,"netRxBps":4,"netTxBps":5,"load1":6}`;

/** A test double speaking the agreed contract; the real generator is used by integration tests. */
let server: http.Server;
let base: string;
const seen: Array<{ url: string; socket: number }> = [];
const sockets = new Map<object, number>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (!sockets.has(req.socket)) sockets.set(req.socket, sockets.size);
    seen.push({ url: req.url!, socket: sockets.get(req.socket)! });
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/v1/servers') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ servers: [{ id: 'server-1' }, { id: 'server-2' }], version: 7 }));
    } else if (url.pathname === '/v1/latest') {
      if (url.searchParams.get('after') === 'hold') return; // never answers
      if (url.searchParams.get('after') === String(T)) {
        res.writeHead(204, { 'x-tick': String(T) }).end();
        return;
      }
      const ids = url.searchParams.get('ids')?.split(',') ?? ['server-1', 'server-2'];
      res.writeHead(200, { 'content-type': 'application/json', 'x-tick': String(T) });
      res.end(`{"tick":${T},"samples":[\n${ids.map(line).join(',\n')}\n]}`);
    } else if (url.pathname === '/v1/fleet') {
      // headers and a part of the body, then the connection drops
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '100' });
      res.write(Buffer.alloc(10));
      setTimeout(() => res.socket?.destroy(), 20);
    } else if (url.pathname === '/v1/servers/server-1/history') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ serverId: 'server-1', samples: [JSON.parse(line('server-1'))] }));
    } else if (url.pathname === '/v1/servers/server-2/history') {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'bad_request', message: 'limit: too big' } }));
    } else {
      res.writeHead(500).end('<html>boom</html>');
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
});

describe('generator client', () => {
  it('asks for ids and after in the query, and relays the samples without re-encoding', async () => {
    const observed: string[] = [];
    const client = createGeneratorClient({
      baseUrl: base,
      observe: (k, o) => observed.push(`${k}:${o}`),
    });
    const answer = await client.latest({
      ids: ['server-1', 'server-2'],
      after: T - 1,
      timeoutMs: 1000,
    });
    expect(seen.at(-1)!.url).toBe(`/v1/latest?ids=server-1,server-2&after=${T - 1}`);
    expect(answer).toEqual({
      tick: T,
      samples: [
        { serverId: 'server-1', tick: T, json: line('server-1') },
        { serverId: 'server-2', tick: T, json: line('server-2') },
      ],
    });
    expect(await client.latest({ timeoutMs: 1000 })).toMatchObject({ tick: T });
    expect(seen.at(-1)!.url).toBe('/v1/latest');
    expect(observed).toEqual(['latest:ok', 'latest:ok']);
    client.close();
  });

  it('reuses one keep-alive connection for consecutive requests', async () => {
    const client = createGeneratorClient({ baseUrl: base });
    const from = seen.length;
    for (let i = 0; i < 5; i++) await client.latest({ ids: ['server-1'], timeoutMs: 1000 });
    const used = new Set(seen.slice(from).map((r) => r.socket));
    expect(used.size).toBe(1);
    client.close();
  });

  it('reports a 204 as no tick', async () => {
    const client = createGeneratorClient({ baseUrl: base });
    expect(await client.latest({ after: T, timeoutMs: 1000 })).toBe('no-tick');
    client.close();
  });

  it('fails with a timeout when the generator does not answer in time', async () => {
    const observed: string[] = [];
    const client = createGeneratorClient({ baseUrl: base, observe: (k, o) => observed.push(o) });
    const started = Date.now();
    const err = await client
      .latest({ after: 'hold' as unknown as number, timeoutMs: 150 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GeneratorError);
    expect((err as GeneratorError).kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(observed).toEqual(['timeout']);
    client.close();
  });

  it('fails with a network error when nothing listens', async () => {
    const client = createGeneratorClient({ baseUrl: 'http://127.0.0.1:1' });
    const err = await client.servers(1000).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'network' });
    client.close();
  });

  it('validates /v1/servers and history bodies and passes the generator 400 message on', async () => {
    const client = createGeneratorClient({ baseUrl: base });
    expect(await client.servers(1000)).toEqual({
      servers: [{ id: 'server-1' }, { id: 'server-2' }],
      version: 7,
    });
    const h = await client.history('server-1', { from: T - 5000, limit: 10 }, 1000);
    expect(seen.at(-1)!.url).toBe(`/v1/servers/server-1/history?from=${T - 5000}&limit=10`);
    expect(h.samples).toHaveLength(1);
    const bad = await client.history('server-2', {}, 1000).catch((e: unknown) => e);
    expect(bad).toMatchObject({ kind: 'http_error', status: 400, message: 'limit: too big' });
    const html = await client.history('server-3', {}, 1000).catch((e: unknown) => e);
    expect(html).toMatchObject({ kind: 'http_error', status: 500 });
    client.close();
  });

  it('fails with a network error when the connection drops in the middle of a body', async () => {
    const observed: string[] = [];
    const client = createGeneratorClient({ baseUrl: base, observe: (k, o) => observed.push(o) });
    const err = await client.fleet({ timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GeneratorError);
    expect((err as GeneratorError).kind).toBe('network');
    expect(observed).toEqual(['network']);
    client.close();
  });

  it('aborts what is in flight on close', async () => {
    const client = createGeneratorClient({ baseUrl: base });
    const pending = client.latest({ after: 'hold' as unknown as number, timeoutMs: 10_000 });
    setTimeout(() => client.close(), 20);
    await expect(pending).rejects.toBeInstanceOf(GeneratorError);
    await expect(client.servers(100)).rejects.toThrow(/closed/);
  });
});
