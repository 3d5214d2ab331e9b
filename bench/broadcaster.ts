/**
 * `npm run bench:broadcaster [-- --quick]`: the metric-broadcaster under load, next to a naive
 * broadcaster (bench/lib/naive-broadcaster.ts: one 1 s timer per server, one emit per sample)
 * in the same run, against the same real generator. Then at fleet scale (10,000 servers × 300
 * clients, 100,000 × 100; a third of the clients on the fleet) next to the previous JSON-relay
 * fleet path (bench/lib/json-relay-broadcaster.ts), each size against its own generator. Every part is its own process: generator
 * (SERVER_COUNT=1000, TICK_MS=1000), the broadcaster under test, two load-client processes
 * (socket.io-client, websocket transport; each client watches 10 servers, every second client
 * also the fleet) and one probe process with 10 clients of the same shape, whose view is not
 * skewed by the load processes' own queueing. A full run also runs the broadcaster with
 * `DIRECT_WRITES=false` at each size, so the direct write path is measured side by side with the
 * engine.io path it replaces. Loopback only, bounded in time.
 *
 * Reports per run: freshness (client receive − sample tick) p50/p99, samples/s delivered,
 * generator requests per tick, broadcaster CPU (from /proc/<pid>/stat) and RSS per client.
 * Writes bench/results/broadcaster.json.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { io as connectIo, type Socket } from 'socket.io-client';
import {
  EVENTS,
  expandServerIds,
  type ClientToServerEvents,
  type ServersPayload,
  type ServerToClientEvents,
} from '@metrics/protocol';
import {
  startListening,
  startService,
  type ListeningProcess,
  type ServiceProcess,
} from '../scripts/lib/service-process.js';
import { measureEmitStrategies, type StrategyResult } from './lib/emit-strategies.js';
import { forkLoadClient } from './lib/load-process.js';
import {
  ask,
  closeLoad,
  connectLoad,
  freshnessOf,
  loadSetup,
  measureLoad,
  summarizeLoad,
  type Freshness,
  type LoadFigures,
  type LoadProcesses,
  type LoadShape,
} from './lib/load-run.js';
import { loadAverage, machineOf } from './lib/machine.js';
import { quantileMs } from './lib/ms-histogram.js';
import { ensureFileLimit, TSX_ARGS } from './lib/proc.js';
import { cpuPct, procStat } from '../scripts/lib/proc-stats.js';
import { bucketQuantileMs, counter, histogramBuckets } from '../scripts/lib/prom.js';
import { round } from './lib/stats.js';
import { formatTable } from './lib/table.js';
import { sleep } from '../scripts/lib/wait.js';

const quick = process.argv.includes('--quick');
const argValue = (name: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
/**
 * `--sizes=1000,5000` and `--impl=broadcaster` narrow a run to one case (such a run prints its
 * figures but does not replace bench/results/broadcaster.json); `--profile=DIR` also writes a
 * CPU profile of the broadcaster over each measured window (bench/lib/cpu-profile-hook.mjs).
 */
const SIZES =
  argValue('sizes')?.split(',').map(Number) ?? (quick ? [100, 1_000] : [100, 1_000, 5_000]);
const IMPLS = (argValue('impl')?.split(',') ??
  (quick ? ['broadcaster', 'naive'] : ['broadcaster', 'broadcaster-engine', 'naive'])) as Impl[];
/** `--scale=10000` (or `--scale=none`) narrows the fleet-scale cases the same way. */
const SCALE_CASES: ReadonlyArray<{ servers: number; clients: number }> = [
  { servers: 10_000, clients: 300 },
  { servers: 100_000, clients: 100 },
].filter(
  (c) =>
    argValue('scale')?.split(',').map(Number).includes(c.servers) ??
    (!quick || c.servers === 10_000),
);
const SCALE_IMPLS: Impl[] = ['broadcaster', 'json-relay'];
const SCALE_FLEET_EVERY = 3;
const NARROWED =
  argValue('sizes') !== undefined ||
  argValue('impl') !== undefined ||
  argValue('scale') !== undefined;
