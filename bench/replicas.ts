/**
 * `npm run bench:replicas [-- --replicas=1,2] [-- --quick]` (also `npm run bench:broadcaster --
 * --replicas=1,2`): the same client load on one and on two broadcaster replicas behind the real
 * ingress (Debian's nginx, rendered from the template as `npm start` renders it), side by side in
 * one run against one real generator (SERVER_COUNT=1000, TICK_MS=1000). Load clients are the
 * broadcaster bench's (bench/lib/broadcaster-load-client.ts: WebSocket only, 10 servers each,
 * every second client on the fleet) in two processes, plus one probe process of 10 clients.
 *
 * Then: how many clients the largest replica count holds at the freshness one replica holds
 * 5,000 with (p50 no worse, ≥ 99 % of samples delivered), trying larger loads in turn.
 *
 * The load clients, nginx and the replicas share one machine's cores, so more replicas cannot
 * add CPU beyond them: the figures say what the fan-out costs per replica and what the ingress
 * adds, not what a second machine would give. Writes bench/results/replicas.json.
 *
 * Deviation from the shipped template, stated in the output: `limit_conn` per client address is
 * lifted (every load client comes from 127.0.0.1; the template allows 128 per address).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findNginx, startNginx, type NginxProcess } from '../scripts/lib/nginx.js';
import { freePort } from '../scripts/lib/free-port.js';
import { startService, type ServiceProcess } from '../scripts/lib/service-process.js';
import { forkLoadClient } from './lib/load-process.js';
import {
  closeLoad,
  connectLoad,
  freshnessOf,
  measureLoad,
  summarizeLoad,
  loadSetup,
  type LoadFigures,
  type LoadProcesses,
} from './lib/load-run.js';
import { loadAverage, machineOf } from './lib/machine.js';
import { quantileMs } from './lib/ms-histogram.js';
import { cpuPct, procStat } from '../scripts/lib/proc-stats.js';
import { counter } from '../scripts/lib/prom.js';
import { ensureFileLimit } from './lib/proc.js';
import { round } from './lib/stats.js';
import { formatTable } from './lib/table.js';
import { sleep } from '../scripts/lib/wait.js';

const argValue = (name: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const quick = process.argv.includes('--quick');
const REPLICAS = (argValue('replicas') ?? '1,2').split(',').map(Number);
/** Loads run on every replica count. */
const SIZES = argValue('sizes')?.split(',').map(Number) ?? (quick ? [1_000] : [1_000, 5_000]);
/** Larger loads tried on the largest replica count only, for the "held at the same freshness". */
const SEARCH = quick ? [] : [7_500, 9_000];
/** The reference: one replica at this many clients. */
const REFERENCE_CLIENTS = 5_000;
/** The broadcaster bench's load (bench/lib/load-run.ts). */
const SETUP = loadSetup(quick);
const SEED = 2026;
const CONNECT_DEADLINE_MS = 45_000;
/** tsx start-up of a service on a loaded 2-core machine can take tens of seconds. */
const START_TIMEOUT_MS = 120_000;
/** Per process; nginx needs two per proxied client, so 9,000 clients is about its ceiling here. */
const FILE_LIMIT = 20_000;
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

interface Run extends LoadFigures {
  replicas: number;
  /** Clients per replica at the end of the connect phase, from each one's /healthz. */
  spread: number[];
  probeFreshnessMs: { p50: number; p99: number };
  /** `/v1/latest` long polls per tick (one per replica expected), and `/v1/fleet` ones. */
  generatorRequestsPerTick: number;
  generatorFleetRequestsPerTick: number;
  /** Sum over the replicas, % of one core; and each replica's. */
  broadcasterCpuPct: number;
  perReplicaCpuPct: number[];
  nginxCpuPct: number;
}

/** nginx's worker processes: the children of its master. */
function nginxWorkers(nginx: NginxProcess): number[] {
  const text = readFileSync(`/proc/${nginx.pid}/task/${nginx.pid}/children`, 'utf8').trim();
  return text ? text.split(/\s+/).map(Number) : [];
}

const cpuTicks = (pids: readonly number[]) => pids.map((pid) => procStat(pid).cpuTicks);

