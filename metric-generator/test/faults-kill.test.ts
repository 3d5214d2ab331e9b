import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ROUTES, SAMPLE_METRICS, type Sample, type SampleMetric } from '@metrics/protocol';
import { startService, type ServiceProcess } from '../../scripts/lib/service-process.js';
import { createRandom } from '../src/simulation.js';
import { storedSamples } from './fixtures/stored-samples.js';

/**
 * Crash safety of the real generator process (main.ts, file database): it is killed with
 * SIGKILL at random moments while it writes, 20 times in a row on the same database file.
 * After every kill the file is opened read-only here and must pass `PRAGMA integrity_check`,
 * hold every sample the API served before the kill (served = committed), hold whole ticks only,
 * and the restarted process must go on ticking after the last served tick.
 */
const KILLS = 20;
const TICK_MS = 100;
/** Enough servers that a tick's transaction and checkpoint fill a good part of each period. */
const SERVER_COUNT = 2_000;
const WATCHED = ['server-1', 'server-777', `server-${SERVER_COUNT}`];
const seed = Number(process.env.FAULT_SEED ?? Date.now() % 2 ** 31);

const dir = mkdtempSync(join(tmpdir(), 'generator-kill-'));
const dbPath = join(dir, 'metrics.db');
const running: ServiceProcess[] = [];

afterEach(async () => {
  for (const s of running.splice(0)) await s.stop('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Long-polls `/v1/latest` for the watched ids and records every tick it is served. */
function watch(url: string, served: Map<number, Sample[]>) {
  let stopped = false;
  let last = 0;
  const firstTick = new Promise<number>((resolve, reject) => {
    void (async () => {
      let resolved = false;
      while (!stopped) {
        let res: Response;
        try {
          res = await fetch(`${url}${ROUTES.latest}?ids=${WATCHED.join(',')}&after=${last}`);
        } catch (err) {
          if (!resolved) reject(err as Error);
          return; // the process was killed
        }
        if (res.status === 204) continue;
        let body: { tick: number; samples: Sample[] };
        try {
          body = (await res.json()) as typeof body;
        } catch {
          return; // killed mid-response
        }
        served.set(body.tick, body.samples);
        last = body.tick;
        if (!resolved) {
          resolved = true;
          resolve(body.tick);
        }
      }
    })();
  });
  return {
    firstTick,
    lastTick: () => last,
    stop: () => void (stopped = true),
  };
}

type Row = Record<SampleMetric, number> & { name: string; ts: number };

describe('metric-generator killed with SIGKILL while it writes', () => {
  it(`keeps an intact database holding every served sample, and resumes ticking, over ${KILLS} kills`, async ({
    annotate,
  }) => {
    // The kill moments are reproducible with FAULT_SEED.
    const random = createRandom(seed);
    const env = {
      PORT: '0',
      DB_PATH: dbPath,
      TICK_MS: String(TICK_MS),
      SERVER_COUNT: String(SERVER_COUNT),
      SEED: String(seed),
    };
    const servedAll = new Map<number, Sample[]>();
    const killPhases: number[] = [];
    let lastServedBeforeKill = -Infinity;

    for (let round = 0; round < KILLS; round++) {
      const context = `round ${round + 1} of ${KILLS}, FAULT_SEED=${seed}`;
      const service = await startService('metric-generator', env);
      running.push(service);
      const served = new Map<number, Sample[]>();
      const watcher = watch(service.url, served);
      const first = await watcher.firstTick;
      // Ticks resume after the restart: later than anything served before, on the TICK_MS grid.
      expect(first, context).toBeGreaterThan(lastServedBeforeKill);
      expect(first % TICK_MS, context).toBe(0);

      // Kill 1–3 periods later at a uniformly random phase of the tick: during the sampling,
      // the transaction, the publish, the WAL checkpoint or retention, whichever runs then.
      const killAt = first + TICK_MS * (1 + Math.floor(random() * 3)) + random() * TICK_MS;
      await new Promise((r) => setTimeout(r, Math.max(0, killAt - Date.now())));
      const killedAt = Date.now();
      expect((await service.stop('SIGKILL')).signal, context).toBe('SIGKILL');
      running.splice(running.indexOf(service), 1);
      watcher.stop();
      killPhases.push(Math.round(killedAt % TICK_MS));
      expect(served.size, context).toBeGreaterThan(0);
      for (const [tick, samples] of served) servedAll.set(tick, samples);
      lastServedBeforeKill = Math.max(...served.keys());

      const db = new Database(dbPath, { readonly: true, fileMustExist: true });
      try {
        expect(db.pragma('integrity_check', { simple: true }), context).toBe('ok');
        // Whole ticks only: a transaction cut by the kill left nothing behind.
        expect(partialTicks(db), context).toEqual([]);
        // Every sample served in this round is stored with the values it was served with.
        const stored = storedRows(db, [...served.keys()]);
        for (const [tick, samples] of served) {
          for (const s of samples) {
            expect(
              stored.get(`${s.serverId}@${tick}`),
              `${context}: ${s.serverId}@${tick}`,
            ).toEqual(Object.fromEntries(SAMPLE_METRICS.map((m) => [m, s[m]])));
          }
        }
      } finally {
        db.close();
      }
    }

    // After all kills, every sample ever served is still there (no later recovery lost one).
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const stored = storedRows(db, [...servedAll.keys()]);
      let checked = 0;
      for (const [tick, samples] of servedAll) {
        for (const s of samples) {
          expect(stored.has(`${s.serverId}@${tick}`), `${s.serverId}@${tick}`).toBe(true);
          checked++;
        }
      }
      expect(checked).toBe(servedAll.size * WATCHED.length);
    } finally {
      db.close();
    }
    await annotate(
      `${KILLS} kills (FAULT_SEED=${seed}) at ms into the ${TICK_MS} ms tick: ${killPhases.join(', ')}; ` +
        `${servedAll.size} served ticks verified`,
    );
  }, 180_000);
});

/** Ticks whose stored samples are not exactly one per server (a transaction cut in half). */
function partialTicks(db: Database.Database): unknown[] {
  const perTick = new Map<number, number>();
  for (const row of storedSamples(db).values()) {
    perTick.set(row.ts, (perTick.get(row.ts) ?? 0) + 1);
  }
  return [...perTick].filter(([, n]) => n !== SERVER_COUNT).map(([ts, n]) => ({ ts, n }));
}

/** The stored samples of the watched servers at `ticks`, keyed `name@tick`. */
function storedRows(db: Database.Database, ticks: number[]): Map<string, Omit<Row, 'name' | 'ts'>> {
  const names = new Map(
    db
      .prepare<[], [number, string]>('SELECT id, name FROM servers')
      .raw()
      .all()
      .filter(([, name]) => WATCHED.includes(name)),
  );
  const wanted = new Set(ticks);
  const out = new Map<string, Omit<Row, 'name' | 'ts'>>();
  for (const { serverKey, ts, ...values } of storedSamples(db).values()) {
    const name = names.get(serverKey);
    if (name !== undefined && wanted.has(ts)) out.set(`${name}@${ts}`, values);
  }
  return out;
}