const PROFILE_DIR = argValue('profile');
const SETUP = loadSetup(quick);
const {
  servers: SERVERS,
  perClient: PER_CLIENT,
  fleetEvery: FLEET_EVERY,
  loadProcesses: LOAD_PROCESSES,
  probes: PROBES,
  warmupMs: WARMUP_MS,
  measureMs: MEASURE_MS,
} = SETUP;
const SEED = 2026;
/** Connecting stops after this long; a broadcaster that cannot take its clients faster runs short. */
const CONNECT_DEADLINE_MS = 30_000;
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const FILE_LIMIT = 20_000;

/**
 * `broadcaster`: metric-broadcaster as shipped; `broadcaster-engine`: the same with
 * `DIRECT_WRITES=false` (every write through engine.io: what the direct write path saves, side
 * by side; full runs only); `naive`: bench/lib/naive-broadcaster.ts; `json-relay`: the shipped
 * broadcaster with the previous fleet path (every server's JSON each tick; fleet scale only).
 */
type Impl = 'broadcaster' | 'broadcaster-engine' | 'naive' | 'json-relay';

interface Run extends LoadFigures {
  impl: Impl;
  servers: number;
  fleetClients: number;
  probeFreshnessMs: Freshness;
  fleetFreshnessMs: { p50: number; p99: number };
  metricsEventsPerSecond: number;
  fleetFramesPerSecond: number;
  generatorRequestsPerTick: number;
  cpuPct: number;
  rssMb: number;
  rssPerClientKb: number;
  /**
   * Where the time goes (bucket upper bounds, ms, p50 / p99): the generator's tick work (tick to
   * commit), tick to the start of the broadcaster's fan-out, and the fan-out itself.
   */
  breakdownMs?: {
    generatorTickWork: [number, number];
    tickToFanoutStart: [number, number];
    fanout: [number, number];
    fleetTickToFanoutStart: [number, number];
    fleetFanout: [number, number];
    /**
     * The generator's maintenance after each commit (fold slice, WAL checkpoint): it runs right
     * after the long polls are answered, on the same two cores as the relay and the clients.
     */
    generatorFold: [number, number];
    generatorCheckpoint: [number, number];
  };
}

/** What a page receives before its first values at fleet scale, in bytes. */
interface FirstScreen {
  servers: number;
  /** The `servers` event as received (compact list). */
  serversEventBytes: number;
  /** The same list as `[{"id":…}]` (what the event was before), computed from the ids. */
  serversEventBytesAsIdList: number;
  /** The first `fleet` event (header string and binary frame). */
  firstFleetBytes: number;
  /** Everything received from connect to the first fleet frame (servers, status, fleet). */
  totalBytes: number;
  /** `totalBytes` with the list as `[{"id":…}]`. */
  totalBytesAsIdList: number;
}

/** Generator requests for the latest samples (every route with `latest` in it). */
const generatorLatestRequests = (url: string): Promise<number> =>
  counter(url, 'generator_http_requests_total', (line) => /route="[^"]*latest[^"]*"/.test(line));

/** Starts a bench broadcaster script as a process and waits for its `listening` line. */
const startScript = (script: string, generatorUrl: string): Promise<ListeningProcess> =>
  startListening(script, [process.execPath, ...TSX_ARGS, script], {
    cwd: ROOT,
    env: { PORT: '0', GENERATOR_URL: generatorUrl, LOG_LEVEL: 'info' },
  });

const startLoadProcess = (): ChildProcess =>
  forkLoadClient(new URL('./lib/broadcaster-load-client.ts', import.meta.url), ROOT);

