/**
 * `npm run bench:soak [-- --full]`: the whole pipeline held under load. The real generator
 * (SERVER_COUNT=1000, TICK_MS=1000, file database), the real broadcaster, and 2,000 socket.io
 * clients (`transports: ['websocket']`) in two load processes, each client watching 10 servers
 * and every fourth one the fleet; plus a probe process of 10 clients whose freshness is not
 * skewed by a thousand neighbours' queueing. Each is its own process; loopback only.
 *
 * Every sample of every subscription is accounted for: one cell per client × watched server ×
 * tick of the measurement window. A cell left empty is a loss, reported with its cause: the
 * client was disconnected, the generator never committed the tick, the broadcaster never relayed
 * it, or it was skipped for one slow client. Also reported: the broadcaster's RSS after warm-up
 * (growth must stay under 10 %), and freshness (receive time − tick) p50/p99 per time bucket.
 *
 * Default: 15 s warm-up, 60 s measured in 15 s buckets. `--full`: 30 s warm-up, 10 minutes
 * measured in 1 minute buckets. Stops everything it starts. Writes bench/results/soak.json.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { soakBench } from './lib/soak-result.js';
import { writeResult } from './lib/result.js';
import { startService, type ServiceProcess } from '../scripts/lib/service-process.js';
import { asker, forkLoadClient } from './lib/load-process.js';
import { countOf, fromSparse, maxMs, quantileMs } from './lib/ms-histogram.js';
import { ensureFileLimit } from './lib/proc.js';
import { cpuPct, procStat, rssMiB } from '../scripts/lib/proc-stats.js';
import { counter } from '../scripts/lib/prom.js';
import type { Command, MissedCell, Reply, Report } from './lib/soak-client.js';
import { round } from './lib/stats.js';
import { formatTable } from './lib/table.js';

const argv = process.argv.slice(2);
const full = argv.includes('--full');
const option = (name: string, fallback: number) => {
  const arg = argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? Number(arg.slice(name.length + 3)) : fallback;
};
const SERVERS = 1_000;
const TICK_MS = 1_000;
const CLIENTS = option('clients', 2_000);
const LOAD_PROCESSES = 2;
const PROBES = 10;
const PER_CLIENT = 10;
const FLEET_EVERY = 4;
const WARMUP_S = option('warmup', full ? 30 : 15);
const MEASURE_S = option('seconds', full ? 600 : 60);
const BUCKET_S = full ? 60 : 15;
const SEED = 2026;
const RSS_GROWTH_LIMIT_PCT = 10;
const FILE_LIMIT = 20_000;
const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Broadcaster → generator requests that failed (timeout, network, HTTP error, bad body). */
async function generatorRequestErrors(url: string): Promise<number> {
  const name = 'broadcaster_generator_requests_total';
  return (
    (await counter(url, name)) -
    (await counter(url, name, { outcome: 'ok' })) -
    (await counter(url, name, { outcome: 'no_tick' }))
  );
}

interface LoadProcess {
  name: string;
  child: ChildProcess;
}

function startLoad(name: string): LoadProcess {
  const module = new URL('./lib/soak-client.ts', import.meta.url);
  return { name, child: forkLoadClient(module, ROOT, ['--max-old-space-size=2048']) };
}

const askChild = asker<Command, Reply>();
const ask = <T extends Reply['type']>(
  p: LoadProcess,
  command: Command,
  type: T,
  timeoutMs: number,
) => askChild(p.child, command, type, { name: p.name, timeoutMs });

/** Merges sparse `[ms, count]` histograms and reads percentiles from them. */
function histogram(parts: Array<Array<[number, number]>>) {
  const h = fromSparse(parts);
  return { count: countOf(h), p50: quantileMs(h, 0.5), p99: quantileMs(h, 0.99), max: maxMs(h) };
}

interface RssSample {
  at: number;
  broadcaster: number;
  generator: number;
  load: number[];
}

interface Services {
  generator: ServiceProcess;
  broadcaster: ServiceProcess;
}

