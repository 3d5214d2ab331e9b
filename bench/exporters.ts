/**
 * `npm run bench:exporters [-- --quick]`: the generator scraping node_exporter targets, at 100
 * and 1,000 targets per generator, TICK_MS = 1000. The targets are a farm of fake exporters in a
 * second process (bench/lib/exporter-farm.ts) serving the body captured from Debian's
 * prometheus-node-exporter 1.5 (collectors cpu, meminfo, loadavg, filesystem, netdev; ~24 KB)
 * with moving counters. Side by side in one run, each size also runs with the same number of
 * simulated servers and no targets: the difference in the generator's CPU per tick, divided by
 * the targets, is what one scrape (request, parse, mapping) costs. Also: the parse and mapping
 * of the captured body alone, in process. CPU, rows and scrapes count the measured ticks only
 * (the two warm-up ticks open the connections and take the rate baseline). Writes
 * bench/results/exporters.json. `--profile=DIR` also writes a CPU profile of the generator over
 * each exporters run's measured ticks (`DIR/exporters-<targets>.cpuprofile`, for Chrome DevTools
 * or speedscope); the profiler's overhead is in that run's figures.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { createApp } from '../metric-generator/src/app.js';
import { parseExposition } from '../metric-generator/src/node-exporter/exposition.js';
import { NODE_FAMILIES, readNode } from '../metric-generator/src/node-exporter/node-reading.js';
import { parseTargetList } from '../metric-generator/src/node-exporter/targets.js';
import type { TickReport } from '../metric-generator/src/ticker.js';
import { REAL_BODY_PATH } from '../scripts/lib/fake-node-exporter.ts';
import { cpuPct, procStat } from '../scripts/lib/proc-stats.js';
import { ensureFileLimit, TSX_ARGS } from './lib/proc.js';
import { round, summarize, type Summary } from './lib/stats.js';
import { formatTable } from './lib/table.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
ensureFileLimit({
  script: import.meta.url,
  cwd: ROOT,
  limit: 20_000,
  flag: 'BENCH_EXPORTERS_FD',
  name: 'bench-exporters',
});

const quick = process.argv.includes('--quick');
const PROFILE_DIR = process.argv
  .find((a) => a.startsWith('--profile='))
  ?.slice('--profile='.length);
const SIZES = [100, 1_000];
const TICK_MS = 1_000;
/** Measured ticks per run; the first two (connections opening, the rate baseline) are not. */
const TICKS = quick ? 8 : 30;
const WARMUP = 2;
const TIMEOUT_MS = 250;
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const log = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'bench-exporters-'));

/** V8's sampling profiler on this process, from `start()` to `stop(file)`. */
async function profiler() {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  return {
    start: () => session.post('Profiler.start'),
    async stop(file: string) {
      const { profile } = await session.post('Profiler.stop');
      mkdirSync(PROFILE_DIR!, { recursive: true });
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
      console.log(`cpu profile written: ${file}`);
    },
  };
}

interface Run {
  kind: 'exporters' | 'simulated';
  servers: number;
  ticks: number;
  sample: Summary;
  work: Summary;
  lag: Summary;
  missedTicks: number;
  /** Generator CPU (user + system) per tick, ms. */
  cpuMsPerTick: number;
  /** Rows committed per tick, mean. */
  rowsPerTick: number;
  scrapes?: Record<string, number>;
  farmCpuPct?: number;
}