async function runOnce(
  impl: Impl,
  clients: number,
  generator: ServiceProcess,
  procs: LoadProcesses,
  shape: LoadShape = SETUP,
  /** Runs against the started broadcaster before the load clients connect. */
  beforeLoad?: (url: string) => Promise<void>,
): Promise<Run> {
  let target: { pid: number; url: string; stop(): Promise<unknown> };
  if (impl === 'naive') target = await startScript('bench/lib/naive-broadcaster.ts', generator.url);
  else if (impl === 'json-relay') {
    target = await startScript('bench/lib/json-relay-broadcaster.ts', generator.url);
  } else {
    const service = await startService('metric-broadcaster', {
      PORT: '0',
      GENERATOR_URL: generator.url,
      LOG_LEVEL: 'info',
      DIRECT_WRITES: impl === 'broadcaster' ? 'true' : 'false',
      ...(PROFILE_DIR
        ? {
            NODE_OPTIONS: `--import ${fileURLToPath(new URL('./lib/cpu-profile-hook.mjs', import.meta.url))}`,
            BENCH_PROFILE_DIR: PROFILE_DIR,
          }
        : {}),
    });
    target = { pid: service.pid, url: service.url, stop: () => service.stop() };
  }
  try {
    await sleep(500);
    await beforeLoad?.(target.url);
    const base = procStat(target.pid);
    const { connectMs, failedConnects } = await connectLoad(procs, {
      url: target.url,
      clients,
      shape,
      probes: PROBES,
      seed: SEED,
      deadlineMs: CONNECT_DEADLINE_MS,
    });
    await sleep(WARMUP_MS);

    const requestsBefore = await generatorLatestRequests(generator.url);
    const histNames = [
      [generator.url, 'generator_tick_duration_seconds', {}],
      [target.url, 'broadcaster_sample_freshness_seconds', { path: 'samples' }],
      [target.url, 'broadcaster_fanout_duration_seconds', { path: 'samples' }],
      [target.url, 'broadcaster_sample_freshness_seconds', { path: 'fleet' }],
      [target.url, 'broadcaster_fanout_duration_seconds', { path: 'fleet' }],
      [generator.url, 'generator_fold_duration_seconds', {}],
      [generator.url, 'generator_wal_checkpoint_duration_seconds', {}],
    ] as const;
    const scrape = () => Promise.all(histNames.map(([u, n, l]) => histogramBuckets(u, n, l)));
    const histBefore = await scrape();
    const before = procStat(target.pid);
    const { load, probe: probeStats, seconds } = await measureLoad(procs, MEASURE_MS);
    const after = procStat(target.pid);
    const requestsAfter = await generatorLatestRequests(generator.url);
    const histAfter = await scrape();
    const pair = (i: number): [number, number] => [
      bucketQuantileMs(histBefore[i]!, histAfter[i]!, 0.5),
      bucketQuantileMs(histBefore[i]!, histAfter[i]!, 0.99),
    ];
    if (PROFILE_DIR && impl === 'broadcaster') {
      process.kill(target.pid, 'SIGUSR2');
      await sleep(1_500);
    }
    await closeLoad(procs);

    const total = summarizeLoad(load, probeStats);
    const { connected, fleetFreshness: fleetFresh } = total;
    return {
      impl,
      servers: shape.servers,
      clients,
      connected,
      failedConnects,
      connectMs,
      fleetClients: Math.ceil(clients / shape.fleetEvery),
      freshnessMs: freshnessOf(total.freshness),
      probeFreshnessMs: freshnessOf(probeStats.freshness),
      fleetFreshnessMs: { p50: quantileMs(fleetFresh, 0.5), p99: quantileMs(fleetFresh, 0.99) },
      samplesPerSecond: total.samplesPerSecond,
      expectedSamplesPerSecond: connected * shape.perClient,
      metricsEventsPerSecond: total.metricsEventsPerSecond,
      fleetFramesPerSecond: total.fleetFramesPerSecond,
      duplicates: total.duplicates,
      disconnects: total.disconnects,
      generatorRequestsPerTick: round((requestsAfter - requestsBefore) / seconds, 2),
      cpuPct: cpuPct(before.cpuTicks, after.cpuTicks, seconds),
      rssMb: round(after.rssBytes / 1024 / 1024, 1),
      rssPerClientKb: round(
        (after.rssBytes - base.rssBytes) / 1024 / Math.max(1, connected + PROBES),
        1,
      ),
      loadClientCpuPct: total.loadClientCpuPct,
      ...(impl !== 'naive'
        ? {
            breakdownMs: {
              generatorTickWork: pair(0),
              tickToFanoutStart: pair(1),
              fanout: pair(2),
              fleetTickToFanoutStart: pair(3),
              fleetFanout: pair(4),
              generatorFold: pair(5),
              generatorCheckpoint: pair(6),
            },
          }
        : {}),
    };
  } finally {
    await target.stop();
  }
}