async function runOnce(
  replicas: number,
  clients: number,
  generator: ServiceProcess,
  procs: LoadProcesses,
): Promise<Run> {
  const broadcasters = await Promise.all(
    Array.from({ length: replicas }, () =>
      startService(
        'metric-broadcaster',
        {
          PORT: '0',
          GENERATOR_URL: generator.url,
          LOG_LEVEL: 'info',
        },
        { timeoutMs: START_TIMEOUT_MS },
      ),
    ),
  );
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bench-replicas-nginx-'));
  let nginx: NginxProcess | undefined;
  try {
    nginx = await startNginx({
      dir,
      listen: `127.0.0.1:${port}`,
      port,
      // The frontend is not on the measured path; nginx only needs an address for its upstream.
      frontendUpstream: '127.0.0.1:9',
      broadcasterUpstream: broadcasters.map((b) => `127.0.0.1:${b.port}`),
      accessLog: 'off',
      workerConnections: Math.ceil((clients + SETUP.probes) * 2.2) + 256,
      connectionsPerAddress: clients + SETUP.probes + 64,
    });
    const url = nginx.url;
    await sleep(500);
    const { connectMs, failedConnects } = await connectLoad(procs, {
      url,
      clients,
      shape: SETUP,
      probes: SETUP.probes,
      seed: SEED,
      deadlineMs: CONNECT_DEADLINE_MS,
    });
    const spread = await Promise.all(
      broadcasters.map(async (b) => {
        const res = await fetch(`${b.url}/healthz`);
        return ((await res.json()) as { clients: number }).clients;
      }),
    );
    await sleep(SETUP.warmupMs);

    const latest = (line: string) => /route="[^"]*latest[^"]*"/.test(line);
    const workers = nginxWorkers(nginx);
    const fleet = (line: string) => /route="[^"]*fleet[^"]*"/.test(line);
    const requestsBefore = await counter(generator.url, 'generator_http_requests_total', latest);
    const fleetBefore = await counter(generator.url, 'generator_http_requests_total', fleet);
    const before = cpuTicks(broadcasters.map((b) => b.pid));
    const nginxBefore = cpuTicks(workers);
    const measured = await measureLoad(procs, SETUP.measureMs);
    const seconds = measured.seconds;
    const after = cpuTicks(broadcasters.map((b) => b.pid));
    const nginxAfter = cpuTicks(workers);
    const requestsAfter = await counter(generator.url, 'generator_http_requests_total', latest);
    const fleetAfter = await counter(generator.url, 'generator_http_requests_total', fleet);
    await closeLoad(procs);

    const probeStats = measured.probe;
    const total = summarizeLoad(measured.load, probeStats);
    const { freshness: fresh, connected } = total;
    const perReplicaCpuPct = before.map((b, i) => cpuPct(b, after[i]!, seconds));
    return {
      replicas,
      clients,
      connected,
      failedConnects,
      connectMs,
      spread,
      freshnessMs: freshnessOf(fresh),
      probeFreshnessMs: {
        p50: quantileMs(probeStats.freshness, 0.5),
        p99: quantileMs(probeStats.freshness, 0.99),
      },
      samplesPerSecond: total.samplesPerSecond,
      expectedSamplesPerSecond: connected * SETUP.perClient,
      duplicates: total.duplicates,
      disconnects: total.disconnects,
      generatorRequestsPerTick: round((requestsAfter - requestsBefore) / seconds, 2),
      generatorFleetRequestsPerTick: round((fleetAfter - fleetBefore) / seconds, 2),
      broadcasterCpuPct: round(
        perReplicaCpuPct.reduce((a, b) => a + b, 0),
        1,
      ),
      perReplicaCpuPct,
      nginxCpuPct: round(
        nginxBefore.reduce((n, b, i) => n + cpuPct(b, nginxAfter[i]!, seconds), 0),
        1,
      ),
      loadClientCpuPct: total.loadClientCpuPct,
    };
  } finally {
    await nginx?.stop('SIGQUIT', 10_000);
    await Promise.all(broadcasters.map((b) => b.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Holds a load as well as the reference: p50 no worse, ≥ 99 % delivered, no duplicate. */
const holdsLike = (run: Run, reference: Run) =>
  run.connected === run.clients &&
  run.freshnessMs.p50 <= reference.freshnessMs.p50 &&
  run.samplesPerSecond >= 0.99 * run.expectedSamplesPerSecond &&
  run.duplicates === 0;

async function main(): Promise<void> {
  ensureFileLimit({ script: import.meta.url, limit: FILE_LIMIT });
  if (!findNginx())
    throw new Error('bench:replicas needs nginx (Debian: apt-get install -y nginx)');
  const startedAt = Date.now();
  const loadBefore = loadAverage();
  console.log(
    `bench:replicas${quick ? ' --quick' : ''}: replicas ${REPLICAS.join(' / ')} behind nginx, ` +
      `clients ${SIZES.join(' / ')}${SEARCH.length ? ` (then ${SEARCH.join(' / ')} on ${Math.max(...REPLICAS)})` : ''}; ` +
      `SERVER_COUNT=${SETUP.servers}, ${SETUP.perClient} servers per client, 1 in ${SETUP.fleetEvery} on the fleet; ` +
      `warm-up ${SETUP.warmupMs} ms, measure ${SETUP.measureMs} ms; load average ${loadBefore.join(' ')}`,
  );
  console.log(
    "  (the template's limit_conn per address is lifted: every load client comes from 127.0.0.1)",
  );
  const generator = await startService(
    'metric-generator',
    {
      PORT: '0',
      SERVER_COUNT: String(SETUP.servers),
      TICK_MS: '1000',
      DB_PATH: ':memory:',
      SEED: String(SEED),
    },
    { timeoutMs: START_TIMEOUT_MS },
  );
  const fork = () =>
    forkLoadClient(new URL('./lib/broadcaster-load-client.ts', import.meta.url), ROOT);
  const loaders = Array.from({ length: SETUP.loadProcesses }, fork);
  const probe = fork();
  const procs: LoadProcesses = { loaders, probe };
  const runs: Run[] = [];
  const report = (run: Run) =>
    console.log(
      `  ${run.replicas} replica${run.replicas === 1 ? ' ' : 's'} ${String(run.clients).padStart(5)} clients ` +
        `(${run.spread.join('/')}): freshness p50 ${run.freshnessMs.p50} ms, p99 ${run.freshnessMs.p99} ms ` +
        `(probes ${run.probeFreshnessMs.p50}/${run.probeFreshnessMs.p99}), ` +
        `${run.samplesPerSecond}/${run.expectedSamplesPerSecond} samples/s, ` +
        `${run.generatorRequestsPerTick} + ${run.generatorFleetRequestsPerTick} (fleet) req/tick, broadcaster CPU ${run.broadcasterCpuPct} % ` +
        `(${run.perReplicaCpuPct.join(' + ')}), nginx ${run.nginxCpuPct} %, load clients ${run.loadClientCpuPct} %`,
    );
  try {
    for (const clients of SIZES) {
      for (const replicas of REPLICAS) {
        const run = await runOnce(replicas, clients, generator, procs);
        runs.push(run);
        report(run);
      }
    }
    const reference = runs.find((r) => r.replicas === 1 && r.clients === REFERENCE_CLIENTS);
    const most = Math.max(...REPLICAS);
    if (reference && most > 1) {
      for (const clients of SEARCH) {
        const run = await runOnce(most, clients, generator, procs);
        runs.push(run);
        report(run);
        if (!holdsLike(run, reference)) break;
      }
    }
  } finally {
    for (const child of [...loaders, probe]) child.kill();
    await generator.stop();
  }

  console.log(
    '\n' +
      formatTable(
        [
          'replicas',
          'clients',
          'per replica',
          'fresh p50/p99 ms',
          'probes p50/p99',
          'samples/s (want)',
          'dups',
          'gen req/tick (+fleet)',
          'broadcasters CPU %',
          'nginx CPU %',
          'load CPU %',
        ],
        runs.map((r) => [
          r.replicas,
          r.clients,
          r.spread.join('/'),
          `${r.freshnessMs.p50} / ${r.freshnessMs.p99}`,
          `${r.probeFreshnessMs.p50} / ${r.probeFreshnessMs.p99}`,
          `${r.samplesPerSecond} / ${r.expectedSamplesPerSecond}`,
          r.duplicates,
          `${r.generatorRequestsPerTick} + ${r.generatorFleetRequestsPerTick}`,
          r.broadcasterCpuPct,
          r.nginxCpuPct,
          r.loadClientCpuPct,
        ]),
      ),
  );

  const reference = runs.find((r) => r.replicas === 1 && r.clients === REFERENCE_CLIENTS);
  const most = Math.max(...REPLICAS);
  const held = reference
    ? runs
        .filter((r) => r.replicas === most && holdsLike(r, reference))
        .reduce((n, r) => Math.max(n, r.clients), 0)
    : undefined;
  const heldAtReference = reference
    ? {
        reference: `1 replica, ${REFERENCE_CLIENTS} clients: p50 ${reference.freshnessMs.p50} ms`,
        replicas: most,
        clients: held,
        tried: runs.filter((r) => r.replicas === most).map((r) => r.clients),
      }
    : undefined;
  if (heldAtReference) {
    console.log(
      `\n${most} replicas held ${held || 'none'} of ${heldAtReference.tried.join(' / ')} clients ` +
        `at the freshness of ${heldAtReference.reference} (p50 no worse, ≥ 99 % delivered, no duplicate)`,
    );
  }

  const loadAfter = loadAverage();
  const result = {
    bench: 'replicas',
    quick,
    date: new Date().toISOString(),
    machine: machineOf(loadBefore, loadAfter),
    setup: {
      ...SETUP,
      ingress: 'Debian nginx, nginx/templates/default.conf.template, limit_conn lifted',
    },
    runs,
    heldAtReference,
    durationS: round((Date.now() - startedAt) / 1000, 0),
  };
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(`${RESULTS}replicas.json`, JSON.stringify(result, null, 2) + '\n');
  console.log(
    `\nwrote bench/results/replicas.json (${result.durationS} s; load average before ` +
      `${loadBefore.join(' ')}, after ${loadAfter.join(' ')})`,
  );
}

await main();
