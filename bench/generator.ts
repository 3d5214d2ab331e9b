/**
 * `npm run bench:generator [-- --quick]`: the generator's tick work at 1,000 / 10,000 / 100,000
 * servers, next to a bare better-sqlite3 insert of the same rows on the same schema in the same
 * run. The generator runs for real (createApp, wall-clock ticks at TICK_MS = 1000, file database
 * in a temp dir, checkpoint and retention in the idle time); its per-tick timings come from the
 * ticker's `onTick` report. Writes bench/results/generator.json.
 */
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { createApp } from '../metric-generator/src/app.js';
import { MIGRATIONS_DIR, openDatabase } from '../metric-generator/src/db.js';
import { fleetServers } from '../metric-generator/src/server-ids.js';
import {
  createFleetSimulation,
  createSampleColumns,
  type SampleColumns,
} from '../metric-generator/src/simulation.js';
import type { TickReport } from '../metric-generator/src/ticker.js';
import { round, summarize, type Summary } from './lib/stats.js';
import { formatTable } from './lib/table.js';

const quick = process.argv.includes('--quick');
const SIZES = [1_000, 10_000, 100_000];
const TICK_MS = 1_000;
/** Measured ticks per size (the first tick of a run is a warm-up and not counted). */
const TICKS = quick ? 5 : 25;
/** Steady-state scenario: ticks of history already stored per server before the run. */
const STEADY = { servers: 10_000, history: quick ? 0 : 120, ticks: quick ? 0 : 10 };
const SEED = 2026;
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
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
  lag: Summary;
  missedTicks: number;
  failedTicks: number;
  checkpointMeanMs: number;
  rowsPerSecond: number;
  rssPeakMb: number;
  dbMb: number;
}

/** Runs the real generator for `ticks` committed ticks (plus one warm-up) and collects timings. */
async function runService(servers: number, ticks: number, dbPath: string): Promise<ServiceRun> {
  const reports: TickReport[] = [];
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
      if (reports.length > ticks) done();
    },
  });
  app.start();
  const timeout = setTimeout(done, (ticks + 10) * TICK_MS);
  await finished;
  clearTimeout(timeout);
  const status = app.ticker.status();
  const failed =
    (await app.metrics.ticks.get()).values.find((v) => v.labels.result === 'failed')?.value ?? 0;
  const checkpoint = await app.metrics.checkpointDuration.get();
  const sum = checkpoint.values.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
  const count = checkpoint.values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
  await app.close();
  const measured = reports.slice(1);
  const work = summarize(measured.map((r) => r.workMs));
  return {
    servers,
    ticks: measured.length,
    work,
    sample: summarize(measured.map((r) => r.sampleMs)),
    write: summarize(measured.map((r) => r.writeMs)),
    publish: summarize(measured.map((r) => r.publishMs)),
    lag: summarize(measured.map((r) => r.lagMs)),
    missedTicks: status.missedTicks,
    failedTicks: failed,
    checkpointMeanMs: count ? (sum / count) * 1000 : NaN,
    rowsPerSecond: (servers / work.p50) * 1000,
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
 * loop), a passive checkpoint between ticks (not timed) as the generator does.
 */