const RUN_BASE = argValue('scale') === undefined || argValue('sizes') !== undefined;

/** A generator of `servers` servers (short retention: the in-memory database stays small). */
const startGenerator = (servers: number): Promise<ServiceProcess> =>
  startService(
    'metric-generator',
    {
      PORT: '0',
      SERVER_COUNT: String(servers),
      TICK_MS: '1000',
      DB_PATH: ':memory:',
      RETENTION_SECONDS: '60',
      SEED: String(SEED),
    },
    // 100,000 simulated servers take a while to set up on a busy machine
    { timeoutMs: 120_000 },
  );

/** Waits (up to 2 min) until the broadcaster's discovery holds all `servers`. */
async function waitForList(url: string, servers: number): Promise<void> {
  const end = Date.now() + 120_000;
  while (Date.now() < end) {
    const health = (await (await fetch(`${url}/healthz`)).json()) as { servers?: number };
    if (health.servers === servers) return;
    await sleep(200);
  }
  throw new Error(`the broadcaster never listed ${servers} servers`);
}

/**
 * What a fresh overview receives before its first values: one socket.io client (websocket, as
 * the page connects) joins the fleet; every engine.io packet is counted from the handshake to
 * the first fleet frame.
 */
async function measureFirstScreen(url: string, servers: number): Promise<FirstScreen> {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = connectIo(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
  });
  let total = 0;
  let serversEventBytes = 0;
  let firstFleetBytes = 0;
  let inFleet = false;
  socket.io.engine.on('packet', (p: { type: string; data?: unknown }) => {
    const size =
      typeof p.data === 'string'
        ? Buffer.byteLength(p.data) + 1
        : p.data instanceof ArrayBuffer || ArrayBuffer.isView(p.data)
          ? p.data.byteLength
          : 1;
    total += size;
    if (typeof p.data === 'string' && p.data.startsWith(`2["${EVENTS.servers}"`)) {
      serversEventBytes += size;
    }
    if (typeof p.data === 'string' && p.data.includes(`["${EVENTS.fleet}"`)) inFleet = true;
    if (inFleet) firstFleetBytes += size;
  });
  try {
    const list = await new Promise<ServersPayload>((resolve, reject) => {
      socket.once('servers', resolve);
      socket.once('connect_error', reject);
    });
    const frame = new Promise<void>((resolve) => socket.once('fleet', () => resolve()));
    await socket.timeout(10_000).emitWithAck('fleet:subscribe');
    await Promise.race([frame, sleep(10_000)]);
    const asIdList =
      Buffer.byteLength(
        `2["${EVENTS.servers}",` +
          JSON.stringify({
            servers: expandServerIds(list.servers).map((id) => ({ id })),
            version: list.version,
            timestamp: list.timestamp,
          }) +
          ']',
      ) + 1;
    return {
      servers,
      serversEventBytes,
      serversEventBytesAsIdList: asIdList,
      firstFleetBytes,
      totalBytes: total,
      totalBytesAsIdList: total - serversEventBytes + asIdList,
    };
  } finally {
    socket.close();
  }
}