async function startFarm(count: number) {
  const child = spawn(
    process.execPath,
    [...TSX_ARGS, join(ROOT, 'bench/lib/exporter-farm.ts'), String(count)],
    {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const ports = await new Promise<number[]>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`exporter farm exited with ${code}`)));
    lines.once('line', (line) => resolve((JSON.parse(line) as { ports: number[] }).ports));
  });
  return {
    ports,
    pid: child.pid!,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

interface Counts {
  rows: number;
  scrapes: Record<string, number>;
}

/**
 * Rows written and scrapes by result so far. Called from `onTick`: the values are copied in the
 * microtasks that follow it, before any answer of the next tick can count (prom-client updates
 * them in place).
 */
async function counts(app: ReturnType<typeof createApp>): Promise<Counts> {
  const [rows, scrapes] = [app.metrics.rowsWritten.get(), app.metrics.exporterScrapes.get()];
  const out: Counts = { rows: (await rows).values[0]?.value ?? 0, scrapes: {} };
  for (const v of (await scrapes).values) {
    const r = String(v.labels.result);
    out.scrapes[r] = (out.scrapes[r] ?? 0) + v.value;
  }
  return out;
}

async function runGenerator(
  kind: Run['kind'],
  servers: number,
  targets: string | undefined,
  farmPid?: number,
): Promise<Run> {
  const reports: TickReport[] = [];
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  let cpuAtStart: NodeJS.CpuUsage | undefined;
  let cpuAtEnd: NodeJS.CpuUsage | undefined;
  let farmAtStart = 0;
  let farmAtEnd = 0;
  let startedAt = 0;
  let endedAt = 0;
  // Counters at the end of the warm-up and of the measured ticks: the first two ticks open the
  // connections and take the rate baseline (no rows by design), so they are not counted.
  let atStart: Promise<Counts> | undefined;
  let atEnd: Promise<Counts> | undefined;
  const profile = PROFILE_DIR && kind === 'exporters' ? await profiler() : undefined;
  const app = createApp({
    config: {
      serverCount: targets ? 0 : servers,
      tickMs: TICK_MS,
      dbPath: join(dir, `${kind}-${servers}.db`),
      retentionSeconds: 3600,
      seed: 7,
      includeHost: false,
      exporterTargets: targets ? parseTargetList(targets) : [],
      exporterTimeoutMs: TIMEOUT_MS,
      exporterMount: '/',
    },
    log,
    defaultMetrics: false,
    onTick: (r) => {
      reports.push(r);
      if (reports.length === WARMUP) {
        void profile?.start();
        atStart = counts(app);
        cpuAtStart = process.cpuUsage();
        startedAt = performance.now();
        if (farmPid) farmAtStart = procStat(farmPid).cpuTicks;
      }
      if (reports.length === WARMUP + TICKS) {
        atEnd = counts(app);
        cpuAtEnd = process.cpuUsage();
        endedAt = performance.now();
        if (farmPid) farmAtEnd = procStat(farmPid).cpuTicks;
        done();
      }
    },
  });
  app.start();
  const timeout = setTimeout(done, (TICKS + WARMUP + 10) * TICK_MS);
  await finished;
  clearTimeout(timeout);
  await profile?.stop(join(PROFILE_DIR!, `exporters-${servers}.cpuprofile`));
  const start = (await atStart) ?? { rows: 0, scrapes: {} };
  const end = (await atEnd) ?? (await counts(app));
  const rows = end.rows - start.rows;
  const scrapes: Record<string, number> = {};
  for (const [r, v] of Object.entries(end.scrapes)) {
    const n = v - (start.scrapes[r] ?? 0);
    if (n > 0) scrapes[r] = n;
  }
  const missedTicks = app.ticker.status().missedTicks;
  await app.close();
  const measured = reports.slice(WARMUP, WARMUP + TICKS);
  const cpu =
    cpuAtStart && cpuAtEnd
      ? (cpuAtEnd.user - cpuAtStart.user + cpuAtEnd.system - cpuAtStart.system) / 1000
      : NaN;
  const seconds = (endedAt - startedAt) / 1000;
  return {
    kind,
    servers,
    ticks: measured.length,
    sample: summarize(measured.map((r) => r.sampleMs)),
    work: summarize(measured.map((r) => r.workMs)),
    lag: summarize(measured.map((r) => r.lagMs)),
    missedTicks,
    // From the end of the warm-up's last tick to the end of the last measured one: TICKS ticks.
    cpuMsPerTick: round(cpu / Math.max(1, measured.length), 2),
    rowsPerTick: round(rows / Math.max(1, measured.length), 1),
    ...(targets
      ? {
          scrapes,
          farmCpuPct: cpuPct(farmAtStart, farmAtEnd, seconds),
        }
      : {}),
  };
}

/** Parse + mapping of the captured body, in process: µs per body (median of 5 rounds). */
function parseCost(): { bytes: number; usPerBody: number; rounds: number[] } {
  const body = readFileSync(REAL_BODY_PATH, 'utf8');
  const n = quick ? 500 : 2_000;
  for (let i = 0; i < 200; i++) readNode(parseExposition(body, NODE_FAMILIES), i);
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) readNode(parseExposition(body, NODE_FAMILIES), i);
    rounds.push(round(((performance.now() - t0) * 1000) / n, 1));
  }
  const sorted = [...rounds].sort((a, b) => a - b);
  return { bytes: Buffer.byteLength(body), usPerBody: sorted[2]!, rounds };
}