/** The real generator (file database in `dir`) and the real broadcaster polling it each tick. */
async function startServices(dir: string, started: Partial<Services>): Promise<Services> {
  const generator = await startService('metric-generator', {
    PORT: '0',
    SERVER_COUNT: String(SERVERS),
    TICK_MS: String(TICK_MS),
    DB_PATH: join(dir, 'metrics.db'),
    SEED: String(SEED),
  });
  started.generator = generator;
  const broadcaster = await startService('metric-broadcaster', {
    PORT: '0',
    GENERATOR_URL: generator.url,
    POLL_INTERVAL_MS: String(TICK_MS),
  });
  started.broadcaster = broadcaster;
  return { generator, broadcaster };
}

/**
 * Forks the load processes and the probe into `loads` (the probe last) and connects their
 * clients; prints how many connected.
 */
async function connectClients(loads: LoadProcess[], url: string) {
  const perProcess = Math.ceil(CLIENTS / LOAD_PROCESSES);
  for (let i = 0; i < LOAD_PROCESSES; i++) loads.push(startLoad(`load-${i + 1}`));
  const probe = startLoad('probe');
  loads.push(probe);
  const t0 = Date.now();
  const connected = await Promise.all(
    loads.map((p, i) =>
      ask(
        p,
        {
          type: 'connect',
          url,
          count: p === probe ? PROBES : Math.min(perProcess, CLIENTS - i * perProcess),
          firstIndex: p === probe ? 1_000_000 : i * perProcess,
          servers: SERVERS,
          perClient: PER_CLIENT,
          fleetEvery: p === probe ? 2 : FLEET_EVERY,
          seed: SEED,
        },
        'connected',
        180_000,
      ),
    ),
  );
  const connectMs = Date.now() - t0;
  const failed = connected.reduce((a, c) => a + c.failed, 0);
  console.log(
    `connected ${CLIENTS + PROBES - failed} of ${CLIENTS + PROBES} clients in ${connectMs} ms` +
      (failed ? ` (failures: ${connected.flatMap((c) => c.errors).join('; ')})` : ''),
  );
  return { connectMs, failed };
}

interface HeapSample {
  at: number;
  usedMb: number;
  externalMb: number;
}

interface Samplers {
  rss: RssSample[];
  heap: HeapSample[];
  /** Stops the RSS sampler (its timer keeps the process alive). */
  stopRss(): void;
  stopHeap(): void;
}

/** Resource samples from warm-up to the end: RSS once a second, the broadcaster's heap every 5 s. */
function startSamplers({ generator, broadcaster }: Services, loads: LoadProcess[]): Samplers {
  const rss: RssSample[] = [];
  let rssTimer: NodeJS.Timeout | undefined = setInterval(() => {
    try {
      rss.push({
        at: Date.now(),
        broadcaster: rssMiB(broadcaster.pid),
        generator: rssMiB(generator.pid),
        load: loads.map((p) => rssMiB(p.child.pid!)),
      });
    } catch {
      // a process is gone: the run fails below
    }
  }, 1_000);

  // The broadcaster's JS heap (its /metrics): the low points are what survives a garbage
  // collection, so their trend tells a leak from the collector's sawtooth.
  const heap: HeapSample[] = [];
  const heapTimer = setInterval(() => {
    void fetch(`${broadcaster.url}/metrics`)
      .then((res) => res.text())
      .then((text) => {
        const gauge = (name: string) =>
          Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN) / 1024 / 1024;
        heap.push({
          at: Date.now(),
          usedMb: gauge('broadcaster_nodejs_heap_size_used_bytes'),
          externalMb: gauge('broadcaster_nodejs_external_memory_bytes'),
        });
      })
      .catch(() => {});
  }, 5_000);
  heapTimer.unref();
  return {
    rss,
    heap,
    stopRss() {
      if (rssTimer) clearInterval(rssTimer);
      rssTimer = undefined;
    },
    stopHeap: () => clearInterval(heapTimer),
  };
}

/** Tells every load process the window: from a tick far enough ahead for each to know it in time. */
function openWindow(loads: LoadProcess[]): { windowStart: number; windowEnd: number } {
  const windowStart = Math.ceil((Date.now() + 1_500) / TICK_MS) * TICK_MS;
  const windowEnd = windowStart + MEASURE_S * TICK_MS;
  for (const p of loads) {
    p.child.send({
      type: 'window',
      start: windowStart,
      ticks: MEASURE_S,
      tickMs: TICK_MS,
      bucketMs: BUCKET_S * 1_000,
    } satisfies Command);
  }
  return { windowStart, windowEnd };
}

const cpuAt = (pid: number) => procStat(pid).cpuTicks;