interface Target {
  target: string;
  value: string | number | undefined;
  met: boolean | undefined;
}

/** Issue 15's fleet-scale targets, and the ratios against the JSON relay of the same run. */
function scaleTargets(
  at: (impl: Impl, clients: number, servers: number) => Run | undefined,
): Record<string, Target> {
  const out: Record<string, Target> = {};
  const limits = [
    { servers: 10_000, clients: 300, p50: 20, p99: 50, cpu: undefined },
    { servers: 100_000, clients: 100, p50: 200, p99: 400, cpu: 20 },
  ];
  for (const l of limits) {
    const ours = at('broadcaster', l.clients, l.servers);
    const relay = at('json-relay', l.clients, l.servers);
    const k = `${l.servers / 1000}k`;
    if (!ours) continue;
    const commit = ours.breakdownMs?.generatorTickWork[0];
    const worst = (f: (m: { p50: number; p99: number }) => number) =>
      Math.max(f(ours.freshnessMs), f(ours.fleetFreshnessMs));
    out[`freshnessP50At${k}`] = {
      target: `≤ ${l.p50} ms (metrics and fleet; generator commit p50 ≤ ${commit} ms)`,
      value: `${ours.freshnessMs.p50} / fleet ${ours.fleetFreshnessMs.p50}`,
      met: worst((m) => m.p50) <= l.p50,
    };
    out[`freshnessP99At${k}`] = {
      target: `≤ ${l.p99} ms (metrics and fleet)`,
      value: `${ours.freshnessMs.p99} / fleet ${ours.fleetFreshnessMs.p99}`,
      met: worst((m) => m.p99) <= l.p99,
    };
    if (l.cpu !== undefined) {
      out[`cpuAt${k}`] = {
        target: `≤ ${l.cpu} % of a core`,
        value: ours.cpuPct,
        met: ours.cpuPct <= l.cpu,
      };
    }
    if (relay) {
      out[`vsJsonRelayAt${k}`] = {
        target: 'ratio, same run (JSON relay / shipped): fleet p50, metrics p50, CPU',
        value:
          `${round(relay.fleetFreshnessMs.p50 / Math.max(1, ours.fleetFreshnessMs.p50), 1)}× / ` +
          `${round(relay.freshnessMs.p50 / Math.max(1, ours.freshnessMs.p50), 1)}× / ` +
          `${round(relay.cpuPct / Math.max(0.1, ours.cpuPct), 1)}×`,
        met: undefined,
      };
    }
  }
  return out;
}