function runBare(
  servers: number,
  data: { tick: number; columns: SampleColumns }[],
  rowsPerStatement: number,
): BareRun {
  const path = join(dir, `bare-${servers}-${rowsPerStatement}.db`);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 0');
  for (const f of readdirSync(MIGRATIONS_DIR)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    db.exec(readFileSync(join(MIGRATIONS_DIR, f), 'utf8'));
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
  const summary = summarize(times);
  return {
    variant:
      rowsPerStatement === 1
        ? 'bare, 1 row per statement'
        : `bare, ${rowsPerStatement} rows per statement`,
    insert: summary,
    rowsPerSecond: (servers / summary.p50) * 1000,
  };
}

/** Stores `history` ticks of every server before the run, as a long-running generator would have. */
function prefill(path: string, servers: number, history: number): void {
  const db = openDatabase({ path, log });
  const refs = fleetServers(servers, false);
  db.registerServers(refs);
  const keys = Int32Array.from(refs, (s) => s.key);
  const columns = createSampleColumns(servers);
  columns.cpuPct.fill(10);
  const now = Math.floor(Date.now() / TICK_MS) * TICK_MS;
  // Server-major order makes the prefill itself fast; the layout on disk is what matters.
  const insert = db.handle.prepare('INSERT INTO samples VALUES (?,?,10,50,50,1000,1000,0.5)');
  db.handle.transaction(() => {
    for (let s = 0; s < servers; s++) {
      for (let h = history; h >= 1; h--) insert.run(keys[s]!, now - h * TICK_MS);
    }
  })();
  db.checkpoint('TRUNCATE');
  db.close();
}

const fmt = (n: number, digits = 1) =>
  Number.isFinite(n) ? round(n, digits).toLocaleString('en-US') : '–';

async function main() {
  const started = Date.now();
  console.log(
    `generator bench${quick ? ' (quick)' : ''}: ${cpus().length} cores, node ${process.version}, ` +
      `${TICKS} ticks per size at TICK_MS=${TICK_MS}`,
  );
  const results: { service: ServiceRun; bare: BareRun[]; ratioToBestBare: number }[] = [];
  for (const servers of SIZES) {
    console.log(`\n… ${servers.toLocaleString('en-US')} servers`);
    const service = await runService(servers, TICKS, join(dir, `service-${servers}.db`));
    const data = simulatedTicks(servers, TICKS + 1);
    const bare = [runBare(servers, data, 1), runBare(servers, data, 128)];
    const best = Math.max(...bare.map((b) => b.rowsPerSecond));
    results.push({ service, bare, ratioToBestBare: service.rowsPerSecond / best });
  }

  let steady: ServiceRun | undefined;
  if (STEADY.history > 0) {
    console.log(
      `\n… steady state: ${STEADY.servers.toLocaleString('en-US')} servers with ${STEADY.history} ticks of history`,
    );
    const path = join(dir, 'steady.db');
    prefill(path, STEADY.servers, STEADY.history);
    steady = await runService(STEADY.servers, STEADY.ticks, path);
  }

  console.log(
    '\nTick work (sample every server + one transaction + publish), ms; ingest rows/s at p50',
  );
  console.log(
    formatTable(
      [
        'servers',
        'work p50',
        'work p99',
        'sample p50',
        'write p50',
        'publish p50',
        'lag p99',
        'missed',
        'rows/s',
        'bare 1-row rows/s',
        'bare 128-row rows/s',
        'ratio',
        'RSS MB',
      ],
      [
        ...results.map(({ service: s, bare, ratioToBestBare }) => [
          s.servers.toLocaleString('en-US'),
          fmt(s.work.p50),
          fmt(s.work.p99),
          fmt(s.sample.p50),
          fmt(s.write.p50),
          fmt(s.publish.p50),
          fmt(s.lag.p99),
          s.missedTicks,
          fmt(s.rowsPerSecond, 0),
          fmt(bare[0]!.rowsPerSecond, 0),
          fmt(bare[1]!.rowsPerSecond, 0),
          `${fmt(ratioToBestBare * 100, 0)} %`,
          fmt(s.rssPeakMb),
        ]),
        ...(steady
          ? [
              [
                `${steady.servers.toLocaleString('en-US')}, ${STEADY.history} s history`,
                fmt(steady.work.p50),
                fmt(steady.work.p99),
                fmt(steady.sample.p50),
                fmt(steady.write.p50),
                fmt(steady.publish.p50),
                fmt(steady.lag.p99),
                steady.missedTicks,
                fmt(steady.rowsPerSecond, 0),
                '',
                '',
                '',
                fmt(steady.rssPeakMb),
              ],
            ]
          : []),
      ],
    ),
  );

  const at = (n: number) => results.find((r) => r.service.servers === n)!;
  const targets = {
    'tick work p99 at 10,000 servers <= 100 ms': at(10_000).service.work.p99 <= 100,
    '100,000 servers sustained at 1 Hz (no missed tick, work p99 < 1000 ms)':
      at(100_000).service.missedTicks === 0 &&
      at(100_000).service.failedTicks === 0 &&
      at(100_000).service.work.p99 < TICK_MS,
    'ingest >= 70 % of the best bare insert (every size)': results.every(
      (r) => r.ratioToBestBare >= 0.7,
    ),
  };
  console.log('\nTargets:');
  for (const [name, ok] of Object.entries(targets))
    console.log(`  ${ok ? 'met    ' : 'MISSED '} ${name}`);
  const seconds = round((Date.now() - started) / 1000, 0);
  console.log(`\n${seconds} s`);

  mkdirSync(RESULTS, { recursive: true });
  const roundSummary = (s: Summary) =>
    Object.fromEntries(Object.entries(s).map(([k, v]) => [k, round(v, 2)])) as unknown as Summary;
  const out = {
    bench: 'generator',
    date: new Date().toISOString(),
    quick,
    machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version },
    tickMs: TICK_MS,
    ticksPerSize: TICKS,
    results: results.map(({ service, bare, ratioToBestBare }) => ({
      ...service,
      work: roundSummary(service.work),
      sample: roundSummary(service.sample),
      write: roundSummary(service.write),
      publish: roundSummary(service.publish),
      lag: roundSummary(service.lag),
      rowsPerSecond: Math.round(service.rowsPerSecond),
      checkpointMeanMs: round(service.checkpointMeanMs, 1),
      bare: bare.map((b) => ({
        ...b,
        insert: roundSummary(b.insert),
        rowsPerSecond: Math.round(b.rowsPerSecond),
      })),
      ratioToBestBare: round(ratioToBestBare, 3),
    })),
    steadyState: steady && {
      historyTicks: STEADY.history,
      ...steady,
      work: roundSummary(steady.work),
      write: roundSummary(steady.write),
      checkpointMeanMs: round(steady.checkpointMeanMs, 1),
      rowsPerSecond: Math.round(steady.rowsPerSecond),
    },
    targets,
    seconds,
  };
  writeFileSync(join(RESULTS, 'generator.json'), JSON.stringify(out, null, 2) + '\n');
  console.log(`wrote ${join(RESULTS, 'generator.json')}`);
}

try {
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