/** CPU times and the counters the delivery report takes differences of. */
const snapshot = async ({ generator: gen, broadcaster: bc }: Services, loads: LoadProcess[]) => ({
  broadcasterCpu: cpuAt(bc.pid),
  generatorCpu: cpuAt(gen.pid),
  loadCpu: loads.map((p) => cpuAt(p.child.pid!)),
  slowDrops: await counter(bc.url, 'broadcaster_dropped_messages_total'),
  missedTicks: await counter(gen.url, 'generator_missed_ticks_total'),
  failedTicks: await counter(gen.url, 'generator_ticks_total', { result: 'failed' }),
  generatorErrors: await generatorRequestErrors(bc.url),
});

/** Waits until the window is over (and 3 s more), printing RSS at each bucket's end. */
async function waitOutWindow(windowStart: number, windowEnd: number, rss: RssSample[]) {
  console.log(`measuring ticks ${new Date(windowStart).toISOString()} … (${MEASURE_S} s)`);
  let progress = 0;
  while (Date.now() < windowEnd + 3_000) {
    await new Promise((r) => setTimeout(r, 1_000));
    const done = Math.min(MEASURE_S, Math.floor((Date.now() - windowStart) / 1_000));
    if (done >= progress + BUCKET_S) {
      progress = done - (done % BUCKET_S);
      const last = rss.at(-1);
      console.log(
        `  ${progress} s: broadcaster RSS ${last?.broadcaster.toFixed(1)} MiB, ` +
          `generator ${last?.generator.toFixed(1)} MiB`,
      );
    }
  }
}

const sumOf = (reports: Report[], pick: (r: Report) => number) =>
  reports.reduce((a, r) => a + pick(r), 0);

/**
 * Every empty cell (client × server × tick) with its cause: the client was disconnected; nobody
 * got it and the generator has no such sample (not committed) or has it (not relayed); or only
 * some connected clients missed it.
 */