async function main(): Promise<void> {
  ensureFileLimit({ script: import.meta.url, limit: FILE_LIMIT });
  const startedAt = Date.now();
  const loadBefore = loadAverage();
  console.log(
    `bench:broadcaster${quick ? ' --quick' : ''}: SERVER_COUNT=${SERVERS}, clients ${SIZES.join(' / ')}, ` +
      `${PER_CLIENT} servers each, 1 in ${FLEET_EVERY} on the fleet; warm-up ${WARMUP_MS} ms, measure ${MEASURE_MS} ms; ` +
      `fleet scale: ${SCALE_CASES.map((c) => `${c.servers} × ${c.clients}`).join(', ') || 'none'}`,
  );
  const loaders = Array.from({ length: LOAD_PROCESSES }, startLoadProcess);
  const probe = startLoadProcess();
  const procs: LoadProcesses = { loaders, probe };
  const runs: Run[] = [];
  const firstScreens: FirstScreen[] = [];
  let strategies: StrategyResult[] = [];
  const report = (run: Run) => {
    runs.push(run);
    console.log(
      `  ${run.impl.padEnd(11)} ${String(run.servers).padStart(6)} servers ${String(run.clients).padStart(5)} clients: ` +
        `freshness p50 ${run.freshnessMs.p50} ms, p99 ${run.freshnessMs.p99} ms ` +
        `(probes ${run.probeFreshnessMs.p50}/${run.probeFreshnessMs.p99}, fleet ${run.fleetFreshnessMs.p50}/${run.fleetFreshnessMs.p99}), ` +
        `${run.samplesPerSecond}/${run.expectedSamplesPerSecond} samples/s, ` +
        `${run.generatorRequestsPerTick} req/tick, CPU ${run.cpuPct} %, ${run.rssPerClientKb} KB/client` +
        (run.breakdownMs
          ? `; p50 ≤ ms: commit ${run.breakdownMs.generatorTickWork[0]}, fan-out start ${run.breakdownMs.tickToFanoutStart[0]} (fleet ${run.breakdownMs.fleetTickToFanoutStart[0]}), fan-out ${run.breakdownMs.fanout[0]} (fleet ${run.breakdownMs.fleetFanout[0]}); generator after commit: fold ${run.breakdownMs.generatorFold[0]}, checkpoint ${run.breakdownMs.generatorCheckpoint[0]}`
          : ''),
    );
  };
  try {
    if (RUN_BASE) {
      const generator = await startGenerator(SERVERS);
      try {
        strategies = await measureEmitStrategies({
          clients: 1_000,
          samplesPerClient: PER_CLIENT,
          rounds: quick ? 6 : 8,
          servers: SERVERS,
          loader: loaders[0]!,
          ask,
        });
        console.log(
          '\n' +
            formatTable(
              [
                'delivery (1,000 clients × 10 samples)',
                'server CPU ms/tick',
                'µs per client',
                'delivered',
              ],
              strategies.map((r) => [
                r.strategy,
                r.cpuMsPerTick,
                r.cpuUsPerClient,
                `${r.delivered}/${r.expected}`,
              ]),
            ) +
            '\n',
        );
        for (const clients of SIZES) {
          for (const impl of IMPLS) {
            report(await runOnce(impl, clients, generator, procs));
          }
        }
      } finally {
        await generator.stop();
      }
    }
    for (const scale of SCALE_CASES) {
      console.log(
        `\nfleet scale: SERVER_COUNT=${scale.servers}, ${scale.clients} clients (${PER_CLIENT} servers each, ` +
          `1 in ${SCALE_FLEET_EVERY} on the fleet), shipped path vs the previous JSON relay`,
      );
      const generator = await startGenerator(scale.servers);
      const shape = {
        servers: scale.servers,
        perClient: PER_CLIENT,
        fleetEvery: SCALE_FLEET_EVERY,
      };
      try {
        for (const impl of SCALE_IMPLS) {
          report(
            await runOnce(impl, scale.clients, generator, procs, shape, async (url) => {
              if (impl !== 'broadcaster') return;
              await waitForList(url, scale.servers);
              const screen = await measureFirstScreen(url, scale.servers);
              firstScreens.push(screen);
              console.log(
                `  first screen at ${scale.servers} servers: ${screen.totalBytes} bytes before the first values ` +
                  `(servers event ${screen.serversEventBytes} B, as an id list ${screen.serversEventBytesAsIdList} B; ` +
                  `first fleet frame ${screen.firstFleetBytes} B)`,
              );
            }),
          );
        }
      } finally {
        await generator.stop();
      }
    }
  } finally {
    for (const child of [...loaders, probe]) child.kill();
  }

  const rows = runs.map((r) => [
    r.impl,
    r.servers,
    r.clients,
    `${r.freshnessMs.p50} / ${r.freshnessMs.p99}`,
    `${r.probeFreshnessMs.p50} / ${r.probeFreshnessMs.p99}`,
    `${r.fleetFreshnessMs.p50} / ${r.fleetFreshnessMs.p99}`,
    `${r.samplesPerSecond} / ${r.expectedSamplesPerSecond}`,
    r.metricsEventsPerSecond,
    r.duplicates,
    r.generatorRequestsPerTick,
    r.cpuPct,
    r.rssPerClientKb,
  ]);
  console.log(
    '\n' +
      formatTable(
        [
          'impl',
          'servers',
          'clients',
          'fresh p50/p99 ms',
          'probes p50/p99',
          'fleet p50/p99',
          'samples/s (want)',
          'metrics ev/s',
          'dups',
          'gen req/tick',
          'CPU %',
          'KB/client',
        ],
        rows,
      ),
  );

  const at = (impl: Impl, clients: number, servers = SERVERS) =>
    runs.find((r) => r.impl === impl && r.clients === clients && r.servers === servers);
  const ours1k = at('broadcaster', 1_000);
  const naive1k = at('naive', 1_000);
  const ours5k = at('broadcaster', 5_000);
  const targets = {
    freshnessP50At1000: {
      target: '≤ 30 ms',
      value: ours1k?.freshnessMs.p50,
      met: (ours1k?.freshnessMs.p50 ?? Infinity) <= 30,
    },
    freshnessP99At1000: {
      target: '≤ 150 ms',
      value: ours1k?.freshnessMs.p99,
      met: (ours1k?.freshnessMs.p99 ?? Infinity) <= 150,
    },
    vsNaiveP50At1000: {
      target: '≥ 10× better',
      value:
        ours1k && naive1k
          ? round(naive1k.freshnessMs.p50 / Math.max(1, ours1k.freshnessMs.p50), 1)
          : undefined,
      met:
        !!ours1k &&
        !!naive1k &&
        naive1k.freshnessMs.p50 >= 10 * Math.max(1, ours1k.freshnessMs.p50),
    },
    held5000: ours5k
      ? {
          target: '5,000 clients connected, ≥ 99 % of samples delivered, no duplicate',
          value: `${ours5k.connected} connected, ${round((100 * ours5k.samplesPerSecond) / ours5k.expectedSamplesPerSecond, 1)} % delivered, ${ours5k.duplicates} dups`,
          met:
            ours5k.connected === 5_000 &&
            ours5k.samplesPerSecond >= 0.99 * ours5k.expectedSamplesPerSecond &&
            ours5k.duplicates === 0,
        }
      : { target: 'not run with --quick', value: undefined, met: undefined },
    ...scaleTargets(at),
  };
  console.log('\ntargets:');
  for (const [name, t] of Object.entries(targets)) {
    console.log(
      `  ${name}: ${t.value ?? '–'} (${t.target}) ${t.met === undefined ? '' : t.met ? 'MET' : 'NOT MET'}`,
    );
  }

  if (NARROWED) {
    console.log('narrowed run (--sizes/--impl): bench/results/broadcaster.json left as it was');
    return;
  }
  mkdirSync(RESULTS, { recursive: true });
  const result = {
    bench: 'broadcaster',
    quick,
    date: new Date().toISOString(),
    machine: machineOf(loadBefore),
    setup: SETUP,
    scaleSetup: { cases: SCALE_CASES, perClient: PER_CLIENT, fleetEvery: SCALE_FLEET_EVERY },
    emitStrategies: strategies,
    firstScreens,
    runs,
    targets,
    durationS: round((Date.now() - startedAt) / 1000, 0),
  };
  writeFileSync(`${RESULTS}broadcaster.json`, JSON.stringify(result, null, 2) + '\n');
  console.log(
    `\nwrote bench/results/broadcaster.json (${result.durationS} s; load average before ` +
      `${loadBefore.join(' ')}, after ${result.machine.loadAverageAfter.join(' ')})`,
  );
}

// `--replicas=1,2`: the replica bench behind the ingress (bench/replicas.ts) instead of this one.
if (argValue('replicas') !== undefined) await import('./replicas.js');
else await main();
