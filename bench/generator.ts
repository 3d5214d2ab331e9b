/**
 * `npm run bench:generator [-- --quick]`: the generator's tick work at 1,000 / 10,000 / 100,000
 * servers, next to a bare better-sqlite3 insert of the same rows on the same schema in the same
 * run. The generator runs for real (createApp, wall-clock ticks at TICK_MS = 1000, file database
 * in a temp dir; fold, checkpoint and retention in the idle time); its per-tick timings come from
 * the ticker's `onTick` and `onMaintenance` reports. Runs are longer than a staging generation,
 * so they include a rotation and a whole fold. Two more runs start from 120 ticks of history
 * already in `samples` (what a user has after two minutes), at 10,000 and 100,000 servers, next
 * to a bare insert into a `samples` table holding the same history.
 * Writes bench/results/generator.json.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatorBench } from './lib/generator-result.js';
import { writeResult } from './lib/result.js';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { createApp } from '../metric-generator/src/app.js';
import { openDatabase, prepareConnection } from '../metric-generator/src/db.js';
import { fleetServers } from '../metric-generator/src/server-ids.js';
import {
  createFleetSimulation,
  createSampleColumns,
  type SampleColumns,
} from '../metric-generator/src/simulation.js';
import { GENERATION_TICKS } from '../metric-generator/src/fold.js';
import type { MaintenanceReport, TickReport } from '../metric-generator/src/ticker.js';
import { round, summarize, type Summary } from './lib/stats.js';
import { formatTable } from './lib/table.js';

const quick = process.argv.includes('--quick');
const SIZES = [1_000, 10_000, 100_000];
const TICK_MS = 1_000;
/**
 * Measured ticks per size (the first tick of a run is a warm-up and not counted): more than a
 * staging generation, so that a rotation and a whole fold are inside the measurement.
 */
const TICKS = quick ? 5 : GENERATION_TICKS + 10;
/** Steady-state scenarios: ticks of history already stored per server before the run. */
const STEADY = quick
  ? []
  : [
      { servers: 10_000, history: 120, ticks: TICKS },
      { servers: 100_000, history: 120, ticks: TICKS },
    ];
/** Ticks of the bare insert into a table that already holds history (slow: bounded). */
const BARE_HISTORY_TICKS = 6;
const SEED = 2026;
const log = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'bench-generator-'));

const fileSize = (path: string) => {
  let bytes = 0;
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      bytes += statSync(path + suffix).size;
    } catch {
      // absent
    }
  }
  return bytes;
};
const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);

interface ServiceRun {
  servers: number;
  ticks: number;
  work: Summary;
  sample: Summary;
  write: Summary;
  publish: Summary;
  /** Fold step after each tick (staged rows copied into samples). */
  fold: Summary;
  foldRowsPerTick: number;
  checkpoint: Summary;
  /** Everything the main thread did for one tick: work + fold + checkpoint + retention. */
  busy: Summary;
  lag: Summary;
  missedTicks: number;
  failedTicks: number;
  /** servers ÷ work p50: the tick's critical path. */
  rowsPerSecond: number;
  /** servers ÷ mean(work + fold): every row written twice, as the generator really does. */
  rowsPerSecondWithFold: number;
  rssPeakMb: number;
  dbMb: number;
}

/** Runs the real generator for `ticks` committed ticks (plus one warm-up) and collects timings. */
async function runService(servers: number, ticks: number, dbPath: string): Promise<ServiceRun> {
  const reports: TickReport[] = [];
  const maintenance = new Map<number, MaintenanceReport>();
  let rssPeak = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  const app = createApp({
    config: {
      serverCount: servers,
      tickMs: TICK_MS,
      dbPath,
      retentionSeconds: 3600,
      seed: SEED,
      includeHost: false,
    },
    log,
    defaultMetrics: false,
    onTick: (r) => {
      reports.push(r);
      rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
    },
    onMaintenance: (m) => {
      maintenance.set(m.tick, m);
      if (maintenance.size > ticks) done();
    },
  });
  app.start();
  const timeout = setTimeout(done, (ticks + 10) * TICK_MS);
  await finished;
  clearTimeout(timeout);
  const status = app.ticker.status();
  const failed =
    (await app.metrics.ticks.get()).values.find((v) => v.labels.result === 'failed')?.value ?? 0;
  await app.close();
  // Ticks whose maintenance ran (a tick caught up late shares the maintenance of the last one).
  const measured = reports.slice(1).filter((r) => maintenance.has(r.tick));
  const m = measured.map((r) => maintenance.get(r.tick)!);
  const work = summarize(measured.map((r) => r.workMs));
  const fold = summarize(m.map((x) => x.foldMs));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return {
    servers,
    ticks: measured.length,
    work,
    sample: summarize(measured.map((r) => r.sampleMs)),
    write: summarize(measured.map((r) => r.writeMs)),
    publish: summarize(measured.map((r) => r.publishMs)),
    fold,
    foldRowsPerTick: Math.round(mean(m.map((x) => x.foldRows))),
    checkpoint: summarize(m.map((x) => x.checkpointMs)),
    busy: summarize(
      measured.map((r, i) => r.workMs + m[i]!.foldMs + m[i]!.checkpointMs + m[i]!.retentionMs),
    ),
    lag: summarize(measured.map((r) => r.lagMs)),
    missedTicks: status.missedTicks,
    failedTicks: failed,
    rowsPerSecond: (servers / work.p50) * 1000,
    rowsPerSecondWithFold:
      (servers / (mean(measured.map((r) => r.workMs)) + mean(m.map((x) => x.foldMs)))) * 1000,
    rssPeakMb: mb(rssPeak),
    dbMb: mb(fileSize(dbPath)),
  };
}

