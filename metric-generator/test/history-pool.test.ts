import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HISTORY_BATCH_SAMPLES_MAX } from '@metrics/protocol';
import { openDatabase, type MetricsDatabase } from '../src/db.js';
import { createFold } from '../src/fold.js';
import { seriesJson } from '../src/history-json.js';
import { createHistoryPool, HistoryBusyError, type HistoryPool } from '../src/history-pool.js';
import { createHistoryReader, type HistoryRead } from '../src/history-reader.js';
import { fleetServers } from '../src/server-ids.js';
import { createSampleColumns } from '../src/simulation.js';
import { startService, type ServiceProcess } from '../../scripts/lib/service-process.js';
import { counter } from '../../scripts/lib/prom.js';
import {
  foldEverything,
  silentLog,
  startApp,
  waitFor,
  writeNumberedTick,
  type RunningApp,
} from './helpers.js';

const TICK = 1000;
const decode = (body: string | Uint8Array) =>
  typeof body === 'string' ? body : new TextDecoder().decode(body);

describe('history reader workers', () => {
  const dirs: string[] = [];
  const closers: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  const refs = fleetServers(6, false);
  function fileDatabase(): MetricsDatabase {
    const dir = mkdtempSync(join(tmpdir(), 'history-pool-'));
    dirs.push(dir);
    const db = openDatabase({ path: join(dir, 'metrics.db'), log: silentLog });
    db.registerServers(refs);
    closers.push(() => db.close());
    return db;
  }
  // Generous waits: a worker starting under tsx on a busy machine takes seconds.
  const patient = { maxWaitMs: 120_000, closeGraceMs: 120_000 };
  function pool(db: MetricsDatabase, workers: number, queueMax = 8): HistoryPool {
    const p = createHistoryPool({ db, workers, queueMax, log: silentLog, ...patient });
    closers.push(() => p.close());
    return p;
  }
  const write = (db: MetricsDatabase, t: number, version = 1) =>
    writeNumberedTick(db, refs, t, { tickMs: TICK, version });
  const reads = (): HistoryRead[] => [
    { servers: [refs[0]!], from: 0, to: 1e15, limit: 300, batch: false },
    { servers: [refs[2]!], from: 3 * TICK, to: 9 * TICK, limit: 4, batch: false },
    { servers: [refs[1]!, refs[4]!, refs[5]!], from: 2 * TICK, to: 1e15, limit: 5, batch: true },
    { servers: refs, from: 0, to: 1e15, limit: 10_000, batch: true },
  ];

  it('answers byte for byte what the tick thread answers, before, during and after a fold and a rewrite', async () => {
    const db = fileDatabase();
    const workers = pool(db, 2);
    expect(workers.mode).toBe('workers');
    const inThread = createHistoryReader(db.handle);
    const fold = createFold({ db, tickMs: TICK, generationTicks: 4, log: silentLog });
    const compare = async (stage: string) => {
      for (const read of reads()) {
        const expected = inThread.body(read);
        expect(decode(await workers.read(read)), `${stage}: ${JSON.stringify(read)}`).toBe(
          expected,
        );
        // The batched body is exactly the single-server bodies, in the order asked.
        const singles = read.servers.map((s) =>
          seriesJson(s.id, db.history(s.key, read.from, read.to, read.limit)),
        );
        expect(expected).toBe(read.batch ? `{"series":[${singles.join(',')}]}` : singles[0]);
      }
    };
    await compare('empty');
    for (let t = 1; t <= 11; t++) {
      write(db, t);
      // One fold step per tick, as the ticker does: rotations and slice copies in between.
      await fold.runSlice(t * TICK, () => true);
      await compare(`tick ${t} (${JSON.stringify(db.stagingStatus())})`);
    }
    // The clock went back: ticks 9-10 are written again with other values; the newest wins.
    write(db, 9, 2);
    write(db, 10, 2);
    await compare('rewritten');
    const series = JSON.parse(
      decode(
        await workers.read({
          servers: [refs[3]!],
          from: 9 * TICK,
          to: 10 * TICK,
          limit: 5,
          batch: false,
        }),
      ),
    ) as { samples: { memPct: number }[] };
    expect(series.samples.map((s) => s.memPct)).toEqual([2, 2]);
  });

  it('queues reads beyond the workers and refuses past the bounded queue, at once', async () => {
    const db = fileDatabase();
    for (let t = 1; t <= 50; t++) write(db, t);
    const p = pool(db, 1, 2);
    const read = reads()[3]!;
    const outcomes = Array.from({ length: 8 }, () =>
      p.read(read).then(
        (body) => decode(body),
        (err: Error) => err,
      ),
    );
    // Synchronously: one running, two waiting, five refused.
    expect(p.running).toBe(1);
    expect(p.queued).toBe(2);
    const settled = await Promise.all(outcomes);
    const refused = settled.filter((o) => o instanceof HistoryBusyError);
    expect(refused).toHaveLength(5);
    for (const r of refused) expect((r as HistoryBusyError).retryAfterS).toBeGreaterThan(0);
    const answered = settled.filter((o) => typeof o === 'string');
    expect(answered).toHaveLength(3);
    for (const a of answered) expect(a).toBe(createHistoryReader(db.handle).body(read));
    // Drained: the next read is admitted again.
    expect(decode(await p.read(read))).toBe(answered[0]);
  });

  it('answers 503 a read that waited too long for a worker, never leaving it hanging', async () => {
    const db = fileDatabase();
    for (let t = 1; t <= 50; t++) write(db, t);
    const p = createHistoryPool({ db, workers: 1, queueMax: 100, log: silentLog, maxWaitMs: 1 });
    closers.push(() => p.close());
    const read = reads()[3]!;
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, () =>
        p.read(read).then(
          () => 'answered',
          (err: Error) => err,
        ),
      ),
    );
    expect(outcomes[0]).toBe('answered');
    const expired = outcomes.filter((o) => o instanceof HistoryBusyError);
    expect(expired.length).toBeGreaterThan(0);
    expect(String((expired[0] as Error).message)).toMatch(/waited 1 ms without starting/);
    expect(p.queued).toBe(0);
  });

  it('reads on the tick thread for :memory: and HISTORY_WORKERS=0, with the same answers', async () => {
    const memory = openDatabase({ path: ':memory:', log: silentLog });
    closers.push(() => memory.close());
    memory.registerServers(refs);
    expect(pool(memory, 2).mode).toBe('in-thread');
    const db = fileDatabase();
    for (let t = 1; t <= 5; t++) write(db, t);
    const zero = pool(db, 0);
    const two = pool(db, 2);
    expect(zero.mode).toBe('in-thread');
    for (const read of reads())
      expect(decode(await zero.read(read))).toBe(decode(await two.read(read)));
  });

  it('lets the read in hand finish on close, then refuses; the workers stop', async () => {
    const db = fileDatabase();
    for (let t = 1; t <= 20; t++) write(db, t);
    const p = createHistoryPool({ db, workers: 2, queueMax: 4, log: silentLog, ...patient });
    const inHand = p.read(reads()[3]!);
    const closed = p.close();
    await expect(inHand).resolves.toBeDefined();
    await closed;
    await expect(p.read(reads()[0]!)).rejects.toBeInstanceOf(HistoryBusyError);
  });
});

