import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '@metrics/protocol';
import { startService, type ServiceProcess } from '../../scripts/lib/service-process.js';
import { rssMiB } from '../../scripts/lib/proc-stats.js';
import { HTTP_SERVER_OPTIONS } from '../src/app.js';

/**
 * Property-based fuzzing of every generator endpoint over real HTTP, against the real process
 * (main.ts): hostile path ids and query strings (wrong types, huge numbers, long and many values,
 * unicode, SQL-looking text, prototype keys, repeated and malformed parameters). Every answer must
 * be a success or a clear JSON 4xx, never a 5xx or a stack trace; the process must stay up,
 * healthy and within a bounded amount of memory.
 */
const TICK_MS = 50;
const SERVER_COUNT = 20;
let generator: ServiceProcess;

beforeAll(async () => {
  generator = await startService('metric-generator', {
    PORT: '0',
    DB_PATH: ':memory:',
    SERVER_COUNT: String(SERVER_COUNT),
    TICK_MS: String(TICK_MS),
    SEED: '5',
  });
  // Wait for the first commit: before it, /v1/latest answers 503 by design.
  for (let i = 0; i < 100; i++) {
    if ((await fetch(generator.url + ROUTES.health)).status === 200) break;
    await new Promise((r) => setTimeout(r, 50));
  }
});
afterAll(() => generator?.stop());

const SQLISH = [
  "'; DROP TABLE samples; --",
  "server-1' OR '1'='1",
  '1; DELETE FROM servers',
  'server-1/**/UNION/**/SELECT/**/*',
  '1) OR (1=1',
  '"; PRAGMA writable_schema=1; --',
];
const PROTO = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '__defineGetter__',
];
const WEIRD = [
  '',
  ' ',
  'NaN',
  'Infinity',
  '-Infinity',
  '-1',
  '0',
  '1e309',
  '-0',
  '0x10',
  '1.5',
  '9'.repeat(40),
  String(Number.MAX_SAFE_INTEGER + 2),
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '../../etc/passwd',
  'server-1\u0000',
  'ｓｅｒｖｅｒ－１',
  'server-1\u202e',
  '😀'.repeat(20),
  'server-1,server-2',
  'x'.repeat(65),
  'x'.repeat(4000),
];

/** Any text a hostile client might put in a path segment or a query value. */
const hostile = fc.oneof(
  fc.constantFrom(...SQLISH, ...PROTO, ...WEIRD),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ maxLength: 3000 }),
  fc.double().map(String),
  fc.bigInt().map(String),
  fc.integer().map(String),
  fc
    .date({ noInvalidDate: false })
    .map((d) => (Number.isNaN(d.getTime()) ? 'Invalid' : d.toISOString())),
  fc
    .array(fc.constantFrom('server-1', 'server-2', 'server-20', 'server-999', ''), {
      maxLength: 50,
    })
    .map((a) => a.join(',')),
);

const knownKeys = ['ids', 'after', 'from', 'to', 'limit'];
const queryKey = fc.oneof(
  fc.constantFrom(...knownKeys, ...PROTO, 'ids[]', 'limit[0]', 'from[gt]', 'a.b', ''),
  fc.string({ maxLength: 20 }),
);
/** A query string: any keys (known, prototype, random), any values, keys repeated at will. */
const query = fc
  .array(fc.tuple(queryKey, hostile), { maxLength: 6 })
  .map((pairs) => new URLSearchParams(pairs).toString());

/** Raw, not percent-encoded junk: malformed escapes and separators. */
const rawQuery = fc
  .array(
    fc.constantFrom('%', '%zz', '%E0%A4%A', '%00', '&', '=', '==', '+', ';', 'ids', 'limit', 'a'),
    {
      maxLength: 12,
    },
  )
  .map((parts) => parts.join(''));

const pathId = fc.oneof(
  fc.constantFrom('server-1', `server-${SERVER_COUNT}`, 'server-0', 'server-999999', 'host'),
  hostile.filter((s) => s.length > 0).map(encodeURIComponent),
  fc.constantFrom('%', '%zz', '%E0%A4%A', '..', '.', '%2e%2e', '%2F'),
);