/** The rows of `ticks` ticks, as the simulation produces them (not timed). */
function simulatedTicks(
  servers: number,
  ticks: number,
): { tick: number; columns: SampleColumns }[] {
  const sim = createFleetSimulation({
    seed: SEED,
    servers: Array.from({ length: servers }, (_, i) => i + 1),
    tickMs: TICK_MS,
  });
  const start = Math.ceil(Date.now() / TICK_MS) * TICK_MS;
  return Array.from({ length: ticks }, (_, t) => {
    const columns = createSampleColumns(servers);
    for (let i = 0; i < servers; i++) sim.step(i, start + t * TICK_MS, columns);
    return { tick: start + t * TICK_MS, columns };
  });
}

interface BareRun {
  variant: string;
  insert: Summary;
  rowsPerSecond: number;
}

/**
 * A bare better-sqlite3 insert of the same rows on the same schema and pragmas: one prepared
 * statement, one transaction per tick, `rowsPerStatement` rows per statement (1 = the textbook
 * loop), a passive checkpoint between ticks (not timed) as the generator does. With `history`,
 * `samples` first holds that many ticks of every server.
 */
function runBare(
  servers: number,
  data: { tick: number; columns: SampleColumns }[],
  rowsPerStatement: number,
  history = 0,
): BareRun {
  const path = join(dir, `bare-${servers}-${rowsPerStatement}-${history}.db`);
  const db = new Database(path);
  prepareConnection(db, log);
  if (history > 0) {
    // History ends one tick before the first measured tick.
    const keys = Int32Array.from({ length: servers }, (_, i) => i + 1);
    prefillSamples(db, keys, history, data[0]!.tick);
    db.pragma('wal_checkpoint(TRUNCATE)');
  }
  const values = (rows: number) =>
    Array.from({ length: rows }, () => '(?,?,?,?,?,?,?,?)').join(',');
  const many = db.prepare(`INSERT INTO samples VALUES ${values(rowsPerStatement)}`);
  const one = db.prepare(`INSERT INTO samples VALUES ${values(1)}`);
  const args = new Array<number>(rowsPerStatement * 8);
  const insert = db.transaction((tick: number, c: SampleColumns) => {
    let i = 0;
    if (rowsPerStatement > 1) {
      for (; i + rowsPerStatement <= servers; i += rowsPerStatement) {
        for (let j = 0, o = 0; j < rowsPerStatement; j++, o += 8) {
          const r = i + j;
          args[o] = r + 1;
          args[o + 1] = tick;
          args[o + 2] = c.cpuPct[r]!;
          args[o + 3] = c.memPct[r]!;
          args[o + 4] = c.diskPct[r]!;
          args[o + 5] = c.netRxBps[r]!;
          args[o + 6] = c.netTxBps[r]!;
          args[o + 7] = c.load1[r]!;
        }
        many.run(args);
      }
    }
    for (; i < servers; i++) {
      one.run(
        i + 1,
        tick,
        c.cpuPct[i]!,
        c.memPct[i]!,
        c.diskPct[i]!,
        c.netRxBps[i]!,
        c.netTxBps[i]!,
        c.load1[i]!,
      );
    }
  });
  const times: number[] = [];
  data.forEach(({ tick, columns }, t) => {
    const t0 = performance.now();
    insert(tick, columns);
    if (t > 0) times.push(performance.now() - t0); // same warm-up rule as the service
    db.pragma('wal_checkpoint(PASSIVE)');
  });
  db.close();
  rmSync(path, { force: true });
  rmSync(`${path}-wal`, { force: true });
  rmSync(`${path}-shm`, { force: true });
  const summary = summarize(times);
  return {
    variant:
      `bare, ${rowsPerStatement === 1 ? '1 row' : `${rowsPerStatement} rows`} per statement` +
      (history ? `, ${history} ticks of history` : ''),
    insert: summary,
    rowsPerSecond: (servers / summary.p50) * 1000,
  };
}