async function accountLosses(reports: Report[], generatorUrl: string) {
  const watchers = new Map<string, number>();
  const missed = new Map<string, MissedCell>();
  for (const r of reports) {
    for (const [id, n] of Object.entries(r.watchers)) watchers.set(id, (watchers.get(id) ?? 0) + n);
    for (const m of r.missed) {
      const key = `${m.serverId}@${m.tick}`;
      const cell = missed.get(key) ?? { ...m, connected: 0, disconnected: 0 };
      cell.connected += m.connected;
      cell.disconnected += m.disconnected;
      missed.set(key, cell);
    }
  }
  const causes = {
    clientDisconnected: 0,
    notCommittedByGenerator: 0,
    notRelayedByBroadcaster: 0,
    missedByConnectedClients: 0,
    notDetailed: sumOf(reports, (r) => r.missedNotDetailed),
  };
  const examples: string[] = [];
  let lookups = 0;
  for (const cell of missed.values()) {
    causes.clientDisconnected += cell.disconnected;
    if (!cell.connected) continue;
    const nobody = cell.connected + cell.disconnected === watchers.get(cell.serverId);
    if (nobody && lookups < 200) {
      lookups++;
      const res = await fetch(
        `${generatorUrl}/v1/servers/${cell.serverId}/history?from=${cell.tick}&to=${cell.tick}`,
      );
      const stored = ((await res.json()) as { samples?: unknown[] }).samples?.length ?? 0;
      if (stored === 0) causes.notCommittedByGenerator += cell.connected;
      else causes.notRelayedByBroadcaster += cell.connected;
    } else {
      causes.missedByConnectedClients += cell.connected;
    }
    if (examples.length < 10)
      examples.push(
        `${cell.serverId}@${new Date(cell.tick).toISOString()}: ${cell.connected} connected client(s)` +
          (nobody ? ', nobody got it' : ''),
      );
  }
  return { causes, examples };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/**
 * The broadcaster's memory over the window. RSS: baseline = mean over the first quarter of the
 * window (warm-up is over), end = over its last quarter; means over a quarter smooth out the
 * garbage collector's sawtooth (tens of MiB), which a point-to-point comparison would report as
 * growth or shrinkage. Heap: the lowest used (what survives GC) in the first vs the last quarter.
 */
function memoryTrend({ rss, heap }: Samplers, windowStart: number, windowEnd: number) {
  const inWindow = rss.filter((s) => s.at >= windowStart && s.at <= windowEnd);
  const quarter = Math.max(1, Math.floor(inWindow.length / 4));
  const rssBaseline = mean(inWindow.slice(0, quarter).map((s) => s.broadcaster));
  const rssEnd = mean(inWindow.slice(-quarter).map((s) => s.broadcaster));
  const rssMax = Math.max(...inWindow.map((s) => s.broadcaster));
  const rssGrowthPct = ((rssEnd - rssBaseline) / rssBaseline) * 100;
  const heapInWindow = heap.filter((h) => h.at >= windowStart && h.at <= windowEnd);
  const heapQuarter = Math.max(1, Math.floor(heapInWindow.length / 4));
  const floor = (xs: HeapSample[]) => Math.min(...xs.map((h) => h.usedMb));
  const heapFirst = floor(heapInWindow.slice(0, heapQuarter));
  const heapLast = floor(heapInWindow.slice(-heapQuarter));
  return { inWindow, rssBaseline, rssEnd, rssMax, rssGrowthPct, heapInWindow, heapFirst, heapLast };
}

/** Freshness per time bucket and over the whole window: load clients, probes, fleet frames. */
function freshness(loadReports: Report[], probeReport: Report) {
  const buckets = Math.ceil(MEASURE_S / BUCKET_S);
  const perBucket = Array.from({ length: buckets }, (_, b) => {
    const load = histogram(loadReports.map((r) => r.freshness[b] ?? []));
    const probes = histogram([probeReport.freshness[b] ?? []]);
    const fleet = histogram(loadReports.map((r) => r.fleetFreshness[b] ?? []));
    const from = b * BUCKET_S;
    return {
      fromS: from,
      toS: Math.min(MEASURE_S, from + BUCKET_S),
      samples: load.count,
      loadP50Ms: load.p50,
      loadP99Ms: load.p99,
      loadMaxMs: load.max,
      probeP50Ms: probes.p50,
      probeP99Ms: probes.p99,
      fleetP99Ms: fleet.p99,
    };
  });
  const overall = {
    load: histogram(loadReports.flatMap((r) => r.freshness)),
    probe: histogram(probeReport.freshness),
    fleet: histogram(loadReports.flatMap((r) => r.fleetFreshness)),
  };
  return { perBucket, overall };
}

type Snapshot = Awaited<ReturnType<typeof snapshot>>;

/** Everything measured, as bench/results/soak.json holds it. */
function soakResult(m: {
  startedAt: number;
  loadBefore: number[];
  connect: { connectMs: number; failed: number };
  reports: Report[];
  losses: Awaited<ReturnType<typeof accountLosses>>;
  before: Snapshot;
  after: Snapshot;
  measuredS: number;
  memory: ReturnType<typeof memoryTrend>;
  fresh: ReturnType<typeof freshness>;
  samplers: Samplers;
  windowStart: number;
  loads: LoadProcess[];
}) {
  const { reports, before, after, measuredS, windowStart } = m;
  const { causes, examples } = m.losses;
  const { inWindow, rssBaseline, rssEnd, rssMax, rssGrowthPct } = m.memory;
  const { heapInWindow, heapFirst, heapLast } = m.memory;
  const { perBucket, overall } = m.fresh;
  const all = (pick: (r: Report) => number) => sumOf(reports, pick);
  const expected = all((r) => r.expected);
  const received = all((r) => r.received);
  const lost = expected - received;
  return {
    bench: 'soak',
    date: new Date().toISOString(),
    full,
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      ramGb: round(totalmem() / 1024 ** 3, 1),
      node: process.version,
      /** 1-minute load average before and after: other work on the machine shows here. */
      loadAverage1m: { before: round(m.loadBefore[0]!, 2), after: round(loadavg()[0]!, 2) },
    },
    config: {
      servers: SERVERS,
      tickMs: TICK_MS,
      clients: CLIENTS,
      loadProcesses: LOAD_PROCESSES,
      probes: PROBES,
      perClient: PER_CLIENT,
      fleetEvery: FLEET_EVERY,
      warmupS: WARMUP_S,
      measureS: MEASURE_S,
      bucketS: BUCKET_S,
    },
    connect: { ms: m.connect.connectMs, failed: m.connect.failed },
    delivery: {
      expected,
      received,
      lost,
      lossPct: round((lost / Math.max(1, expected)) * 100, 4),
      duplicates: all((r) => r.duplicates),
      samplesOutsideWindow: all((r) => r.samplesOutsideWindow),
      causes,
      examples,
      disconnects: reports.flatMap((r) => r.disconnects).length,
      disconnectReasons: [...new Set(reports.flatMap((r) => r.disconnects.map((d) => d.reason)))],
      fleet: {
        expected: all((r) => r.fleetExpected),
        received: all((r) => r.fleetReceived),
        duplicates: all((r) => r.fleetDuplicates),
        missedWhileConnected: all((r) => r.fleetMissedConnected),
        missedWhileDisconnected: all((r) => r.fleetMissedDisconnected),
      },
      broadcasterSlowClientDrops: after.slowDrops - before.slowDrops,
      generatorMissedTicks: after.missedTicks - before.missedTicks,
      generatorFailedTicks: after.failedTicks - before.failedTicks,
      generatorRequestErrors: after.generatorErrors - before.generatorErrors,
    },
    broadcasterRss: {
      baselineMb: round(rssBaseline, 1),
      endMb: round(rssEnd, 1),
      maxMb: round(rssMax, 1),
      growthPct: round(rssGrowthPct, 2),
      basis: 'mean RSS of the first vs the last quarter of the measured window',
      limitPct: RSS_GROWTH_LIMIT_PCT,
      met: rssGrowthPct < RSS_GROWTH_LIMIT_PCT,
      perClientKb: round((rssBaseline * 1024) / (CLIENTS + PROBES), 1),
    },
    broadcasterHeap: {
      basis: 'lowest JS heap used (what survives GC) in the first vs the last quarter',
      firstQuarterFloorMb: round(heapFirst, 1),
      lastQuarterFloorMb: round(heapLast, 1),
      growthPct: round(((heapLast - heapFirst) / heapFirst) * 100, 2),
      maxUsedMb: round(Math.max(...heapInWindow.map((h) => h.usedMb)), 1),
      externalLastMb: round(heapInWindow.at(-1)?.externalMb ?? NaN, 1),
      timeline: heapInWindow
        .filter((_, i) => i % (full ? 6 : 2) === 0)
        .map((h) => ({ t: round((h.at - windowStart) / 1000, 0), usedMb: round(h.usedMb, 1) })),
    },
    generatorRssMb: round(mean(inWindow.slice(-10).map((s) => s.generator)), 1),
    cpuPct: {
      broadcaster: cpuPct(before.broadcasterCpu, after.broadcasterCpu, measuredS),
      generator: cpuPct(before.generatorCpu, after.generatorCpu, measuredS),
      loadProcesses: m.loads.map((p, i) =>
        cpuPct(before.loadCpu[i]!, after.loadCpu[i]!, measuredS),
      ),
    },
    freshnessMs: {
      load: { p50: overall.load.p50, p99: overall.load.p99, max: overall.load.max },
      probe: { p50: overall.probe.p50, p99: overall.probe.p99, max: overall.probe.max },
      fleet: { p50: overall.fleet.p50, p99: overall.fleet.p99, max: overall.fleet.max },
      perBucket,
    },
    rssTimeline: m.samplers.rss
      .filter((_, i) => i % (full ? 10 : 5) === 0)
      .map((s) => ({
        t: round((s.at - windowStart) / 1000, 0),
        broadcasterMb: round(s.broadcaster, 1),
        generatorMb: round(s.generator, 1),
      })),
    durationS: round((Date.now() - m.startedAt) / 1000, 0),
  };
}