interface Answer {
  status: number;
  text: string;
  json: unknown;
}

async function get(path: string, init?: RequestInit): Promise<Answer> {
  const res = await fetch(generator.url + path, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

/** Every refusal is a JSON error whose code matches the status, for humans, no internals. */
/**
 * Node refuses a request head over the server's `maxHeaderSize` with its own 431 before any
 * route runs; the generator raises it so long `ids=` watch lists fit (app.ts).
 */
const HEAD_LIMIT = HTTP_SERVER_OPTIONS.maxHeaderSize;

function expectClear(a: Answer, allowed: readonly number[], where: string) {
  const tooLong = where.length > HEAD_LIMIT - 1_024; // the rest of the head is well under 1 KiB
  const maybeTooLong = where.length > HEAD_LIMIT - 4_096;
  if (tooLong) {
    expect(a.status, where.slice(0, 200)).toBe(431);
    return;
  }
  if (maybeTooLong && a.status === 431) return;
  expect(allowed, `${where} → ${a.status} ${a.text.slice(0, 300)}`).toContain(a.status);
  if (a.status >= 400) {
    const code = { 400: 'bad_request', 404: 'not_found' }[a.status as 400 | 404];
    expect(a.json, where).toEqual({ error: { code, message: expect.any(String) } });
    const message = (a.json as { error: { message: string } }).error.message;
    expect(message.length, where).toBeGreaterThan(0);
    expect(a.text, where).not.toMatch(/\bat .*\.(ts|js):\d+|SqliteError|node_modules/);
  } else if (a.status === 200) {
    expect(a.json, `${where}: a JSON body`).toBeDefined();
  }
}

const runs = (n: number) => ({ numRuns: n, endOnFailure: true, interruptAfterTimeLimit: 15_000 });

describe('metric-generator under hostile HTTP input', () => {
  let rssBefore = 0;
  beforeAll(() => {
    rssBefore = rssMiB(generator.pid);
  });

  it('answers every GET /v1/servers/:id/latest with a sample, 404 or a clear 400', async () => {
    await fc.assert(
      fc.asyncProperty(pathId, query, async (id, q) => {
        const path = `/v1/servers/${id}/latest?${q}`;
        expectClear(await get(path), [200, 400, 404], path);
      }),
      runs(250),
    );
  });

  it('answers every GET /v1/servers/:id/history with samples, 404 or a clear 400', async () => {
    await fc.assert(
      fc.asyncProperty(pathId, fc.oneof(query, rawQuery), async (id, q) => {
        const path = `/v1/servers/${id}/history?${q}`;
        expectClear(await get(path), [200, 400, 404], path);
      }),
      runs(300),
    );
  });

  it('answers every GET /v1/latest with samples, 204 or a clear 400', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(query, rawQuery), async (q) => {
        const path = `${ROUTES.latest}?${q}`;
        expectClear(await get(path), [200, 204, 400], path);
      }),
      runs(300),
    );
  });

  it('ignores any query on /v1/servers, /healthz and /metrics', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(ROUTES.servers, ROUTES.health, ROUTES.metrics),
        fc.oneof(query, rawQuery),
        async (route, q) => {
          const res = await fetch(`${generator.url}${route}?${q}`);
          await res.arrayBuffer();
          expect(res.status, `${route}?${q}`).toBe(200);
        },
      ),
      runs(60),
    );
  });

  it('refuses with 400 every history query that is malformed by construction', async () => {
    const badLimit = fc.oneof(
      fc.constantFrom('0', '-1', '10001', '1.5', '1e309', 'NaN', 'abc', '', '[]', '__proto__'),
      fc.integer({ min: 10_001 }).map(String),
      fc.integer({ max: 0 }).map(String),
    );
    const badInstant = fc.oneof(
      fc.constantFrom(
        'yesterday',
        '-5',
        '1e3',
        '99999999999999999999',
        "1' OR '1'='1",
        '__proto__',
      ),
      fc
        .string({ maxLength: 30 })
        .filter((s) => Number.isNaN(Date.parse(s)) && !/^\d{1,16}$/.test(s)),
    );
    const malformed = fc.oneof(
      badLimit.map((v) => `limit=${encodeURIComponent(v)}`),
      badInstant.map((v) => `from=${encodeURIComponent(v)}`),
      badInstant.map((v) => `to=${encodeURIComponent(v)}`),
      fc
        .constantFrom(...knownKeys.filter((k) => k !== 'ids' && k !== 'after'))
        .map((k) => `${k}=1&${k}=2`),
      fc.constantFrom(...PROTO, 'ids', 'after', 'evil').map((k) => `${encodeURIComponent(k)}=1`),
      fc
        .tuple(fc.integer({ min: 1, max: 2 ** 40 }), fc.integer({ min: 1, max: 2 ** 40 }))
        .map(([a, b]) => `from=${a + b}&to=${a}`),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('server-1', 'server-2'), malformed, async (id, q) => {
        const path = `${ROUTES.serverHistory(id)}?${q}`;
        const a = await get(path);
        expectClear(a, [400], path);
      }),
      runs(120),
    );
  });

  it('refuses with 400 every /v1/latest query that is malformed by construction', async () => {
    const malformed = fc.oneof(
      fc.constantFrom(
        'ids=',
        'ids=,',
        'ids=server-1,,server-2',
        'ids=server-1&ids=server-2',
        'after=1&after=2',
      ),
      fc.constantFrom('x'.repeat(65), ',').map((s) => `ids=server-1,${s}`),
      fc.constantFrom('yesterday', '-1', '1.5', 'NaN', '__proto__').map((v) => `after=${v}`),
      fc.constantFrom(...PROTO, 'from', 'limit', 'evil').map((k) => `${encodeURIComponent(k)}=1`),
    );
    await fc.assert(
      fc.asyncProperty(malformed, async (q) => {
        const path = `${ROUTES.latest}?${q}`;
        expectClear(await get(path), [400], path);
      }),
      runs(60),
    );
  });

  it('treats SQL-looking and prototype-named ids as unknown servers and stays intact', async () => {
    for (const id of [...SQLISH, ...PROTO]) {
      for (const path of [ROUTES.serverLatest(id), ROUTES.serverHistory(id)]) {
        expectClear(await get(path), [404], path);
      }
      const latest = await get(`${ROUTES.latest}?ids=${encodeURIComponent(id)}`);
      expect(latest.status).toBe(200);
      expect((latest.json as { samples: unknown[] }).samples).toEqual([]);
    }
    const servers = await get(ROUTES.servers);
    expect((servers.json as { servers: unknown[] }).servers).toHaveLength(SERVER_COUNT);
    const history = await get(`${ROUTES.serverHistory('server-1')}?limit=5`);
    expect(history.status).toBe(200);
    expect((history.json as { samples: unknown[] }).samples.length).toBeGreaterThan(0);
  });

  it('refuses other methods with a JSON 404 and oversized request heads with 431', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      for (const route of [ROUTES.servers, ROUTES.latest, ROUTES.serverHistory('server-1')]) {
        const a = await get(route, { method, body: '{"__proto__":{"x":1}}' });
        expectClear(a, [404], `${method} ${route}`);
      }
    }
    // Node's HTTP parser refuses request heads over maxHeaderSize before any route runs.
    const ids = 'server-1,'.repeat(Math.ceil(HEAD_LIMIT / 9) + 1_000);
    const res = await fetch(`${generator.url}${ROUTES.latest}?ids=${ids}`);
    expect(res.status).toBe(431);
    await res.arrayBuffer();
    const many = await get(`${ROUTES.latest}?${'ids=server-1&'.repeat(1_000)}`);
    expectClear(many, [400], 'ids repeated 1,000 times');
  });

  it('is still up, healthy and ticking, with bounded memory, after all of the above', async () => {
    expect(generator.child.exitCode).toBeNull();
    const health = await get(ROUTES.health);
    expect(health.status).toBe(200);
    const growthMb = rssMiB(generator.pid) - rssBefore;
    expect(growthMb).toBeLessThan(64);
    expect(generator.output.filter((l) => /"level":(50|60)/.test(l))).toEqual([]);
  });
});