/** Writes `history` ticks (ending one tick before `before`) of every key straight into `samples`. */
function prefillSamples(
  db: Database.Database,
  keys: Int32Array,
  history: number,
  before = Math.floor(Date.now() / TICK_MS) * TICK_MS,
): void {
  const now = before;
  // Server-major order makes the prefill itself fast; the layout on disk is what matters.
  const insert = db.prepare('INSERT INTO samples VALUES (?,?,10,50,50,1000,1000,0.5)');
  db.transaction(() => {
    for (const key of keys) {
      for (let h = history; h >= 1; h--) insert.run(key, now - h * TICK_MS);
    }
  })();
}

/** Stores `history` ticks of every server before the run, as a long-running generator would have. */
function prefill(path: string, servers: number, history: number): void {
  const db = openDatabase({ path, log });
  const refs = fleetServers(servers, false);
  db.registerServers(refs);
  prefillSamples(
    db.handle,
    Int32Array.from(refs, (s) => s.key),
    history,
  );
  db.checkpoint('TRUNCATE');
  db.close();
}

const fmt = (n: number, digits = 1) =>
  Number.isFinite(n) ? round(n, digits).toLocaleString('en-US') : '–';

interface Result {
  label: string;
  history: number;
  service: ServiceRun;
  bare: BareRun[];
  ratioToBestBare: number;
  ratioWithFold: number;
  /** Bare insert p50 ÷ the tick's write p50: the database write alone, like for like. */
  writeRatio: number;
}