/** The run's summary on stdout: delivery and its losses, memory and CPU, freshness per bucket. */
function printSummary(result: ReturnType<typeof soakResult>, path: string): void {
  const { received, expected, lost, causes, examples } = result.delivery;
  console.log(
    `\ndelivery: ${received} of ${expected} samples (client × server × tick), lost ${lost}` +
      ` (${result.delivery.lossPct} %), duplicates ${result.delivery.duplicates}`,
  );
  if (lost) {
    console.log(`  causes: ${JSON.stringify(causes)}`);
    for (const e of examples) console.log(`  e.g. ${e}`);
  }
  console.log(
    `fleet frames: ${result.delivery.fleet.received} of ${result.delivery.fleet.expected}; ` +
      `disconnects ${result.delivery.disconnects}; slow-client drops ` +
      `${result.delivery.broadcasterSlowClientDrops}; generator missed ticks ` +
      `${result.delivery.generatorMissedTicks}`,
  );
  console.log(
    `broadcaster RSS: ${result.broadcasterRss.baselineMb} → ${result.broadcasterRss.endMb} MiB ` +
      `(${result.broadcasterRss.growthPct >= 0 ? '+' : ''}${result.broadcasterRss.growthPct} %, ` +
      `limit ${RSS_GROWTH_LIMIT_PCT} %: ${result.broadcasterRss.met ? 'met' : 'NOT met'}), ` +
      `max ${result.broadcasterRss.maxMb} MiB; JS heap floor ${result.broadcasterHeap.firstQuarterFloorMb} → ` +
      `${result.broadcasterHeap.lastQuarterFloorMb} MiB; CPU broadcaster ${result.cpuPct.broadcaster} %, ` +
      `generator ${result.cpuPct.generator} %`,
  );
  console.log(
    '\n' +
      formatTable(
        [
          'window',
          'samples',
          'load p50',
          'load p99',
          'load max',
          'probe p50',
          'probe p99',
          'fleet p99',
        ],
        result.freshnessMs.perBucket.map((b) => [
          `${b.fromS}–${b.toS} s`,
          b.samples,
          `${b.loadP50Ms} ms`,
          `${b.loadP99Ms} ms`,
          `${b.loadMaxMs} ms`,
          `${b.probeP50Ms} ms`,
          `${b.probeP99Ms} ms`,
          `${b.fleetP99Ms} ms`,
        ]),
      ),
  );
  console.log(`\nwrote ${path} (${result.durationS} s)`);
}