const load = loadavg().map((v) => round(v, 2));
console.log(
  `bench:exporters${quick ? ' --quick' : ''}: ${cpus().length} cores, load average ${load.join(' ')}`,
);
const parse = parseCost();
console.log(
  `parse + mapping of a ${parse.bytes}-byte body: ${parse.usPerBody} µs (rounds ${parse.rounds.join(', ')})`,
);

const results: Array<{
  targets: number;
  exporters: Run;
  simulated: Run;
  scrapeCpuUsPerTarget: number;
}> = [];
try {
  for (const size of SIZES) {
    const farm = await startFarm(size);
    try {
      const targets = farm.ports.map((p, i) => `t${i + 1}=127.0.0.1:${p}`).join(',');
      console.log(
        `\n${size} targets: farm of ${farm.ports.length} fake exporters ready (pid ${farm.pid})`,
      );
      const exporters = await runGenerator('exporters', size, targets, farm.pid);
      const simulated = await runGenerator('simulated', size, undefined);
      const perTarget = round(((exporters.cpuMsPerTick - simulated.cpuMsPerTick) * 1000) / size, 1);
      results.push({ targets: size, exporters, simulated, scrapeCpuUsPerTarget: perTarget });
    } finally {
      await farm.stop();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const ms = (v: number) => `${round(v, 1)} ms`;
console.log(
  `\n${formatTable(
    [
      'servers',
      'source',
      'sample p50 / p99 / max',
      'tick work p50 / p99',
      'CPU per tick',
      'rows per tick',
      'missed ticks',
      'scrapes (ok / other)',
      'farm CPU',
    ],
    results.flatMap((r) =>
      [r.exporters, r.simulated].map((x) => [
        String(x.servers),
        x.kind,
        `${ms(x.sample.p50)} / ${ms(x.sample.p99)} / ${ms(x.sample.max)}`,
        `${ms(x.work.p50)} / ${ms(x.work.p99)}`,
        `${x.cpuMsPerTick} ms`,
        String(x.rowsPerTick),
        String(x.missedTicks),
        x.scrapes
          ? `${x.scrapes.ok ?? 0} / ${
              Object.entries(x.scrapes)
                .filter(([k]) => k !== 'ok')
                .map(([k, v]) => `${k} ${v}`)
                .join(', ') || '0'
            }`
          : '–',
        x.farmCpuPct === undefined ? '–' : `${x.farmCpuPct} %`,
      ]),
    ),
  )}`,
);
for (const r of results) {
  console.log(
    `${r.targets} targets: scrape + parse + mapping ≈ ${r.scrapeCpuUsPerTarget} µs of generator CPU per target per tick (exporters − simulated, same run)`,
  );
}
console.log(
  `load average at the end: ${loadavg()
    .map((v) => round(v, 2))
    .join(' ')}`,
);

mkdirSync(RESULTS, { recursive: true });
writeFileSync(
  join(RESULTS, 'exporters.json'),
  `${JSON.stringify(
    {
      bench: 'exporters',
      date: new Date().toISOString(),
      quick,
      tickMs: TICK_MS,
      timeoutMs: TIMEOUT_MS,
      ticksPerRun: TICKS,
      loadAverageStart: load,
      loadAverageEnd: loadavg().map((v) => round(v, 2)),
      parse,
      results,
    },
    null,
    2,
  )}\n`,
);
console.log('wrote bench/results/exporters.json');