describe('GET /v1/history and GET /v1/servers/:id/history', () => {
  let r: RunningApp;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'history-http-'));
    r = await startApp({ dbPath: join(dir, 'metrics.db'), serverCount: 8, historyWorkers: 2 });
    await waitFor(() => ((r.app.ticker.status().lastCommittedTick ?? 0) > 0 ? true : undefined));
    await waitFor(async () => {
      const res = await fetch(`${r.url}/v1/servers/server-1/history?limit=5`);
      const body = (await res.json()) as { samples: unknown[] };
      return body.samples.length >= 4 ? true : undefined;
    });
  });
  afterAll(async () => {
    await r?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = async (path: string) => {
    const res = await fetch(`${r.url}${path}`);
    return {
      status: res.status,
      headers: res.headers,
      body: (await res.json()) as Record<string, unknown>,
    };
  };

  it('answers each server exactly as its single-server history, in the order asked, once each', async () => {
    const to = r.app.ticker.status().lastCommittedTick!;
    const q = `from=0&to=${to}&limit=3`;
    const batch = await get(`/v1/history?ids=server-3,server-1,server-3,server-8&${q}`);
    expect(batch.status).toBe(200);
    const singles = await Promise.all(
      ['server-3', 'server-1', 'server-8'].map(
        async (id) => (await get(`/v1/servers/${id}/history?${q}`)).body,
      ),
    );
    expect(batch.body).toEqual({ series: singles });
    expect((singles[0]!.samples as unknown[]).length).toBe(3);
  });

  const thousandAndOne = Array.from({ length: 1001 }, (_, i) => `s${i}`).join(',');
  it.each([
    ['no ids', '/v1/history', 'ids'],
    ['empty ids', '/v1/history?ids=', 'ids'],
    ['an empty id', '/v1/history?ids=server-1,', 'ids'],
    ['limit 0', '/v1/history?ids=server-1&limit=0', 'limit'],
    ['limit 10001', '/v1/history?ids=server-1&limit=10001', 'limit'],
    ['from after to', '/v1/history?ids=server-1&from=5&to=4', '`from` must not be after `to`'],
    ['a word as from', '/v1/history?ids=server-1&from=yesterday', 'from'],
    ['an unknown parameter', '/v1/history?ids=server-1&evil=1', 'evil'],
    ['1001 ids', `/v1/history?ids=${thousandAndOne}`, 'at most 1000'],
  ])('400 for %s', async (_name, path, mentions) => {
    const res = await get(path);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'bad_request' } });
    expect(JSON.stringify(res.body)).toContain(mentions);
  });

  it('400 when ids × limit is more than a batched answer may hold', async () => {
    const ids = Array.from({ length: 11 }, (_, i) => `server-${i + 1}`).join(',');
    const res = await get(`/v1/history?ids=${ids}&limit=10000`);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain(`more than ${HISTORY_BATCH_SAMPLES_MAX} samples`);
  });

  it('404 naming every unknown id', async () => {
    const res = await get('/v1/history?ids=server-1,server-99,nope');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      error: { code: 'not_found', message: 'unknown servers "server-99", "nope"' },
    });
  });

  it('a flood of large reads never hangs: every answer is 200 or 503 with Retry-After', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 40 }, async () => {
        const res = await fetch(
          `${r.url}/v1/history?ids=server-1,server-2,server-3,server-4,server-5,server-6,server-7,server-8&limit=10000`,
        );
        await res.arrayBuffer();
        if (res.status === 503) expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
        return res.status;
      }),
    );
    for (const s of statuses) expect([200, 503]).toContain(s);
  });
});