async function main(): Promise<void> {
  ensureFileLimit({
    script: import.meta.url,
    limit: FILE_LIMIT,
    flag: 'SOAK_FILE_LIMIT_RAISED',
    name: 'soak',
  });
  const startedAt = Date.now();
  const loadBefore = loadavg();
  const dir = mkdtempSync(join(tmpdir(), 'bench-soak-'));
  const services: Partial<Services> = {};
  const loads: LoadProcess[] = [];
  let samplers: Samplers | undefined;
  const stopAll = async () => {
    samplers?.stopRss();
    await Promise.all(
      loads.map(async (p) => {
        if (p.child.exitCode !== null) return;
        try {
          await ask(p, { type: 'close' }, 'closed', 10_000);
        } catch {
          // killed below
        }
        p.child.kill('SIGKILL');
      }),
    );
    await services.broadcaster?.stop();
    await services.generator?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = () => {
    console.error('\nsoak: interrupted, stopping everything');
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    console.log(
      `bench:soak${full ? ' --full' : ''}: SERVER_COUNT=${SERVERS}, ${CLIENTS} clients in ` +
        `${LOAD_PROCESSES} processes (+${PROBES} probes), ${PER_CLIENT} servers each, every ` +
        `${FLEET_EVERY}th on the fleet; warm-up ${WARMUP_S} s, measured ${MEASURE_S} s`,
    );
    const started = await startServices(dir, services);
    const connect = await connectClients(loads, started.broadcaster.url);
    samplers = startSamplers(started, loads);

    console.log(`warming up for ${WARMUP_S} s`);
    await new Promise((r) => setTimeout(r, WARMUP_S * 1_000));

    const { windowStart, windowEnd } = openWindow(loads);
    const before = await snapshot(started, loads);
    const measureFrom = Date.now();
    await waitOutWindow(windowStart, windowEnd, samplers.rss);
    const measuredS = (Date.now() - measureFrom) / 1000;
    const after = await snapshot(started, loads);
    samplers.stopRss();
    samplers.stopHeap();

    const reports = await Promise.all(
      loads.map((p) => ask(p, { type: 'report' }, 'report', 60_000)),
    );
    const result = soakResult({
      startedAt,
      loadBefore,
      connect,
      reports,
      losses: await accountLosses(reports, started.generator.url),
      before,
      after,
      measuredS,
      memory: memoryTrend(samplers, windowStart, windowEnd),
      fresh: freshness(reports.slice(0, LOAD_PROCESSES), reports[LOAD_PROCESSES]!),
      samplers,
      windowStart,
      loads,
    });
    const path = writeResult(soakBench.fromJson(result));
    printSummary(result, path);
  } finally {
    await stopAll();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

await main();
