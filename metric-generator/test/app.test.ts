import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FLEET_HEADER_BYTES,
  ROUTES,
  decodeFleetBytes,
  readFleetHeader,
  serverListVersion,
  type Sample,
} from '@metrics/protocol';
import {
  historyResponseSchema,
  latestResponseSchema,
  sampleSchema,
  serversResponseSchema,
} from '@metrics/protocol/schemas';
import { latestQuerySchema } from '../src/routes/latest-router.js';
import { startApp, waitFor, type RunningApp } from './helpers.js';

const TICK_MS = 100;

async function getJson(url: string) {
  const res = await fetch(url);
  const text = await res.text();
  return { res, status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined, text };
}

function expectError(
  r: { status: number; body: unknown; text: string },
  status: number,
  code: string,
  message?: RegExp,
) {
  expect(r.status).toBe(status);
  expect(r.body).toEqual({ error: { code, message: expect.any(String) } });
  if (message) expect((r.body as { error: { message: string } }).error.message).toMatch(message);
  expect(r.text).not.toMatch(/\bat .*\.ts:\d+/); // no stack traces
}

describe('metric-generator app (in-memory database, real HTTP)', () => {
  let running: RunningApp;
  let url: string;
  beforeAll(async () => {
    running = await startApp({ serverCount: 12, tickMs: TICK_MS, includeHost: true });
    url = running.url;
    await waitFor(() => running.app.latest.current()?.tick);
  });
  afterAll(() => running?.close());

  describe('GET /v1/servers', () => {
    it('lists server-1 … server-N in numeric order, host last', async () => {
      const { status, body } = await getJson(url + ROUTES.servers);
      expect(status).toBe(200);
      const ids = serversResponseSchema.parse(body).servers.map((s) => s.id);
      expect(ids).toEqual([...Array.from({ length: 12 }, (_, i) => `server-${i + 1}`), 'host']);
    });

    it('carries the version of its id list, the one fleet frames name', async () => {
      const { body } = await getJson(url + ROUTES.servers);
      const list = serversResponseSchema.parse(body);
      expect(list.version).toBe(serverListVersion(list.servers.map((s) => s.id)));
      const res = await fetch(url + ROUTES.fleet);
      const header = readFleetHeader(new Uint8Array(await res.arrayBuffer()));
      expect(header.version).toBe(list.version);
      expect(header.count).toBe(list.servers.length);
    });
  });

  describe('GET /v1/fleet', () => {
    it('is the binary frame of the same tick as /v1/latest, columns in /v1/servers order', async () => {
      const list = serversResponseSchema.parse((await getJson(url + ROUTES.servers)).body);
      // Two long polls on the same `after` are answered by the same commit.
      for (let attempt = 0; ; attempt++) {
        const after = running.app.latest.current()!.tick;
        const [fleetRes, latestRes] = await Promise.all([
          fetch(`${url}${ROUTES.fleet}?after=${after}`),
          fetch(`${url}${ROUTES.latest}?after=${after}`),
        ]);
        expect(fleetRes.status).toBe(200);
        expect(fleetRes.headers.get('content-type')).toBe('application/octet-stream');
        const bytes = new Uint8Array(await fleetRes.arrayBuffer());
        const latest = latestResponseSchema.parse(await latestRes.json());
        const tick = Number(fleetRes.headers.get('x-tick'));
        if (tick !== Number(latestRes.headers.get('x-tick')) && attempt < 5) continue;
        expect(tick).toBeGreaterThan(after);
        expect(bytes.byteLength).toBe(FLEET_HEADER_BYTES + 6 * list.servers.length);
        expect(fleetRes.headers.get('x-servers-version')).toBe(String(list.version));
        const frame = decodeFleetBytes(bytes);
        expect(frame).toMatchObject({ tick, version: list.version, count: list.servers.length });
        const byId = new Map(latest.samples.map((s) => [s.serverId, s]));
        list.servers.forEach(({ id }, i) => {
          const s = byId.get(id)!;
          expect(Date.parse(s.timestamp)).toBe(tick);
          expect(frame.cpuPct[i]).toBeCloseTo(s.cpuPct, 2);
          expect(frame.memPct[i]).toBeCloseTo(s.memPct, 2);
          expect(frame.diskPct[i]).toBeCloseTo(s.diskPct, 2);
        });
        break;
      }
    });

    it('answers a long poll at the next commit, and at once when a newer tick is committed', async () => {
      const current = running.app.latest.current()!.tick;
      const res = await fetch(`${url}${ROUTES.fleet}?after=${current}`);
      expect(res.status).toBe(200);
      expect(Number(res.headers.get('x-tick'))).toBeGreaterThan(current);
      expect(readFleetHeader(new Uint8Array(await res.arrayBuffer())).tick).toBe(
        Number(res.headers.get('x-tick')),
      );
      const old = await fetch(`${url}${ROUTES.fleet}?after=0`);
      expect(old.status).toBe(200);
      await old.arrayBuffer();
    });

    it('answers 204 after 2 × TICK_MS when no newer tick commits', async () => {
      const started = Date.now();
      const res = await fetch(`${url}${ROUTES.fleet}?after=${Date.now() + 3_600_000}`);
      expect(res.status).toBe(204);
      expect(await res.text()).toBe('');
      expect(Date.now() - started).toBeGreaterThanOrEqual(2 * TICK_MS - 5);
    });

    it.each([['after=yesterday'], ['ids=server-1'], ['after=1&after=2']])(
      'rejects ?%s with 400',
      async (query) => {
        expectError(await getJson(`${url}${ROUTES.fleet}?${query}`), 400, 'bad_request');
      },
    );
  });

  describe('GET /v1/latest', () => {
    it('serves every server of the last committed tick, on a multiple of TICK_MS', async () => {
      const { res, status, body } = await getJson(url + ROUTES.latest);
      expect(status).toBe(200);
      const tick = Number(res.headers.get('x-tick'));
      expect(tick % TICK_MS).toBe(0);
      const parsed = latestResponseSchema.parse(body);
      expect(parsed.samples).toHaveLength(13);
      expect((body as { tick: number }).tick).toBe(tick);
      for (const s of parsed.samples) expect(Date.parse(s.timestamp)).toBe(tick);
    });

    it('serves only the asked ids, once each, unknown ids simply absent', async () => {
      const { status, body } = await getJson(
        `${url}${ROUTES.latest}?ids=server-3,server-99,server-1,server-3,host`,
      );
      expect(status).toBe(200);
      const ids = latestResponseSchema.parse(body).samples.map((s) => s.serverId);
      expect(ids).toEqual(['server-3', 'server-1', 'host']);
    });

    it('reports the host with real, bounded values', async () => {
      await new Promise((r) => setTimeout(r, 2 * TICK_MS)); // rates need two readings
      const { body } = await getJson(`${url}${ROUTES.latest}?ids=host`);
      const [host] = latestResponseSchema.parse(body).samples;
      expect(host?.serverId).toBe('host');
      expect(host!.memPct).toBeGreaterThan(0);
      expect(host!.load1).toBeGreaterThanOrEqual(0);
    });

    it('advances by exactly one TICK_MS per commit', async () => {
      const seen: number[] = [];
      let after = running.app.latest.current()!.tick;
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${url}${ROUTES.latest}?ids=server-1&after=${after}`);
        expect(res.status).toBe(200);
        after = Number(res.headers.get('x-tick'));
        const [s] = latestResponseSchema.parse(await res.json()).samples;
        expect(Date.parse(s!.timestamp)).toBe(after);
        seen.push(after);
      }
      expect(seen.slice(1).map((t, i) => t - seen[i]!)).toEqual([TICK_MS, TICK_MS, TICK_MS]);
    });

    it('answers a long poll at the next commit', async () => {
      const current = running.app.latest.current()!.tick;
      const started = Date.now();
      const res = await fetch(`${url}${ROUTES.latest}?after=${current}`);
      const waited = Date.now() - started;
      expect(res.status).toBe(200);
      const tick = Number(res.headers.get('x-tick'));
      expect(tick).toBeGreaterThan(current);
      expect(waited).toBeLessThanOrEqual(2 * TICK_MS);
      // Answered at the commit: before the following tick is even due (generous for a loaded CI machine).
      expect(Date.now() - tick).toBeLessThan(TICK_MS);
    });

    it('answers a long poll at once when a newer tick is committed', async () => {
      const res = await fetch(`${url}${ROUTES.latest}?after=0&ids=server-2`);
      expect(res.status).toBe(200);
      expect(latestResponseSchema.parse(await res.json()).samples).toHaveLength(1);
    });

    it('accepts `after` as an ISO date too', async () => {
      const res = await fetch(`${url}${ROUTES.latest}?after=2020-01-01T00:00:00Z&ids=server-2`);
      expect(res.status).toBe(200);
    });

    it('answers 204 after 2 × TICK_MS when no newer tick commits', async () => {
      const started = Date.now();
      const res = await fetch(`${url}${ROUTES.latest}?after=${Date.now() + 3_600_000}`);
      expect(res.status).toBe(204);
      expect(await res.text()).toBe('');
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(2 * TICK_MS - 5);
      expect(waited).toBeLessThan(2 * TICK_MS + 400);
    });

    it('forgets a held request when its client disconnects', async () => {
      const controller = new AbortController();
      const req = fetch(`${url}${ROUTES.latest}?after=${Date.now() + 3_600_000}`, {
        signal: controller.signal,
      }).catch(() => 'aborted');
      await waitFor(() => (running.app.latest.waiting > 0 ? true : undefined));
      controller.abort();
      expect(await req).toBe('aborted');
      await waitFor(() => (running.app.latest.waiting === 0 ? true : undefined));
    });

    it.each([
      ['ids=', /ids/],
      ['ids=server-1,,server-2', /ids/],
      [`ids=${'x'.repeat(65)}`, /ids/],
      ['ids=a&ids=b', /ids/],
      ['after=yesterday', /after/],
      ['foo=1', /foo|unrecognized/i],
    ])('rejects ?%s with 400', async (query, message) => {
      expectError(await getJson(`${url}${ROUTES.latest}?${query}`), 400, 'bad_request', message);
    });

    it('takes a watch list of thousands of ids in one request', async () => {
      const ids = Array.from({ length: 20_000 }, (_, i) => `server-${(i % 12) + 1}x${i}`);
      ids.push('server-3');
      const res = await fetch(`${url}${ROUTES.latest}?ids=${ids.join(',')}`);
      expect(res.status).toBe(200);
      const samples = latestResponseSchema.parse(await res.json()).samples;
      expect(samples.map((s) => s.serverId)).toEqual(['server-3']);
    });

    it('rejects more than 100,000 ids', () => {
      const ids = Array.from({ length: 100_001 }, (_, i) => `server-${i + 1}`).join(',');
      expect(latestQuerySchema.safeParse({ ids }).success).toBe(false);
      const ok = Array.from({ length: 100_000 }, (_, i) => `server-${i + 1}`).join(',');
      expect(latestQuerySchema.safeParse({ ids: ok }).success).toBe(true);
    });
  });

  describe('GET /v1/servers/:id/latest', () => {
    it('serves the last committed sample of one server', async () => {
      const { res, status, body } = await getJson(url + ROUTES.serverLatest('server-7'));
      expect(status).toBe(200);
      const sample = sampleSchema.parse(body);
      expect(sample.serverId).toBe('server-7');
      expect(Date.parse(sample.timestamp)).toBe(Number(res.headers.get('x-tick')));
    });

    it('404s an unknown server and 400s a malformed id', async () => {
      expectError(
        await getJson(url + ROUTES.serverLatest('server-13')),
        404,
        'not_found',
        /server-13/,
      );
      expectError(await getJson(url + ROUTES.serverLatest('x'.repeat(65))), 400, 'bad_request');
    });
  });

  describe('GET /v1/servers/:id/history', () => {
    const history = async (query: string, id = 'server-2') =>
      getJson(`${url}${ROUTES.serverHistory(id)}${query}`);

    it('returns samples oldest first, one per tick, a gap only where a tick was counted missed', async () => {
      const { status, body } = await history('');
      const missed = running.app.ticker.status().missedTicks;
      expect(status).toBe(200);
      const parsed = historyResponseSchema.parse(body);
      expect(parsed.serverId).toBe('server-2');
      const ts = parsed.samples.map((s) => Date.parse(s.timestamp));
      expect(ts.length).toBeGreaterThan(3);
      const steps = ts.slice(1).map((t, i) => (t - ts[i]!) / TICK_MS);
      for (const step of steps) {
        expect(Number.isInteger(step) && step >= 1).toBe(true);
      }
      // On a loaded machine a tick may be skipped, but never silently.
      expect(steps.reduce((gaps, step) => gaps + step - 1, 0)).toBeLessThanOrEqual(missed);
    });

    it('keeps the newest `limit` samples', async () => {
      const all = historyResponseSchema.parse((await history('')).body).samples;
      const last2 = historyResponseSchema.parse((await history('?limit=2')).body).samples;
      expect(last2).toHaveLength(2);
      expect(Date.parse(last2[1]!.timestamp)).toBeGreaterThanOrEqual(
        Date.parse(all.at(-1)!.timestamp),
      );
    });

    it('filters by inclusive from/to given as epoch ms or ISO 8601', async () => {
      const all: Sample[] = historyResponseSchema.parse((await history('')).body).samples;
      const from = Date.parse(all[1]!.timestamp);
      const to = Date.parse(all[2]!.timestamp);
      const byMs = historyResponseSchema.parse((await history(`?from=${from}&to=${to}`)).body);
      expect(byMs.samples.map((s) => s.timestamp)).toEqual([all[1]!.timestamp, all[2]!.timestamp]);
      const byIso = historyResponseSchema.parse(
        (await history(`?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`))
          .body,
      );
      expect(byIso.samples).toEqual(byMs.samples);
      expect(byMs.samples[0]).toEqual(all[1]);
    });

    it.each([
      ['?limit=0'],
      ['?limit=10001'],
      ['?limit=abc'],
      ['?from=abc'],
      ['?from=200&to=100'],
      ['?bogus=1'],
    ])('rejects %s with 400', async (query) => {
      expectError(await history(query), 400, 'bad_request');
    });

    it('404s an unknown server', async () => {
      expectError(await history('', 'server-0'), 404, 'not_found');
    });
  });

  describe('GET /healthz and /metrics', () => {
    it('reports ok while ticks commit', async () => {
      const { status, body } = await getJson(url + ROUTES.health);
      expect(status).toBe(200);
      expect(body).toMatchObject({
        status: 'ok',
        servers: 13,
        tickMs: TICK_MS,
        consecutiveFailures: 0,
      });
    });

    it('exposes tick, row and HTTP request counters', async () => {
      await fetch(url + ROUTES.serverLatest('server-404'));
      const res = await fetch(url + ROUTES.metrics);
      expect(res.headers.get('content-type')).toMatch(/text\/plain/);
      const text = await res.text();
      expect(text).toMatch(/^generator_ticks_total\{result="ok"\} [1-9]/m);
      expect(text).toMatch(/^generator_rows_written_total [1-9]/m);
      expect(text).toMatch(/^generator_tick_duration_seconds_count [1-9]/m);
      expect(text).toMatch(/^generator_tick_lag_seconds_count [1-9]/m);
      expect(text).toMatch(/^generator_missed_ticks_total \d/m);
      expect(text).toMatch(/^generator_rows_pruned_total \d/m);
      expect(text).toMatch(
        /^generator_http_requests_total\{method="GET",route="\/v1\/servers\/:id\/latest",status="404"\} [1-9]/m,
      );
      expect(text).toMatch(
        /^generator_http_requests_total\{method="GET",route="\/v1\/latest",status="204"\} [1-9]/m,
      );
    });
  });

  describe('errors', () => {
    it('answers unknown routes with a JSON 404', async () => {
      expectError(await getJson(`${url}/nope`), 404, 'not_found');
    });

    it('answers a malformed path with a JSON 400, without a stack trace', async () => {
      expectError(await getJson(`${url}/v1/servers/%E0%A4%A/latest`), 400, 'bad_request');
    });
  });
});

describe('metric-generator app: lifecycle and failures', () => {
  it('releases held long polls with 204 when it closes', async () => {
    const running = await startApp({ tickMs: TICK_MS });
    try {
      await waitFor(() => running.app.latest.current()?.tick);
      const held = fetch(`${running.url}${ROUTES.latest}?after=${Date.now() + 3_600_000}`);
      await waitFor(() => (running.app.latest.waiting > 0 ? true : undefined));
      await running.app.close();
      expect((await held).status).toBe(204);
    } finally {
      await running.close();
    }
  });

  it('answers 503 before the first tick commits instead of serving nothing', async () => {
    const running = await startApp({ tickMs: TICK_MS }, { start: false });
    try {
      expectError(await getJson(running.url + ROUTES.latest), 503, 'unavailable');
      expectError(await getJson(running.url + ROUTES.serverLatest('server-1')), 503, 'unavailable');
      const health = await getJson(running.url + ROUTES.health);
      expect(health.status).toBe(503);
    } finally {
      await running.close();
    }
  });

  it('keeps running when the disk is full: counts the failure, turns /healthz 503, recovers', async () => {
    const running = await startApp({ serverCount: 300, tickMs: TICK_MS });
    try {
      await waitFor(() => running.app.latest.current()?.tick);
      const { handle } = running.app.db;
      const pages = handle.pragma('page_count', { simple: true }) as number;
      handle.pragma(`max_page_count = ${pages}`); // the database cannot grow: SQLITE_FULL
      const health = await waitFor(async () => {
        const h = await getJson(running.url + ROUTES.health);
        return h.status === 503 ? h : undefined;
      });
      expect(health.body).toMatchObject({
        status: 'error',
        reason: expect.stringMatching(/database write failed: .*full/i),
        error: { code: 'unavailable' },
      });
      const stuck = running.app.latest.current()!.tick;
      await new Promise((r) => setTimeout(r, 2 * TICK_MS));
      expect(running.app.latest.current()!.tick).toBe(stuck); // only committed ticks are served
      const metrics = await (await fetch(running.url + ROUTES.metrics)).text();
      expect(metrics).toMatch(/^generator_ticks_total\{result="failed"\} [1-9]/m);

      handle.pragma('max_page_count = 1073741823');
      await waitFor(async () =>
        (await getJson(running.url + ROUTES.health)).status === 200 ? true : undefined,
      );
      expect(running.app.latest.current()!.tick).toBeGreaterThan(stuck);
    } finally {
      await running.close();
    }
  });

  it('on restart with another SERVER_COUNT lists the new set and keeps older rows to age out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'generator-'));
    const dbPath = join(dir, 'metrics.db');
    try {
      const first = await startApp({ serverCount: 10, tickMs: TICK_MS, dbPath });
      await waitFor(() => running(first));
      await first.close();
      const second = await startApp({ serverCount: 3, tickMs: TICK_MS, dbPath });
      try {
        const ids = serversResponseSchema.parse(
          (await getJson(second.url + ROUTES.servers)).body,
        ).servers;
        expect(ids.map((s) => s.id)).toEqual(['server-1', 'server-2', 'server-3']);
        expectError(await getJson(second.url + ROUTES.serverLatest('server-10')), 404, 'not_found');
        expect(second.app.db.knownServerKeys()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        // Before its first tick, a server's latest comes from the previous run's rows.
        const h = await getJson(second.url + ROUTES.serverHistory('server-2'));
        expect(historyResponseSchema.parse(h.body).samples.length).toBeGreaterThan(0);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function running(r: RunningApp): true | undefined {
  return (r.app.ticker.status().lastCommittedTick ?? 0) > 0 &&
    r.app.db.history(1, 0, Number.MAX_SAFE_INTEGER, 10).length >= 2
    ? true
    : undefined;
}