describe('a flood of history reads beside the tick (generator process)', () => {
  // 250 ms ticks: a tick is missed only when the loop is held up more than 1 s (3 caught up).
  const TICK_MS = 250;
  const SERVERS = 10;
  const HISTORY_TICKS = 6_000;
  let generator: ServiceProcess;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'history-flood-'));
    const path = join(dir, 'metrics.db');
    // 25 minutes of 250 ms ticks already stored: every read below is 30,000 rows.
    const db = openDatabase({ path, log: silentLog });
    const refs = fleetServers(SERVERS, false);
    db.registerServers(refs);
    const keys = Int32Array.from(refs, (s) => s.key);
    const c = createSampleColumns(SERVERS);
    const first = Math.floor(Date.now() / TICK_MS) * TICK_MS - HISTORY_TICKS * TICK_MS;
    db.handle.transaction(() => {
      for (let t = 0; t < HISTORY_TICKS; t++) db.writeTick(first + t * TICK_MS, keys, c, SERVERS);
    })();
    foldEverything(db); // in `samples`, as ten minutes of history are
    db.close();
    generator = await startService(
      'metric-generator',
      {
        PORT: '0',
        DB_PATH: path,
        SERVER_COUNT: String(SERVERS),
        TICK_MS: String(TICK_MS),
        HISTORY_WORKERS: '2',
      },
      { timeoutMs: 120_000 },
    );
  });
  afterAll(async () => {
    await generator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('does not make the tick miss: the reads run in the workers', async () => {
    const ticks = () => counter(generator.url, 'generator_ticks_total', { result: 'ok' });
    const missed = () => counter(generator.url, 'generator_missed_ticks_total');
    await waitFor(async () => ((await ticks()) >= 2 ? true : undefined), 10_000);
    const ids = Array.from({ length: SERVERS }, (_, i) => `server-${i + 1}`).join(',');
    const url = `${generator.url}/v1/history?ids=${ids}&limit=3000`;
    // The workers are up once a read is answered.
    await waitFor(async () => ((await fetch(url)).status === 200 ? true : undefined), 60_000);
    const missedBefore = await missed();
    const ticksBefore = await ticks();
    const statuses = new Map<number, number>();
    let bytes = 0;
    const until = Date.now() + 6_000;
    // Eight readers, each asking every server's last 3,000 samples again as soon as answered.
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 200 && Date.now() < until; i++) {
          const res = await fetch(url);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          bytes += (await res.arrayBuffer()).byteLength;
        }
      }),
    );
    expect([...statuses.keys()].every((s) => s === 200 || s === 503)).toBe(true);
    // Slow on a busy machine, but reads of 30,000 samples were answered beside the ticks.
    expect(statuses.get(200) ?? 0).toBeGreaterThanOrEqual(2);
    expect(bytes).toBeGreaterThan(2 * 5_000_000);
    expect(generator.output.some((l) => l.includes('"historyReads":"workers"'))).toBe(true);
    expect((await ticks()) - ticksBefore).toBeGreaterThan(5);
    expect((await missed()) - missedBefore).toBe(0);
  }, 120_000);
});