async function main() {
  const started = Date.now();
  const load = loadavg().map((l) => round(l, 2));
  console.log(
    `generator bench${quick ? ' (quick)' : ''}: ${cpus().length} cores, node ${process.version}, ` +
      `${TICKS} ticks per size at TICK_MS=${TICK_MS}, load average ${load.join(' ')}`,
  );
  const results: Result[] = [];
  const scenarios = [...SIZES.map((servers) => ({ servers, history: 0, ticks: TICKS })), ...STEADY];
  for (const { servers, history, ticks } of scenarios) {
    const label =
      servers.toLocaleString('en-US') + (history ? `, ${history} ticks of history` : '');
    console.log(`\n… ${label}`);
    const path = join(dir, `service-${servers}-${history}.db`);
    if (history) prefill(path, servers, history);
    const service = await runService(servers, ticks, path);
    rmSync(path, { force: true });
    rmSync(`${path}-wal`, { force: true });
    rmSync(`${path}-shm`, { force: true });
    const bareTicks = history ? BARE_HISTORY_TICKS : ticks;
    const data = simulatedTicks(servers, bareTicks + 1);
    // With history only the batched insert (the issue's baseline): each run refills the table.
    const bare = history
      ? [runBare(servers, data, 128, history)]
      : [runBare(servers, data, 1), runBare(servers, data, 128)];
    const best = Math.max(...bare.map((b) => b.rowsPerSecond));
    results.push({
      label,
      history,
      service,
      bare,
      ratioToBestBare: service.rowsPerSecond / best,
      ratioWithFold: service.rowsPerSecondWithFold / best,
      writeRatio: servers / best / (service.write.p50 / 1000),
    });
    console.log(
      `  work p50/p99 ${fmt(service.work.p50)}/${fmt(service.work.p99)} ms, fold p50/p99 ` +
        `${fmt(service.fold.p50)}/${fmt(service.fold.p99)} ms, busy p99 ${fmt(service.busy.p99)} ms, ` +
        `missed ${service.missedTicks}, bare best ${fmt(best, 0)} rows/s, load ${loadavg()[0]!.toFixed(2)}`,
    );
  }

  console.log(
    '\nTick work (sample every server + one transaction + publish) and the fold after it, ms;' +
      '\nbusy = work + fold + checkpoint + retention; rows/s = servers ÷ work p50 (critical path)' +
      '\nand servers ÷ mean(work + fold) (every row written twice)',
  );
  console.log(
    formatTable(
      [
        'servers',
        'work p50',
        'work p99',
        'sample',
        'write',
        'publish',
        'fold p50',
        'fold p99',
        'ckpt p50',
        'busy p99',
        'lag p99',
        'missed',
        'rows/s',
        'rows/s w/ fold',
        'bare 1-row',
        'bare 128-row',
        'ratio',
        'ratio w/ fold',
        'write ratio',
        'RSS MB',
      ],
      results.map(({ label, service: s, bare, ratioToBestBare, ratioWithFold, writeRatio }) => [
        label,
        fmt(s.work.p50),
        fmt(s.work.p99),
        fmt(s.sample.p50),
        fmt(s.write.p50),
        fmt(s.publish.p50),
        fmt(s.fold.p50),
        fmt(s.fold.p99),
        fmt(s.checkpoint.p50),
        fmt(s.busy.p99),
        fmt(s.lag.p99),
        s.missedTicks,
        fmt(s.rowsPerSecond, 0),
        fmt(s.rowsPerSecondWithFold, 0),
        bare.length > 1 ? fmt(bare[0]!.rowsPerSecond, 0) : '',
        fmt(bare.at(-1)!.rowsPerSecond, 0),
        `${fmt(ratioToBestBare * 100, 0)} %`,
        `${fmt(ratioWithFold * 100, 0)} %`,
        `${fmt(writeRatio * 100, 0)} %`,
        fmt(s.rssPeakMb),
      ]),
    ),
  );

  const at = (n: number) => results.filter((r) => r.service.servers === n);
  const sustained = (r: Result) =>
    r.service.missedTicks === 0 && r.service.failedTicks === 0 && r.service.busy.p99 < TICK_MS;
  const targets = {
    'tick work p99 at 10,000 servers <= 100 ms (fresh and with history)': at(10_000).every(
      (r) => r.service.work.p99 <= 100,
    ),
    '100,000 servers sustained at 1 Hz (no missed tick, work + maintenance p99 < 1000 ms)':
      at(100_000).every(sustained),
    'ingest >= 70 % of the best bare insert (critical path, every run)': results.every(
      (r) => r.ratioToBestBare >= 0.7,
    ),
    'ingest >= 70 % of the best bare insert (with the fold, every run)': results.every(
      (r) => r.ratioWithFold >= 0.7,
    ),
    'the tick’s database write >= 70 % of the bare insert’s speed (every run)': results.every(
      (r) => r.writeRatio >= 0.7,
    ),
  };
  console.log('\nTargets:');
  for (const [name, ok] of Object.entries(targets))
    console.log(`  ${ok ? 'met    ' : 'MISSED '} ${name}`);
  const loadAfter = loadavg().map((l) => round(l, 2));
  const seconds = round((Date.now() - started) / 1000, 0);
  console.log(
    `\n${seconds} s; load average before ${load.join(' ')}, after ${loadAfter.join(' ')}`,
  );

  const roundSummary = (s: Summary) =>
    Object.fromEntries(Object.entries(s).map(([k, v]) => [k, round(v, 2)])) as unknown as Summary;
  const out = {
    bench: 'generator',
    date: new Date().toISOString(),
    quick,
    machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version },
    loadAverage: { before: load, after: loadAfter },
    tickMs: TICK_MS,
    ticksPerRun: TICKS,
    stagingGenerationTicks: GENERATION_TICKS,
    results: results.map((r) => ({
      label: r.label,
      historyTicks: r.history,
      ...r.service,
      work: roundSummary(r.service.work),
      sample: roundSummary(r.service.sample),
      write: roundSummary(r.service.write),
      publish: roundSummary(r.service.publish),
      fold: roundSummary(r.service.fold),
      checkpoint: roundSummary(r.service.checkpoint),
      busy: roundSummary(r.service.busy),
      lag: roundSummary(r.service.lag),
      rowsPerSecond: Math.round(r.service.rowsPerSecond),
      rowsPerSecondWithFold: Math.round(r.service.rowsPerSecondWithFold),
      bare: r.bare.map((b) => ({
        ...b,
        insert: roundSummary(b.insert),
        rowsPerSecond: Math.round(b.rowsPerSecond),
      })),
      ratioToBestBare: round(r.ratioToBestBare, 3),
      ratioWithFold: round(r.ratioWithFold, 3),
      writeRatio: round(r.writeRatio, 3),
    })),
    targets,
    seconds,
  };
  const written = generatorBench.fromJson(out);
  console.log(`\n${written.table()}\n\nwrote ${writeResult(written)}`);
}

try {
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
