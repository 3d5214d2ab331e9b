/**
 * `npm run bench [-- --full] [-- --only=generator,soak] [-- --summary-only] [-- --docs]`:
 * every benchmark in sequence, each as its own child process, then one Markdown summary.
 *
 * Default: the short variants (`--quick` for generator, broadcaster and frontend; the soak's
 * short default of about 1.5 minutes). `--full`: each bench's full run, and the 10-minute soak.
 * Each bench writes `bench/results/<name>.json`; this script reads them (whatever their run,
 * marking any not refreshed by this one) and writes `bench/results/summary.md`: the machine it
 * ran on and one table per bench. `--summary-only` skips the runs. `--docs` also puts the
 * summary into docs/performance.md between its `bench-summary` markers.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RESULTS = join(ROOT, 'bench/results');
const argv = process.argv.slice(2);
const full = argv.includes('--full');
const summaryOnly = argv.includes('--summary-only');
const toDocs = argv.includes('--docs');
const only = argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');

const BENCHES = ['generator', 'broadcaster', 'replicas', 'frontend', 'soak'] as const;
type BenchName = (typeof BENCHES)[number];

/** The flag each bench gets: short by default, full with `--full`. */
const flagFor = (name: BenchName): string[] =>
  name === 'soak' ? (full ? ['--full'] : []) : full ? [] : ['--quick'];

interface RunOutcome {
  name: BenchName;
  status: 'ok' | 'failed' | 'not run';
  exit?: number | string;
  seconds?: number;
}

function runBench(name: BenchName): RunOutcome {
  const args = ['--import', 'tsx', '--conditions=source', `bench/${name}.ts`, ...flagFor(name)];
  console.log(`\n=== bench:${name} ${flagFor(name).join(' ')}`.trimEnd());
  const started = Date.now();
  const run = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  const seconds = Math.round((Date.now() - started) / 1000);
  const ok = run.status === 0;
  return {
    name,
    status: ok ? 'ok' : 'failed',
    exit: run.status ?? run.signal ?? undefined,
    seconds,
  };
}

// ---------------------------------------------------------------------------------------------
// Reading the results: every field is optional here; a bench may have changed its shape.

type Json = Record<string, unknown>;
const at = (o: unknown, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Json)[k] : undefined), o);
const num = (v: unknown, digits = 1): string => {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '–';
  const f = 10 ** digits;
  return (Math.round(v * f) / f).toLocaleString('en-US');
};
const ms = (v: unknown, digits = 0) => (typeof v === 'number' ? `${num(v, digits)} ms` : '–');
const ordinal = (v: unknown): string => {
  if (typeof v !== 'number') return '?';
  if (v === 1) return 'single';
  const suffix =
    v % 10 === 2 && v % 100 !== 12 ? 'nd' : v % 10 === 3 && v % 100 !== 13 ? 'rd' : 'th';
  return `${v}${suffix}`;
};
const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(header),
    line(header.map((_, i) => (i === 0 ? '---' : '---:'))),
    ...rows.map(line),
  ].join('\n');
}

/** Targets as a list, in either of the shapes the benches use. */
function targets(t: unknown): string {
  if (!t || typeof t !== 'object') return '';
  const lines = Object.entries(t as Json).map(([name, v]) => {
    if (typeof v === 'boolean') return `- ${v ? 'met' : '**not met**'}: ${name}`;
    const target = at(v, 'target');
    const value = at(v, 'value');
    const met = at(v, 'met');
    const verdict = met === true ? 'met' : met === false ? '**not met**' : 'not measured';
    return `- ${verdict}: ${name} — target ${String(target ?? '?')}, measured ${
      value === undefined ? '–' : String(value)
    }`;
  });
  return lines.length ? `Targets:\n${lines.join('\n')}` : '';
}

function generatorSection(j: Json): string {
  const rows = arr(j.results).map((r) => [
    num(r.servers, 0),
    ms(at(r, 'work.p50'), 1),
    ms(at(r, 'work.p99'), 1),
    ms(at(r, 'write.p50'), 1),
    ms(at(r, 'write.p99'), 1),
    num(r.rowsPerSecond, 0),
    num(r.ratioToBestBare, 2),
    num(r.missedTicks, 0),
    `${num(r.rssPeakMb)} MiB`,
  ]);
  const steady = j.steadyState as Json | undefined;
  if (steady?.servers) {
    rows.push([
      `${num(steady.servers, 0)} (${num(steady.historyTicks, 0)} ticks of history)`,
      ms(at(steady, 'work.p50'), 1),
      ms(at(steady, 'work.p99'), 1),
      ms(at(steady, 'write.p50'), 1),
      ms(at(steady, 'write.p99'), 1),
      num(steady.rowsPerSecond, 0),
      '–',
      num(steady.missedTicks, 0),
      `${num(steady.rssPeakMb)} MiB`,
    ]);
  }
  return [
    `Tick work of the real generator at TICK_MS = ${num(j.tickMs, 0)} (${num(j.ticksPerSize, 0)} ticks per size).`,
    table(
      [
        'servers',
        'tick work p50',
        'tick work p99',
        'write p50',
        'write p99',
        'rows/s',
        'vs bare insert',
        'missed ticks',
        'RSS peak',
      ],
      rows,
    ),
    targets(j.targets),
  ]
    .filter(Boolean)
    .join('\n\n');
}

function broadcasterSection(j: Json): string {
  const rows = arr(j.runs).map((r) => [
    String(r.impl ?? '?'),
    `${num(r.connected, 0)} / ${num(r.clients, 0)}`,
    `${ms(at(r, 'freshnessMs.p50'))} / ${ms(at(r, 'freshnessMs.p99'))}`,
    `${ms(at(r, 'probeFreshnessMs.p50'))} / ${ms(at(r, 'probeFreshnessMs.p99'))}`,
    `${num(r.samplesPerSecond, 0)} / ${num(r.expectedSamplesPerSecond, 0)}`,
    num(r.generatorRequestsPerTick, 2),
    `${num(r.cpuPct)} %`,
    `${num(r.rssMb)} MiB`,
    `${num(r.duplicates, 0)} / ${num(r.disconnects, 0)}`,
  ]);
  const setup = j.setup as Json | undefined;
  return [
    setup
      ? `SERVER_COUNT = ${num(setup.servers, 0)}, ${num(setup.perClient, 0)} servers per client, every ${ordinal(setup.fleetEvery)} client on the fleet, ${num(setup.loadProcesses, 0)} load processes + ${num(setup.probes, 0)} probes; freshness = receive time − tick.`
      : '',
    table(
      [
        'broadcaster',
        'clients',
        'freshness p50 / p99',
        'probe p50 / p99',
        'samples/s (got / expected)',
        'generator req/tick',
        'CPU',
        'RSS',
        'dups / disconnects',
      ],
      rows,
    ),
    targets(j.targets),
  ]
    .filter(Boolean)
    .join('\n\n');
}

function frontendSection(j: Json): string {
  const rows = arr(j.scenarios).map((s) => [
    String(s.name ?? '?'),
    num(s.fps),
    `${ms(at(s, 'frameGapMs.p50'), 1)} / ${ms(at(s, 'frameGapMs.p99'), 1)}`,
    `${num(s.busyMsPerSecond, 0)} ms/s`,
    `${num(s.longTasks, 0)} (${ms(s.longTaskMs)})`,
    ms(at(s, 'renderMs.p99'), 1),
  ]);
  const bundle = j.bundle as Json | undefined;
  return [
    `Overview at SERVER_COUNT = ${num(j.serverCount, 0)} in Chromium ${String(at(j, 'machine.chromium') ?? '')}, viewport ${String(j.viewport ?? '?')}. ` +
      `Time to first data over ${num(at(j, 'firstDataMs.loads'), 0)} fresh page loads (median / worst): server names ${ms(at(j, 'firstDataMs.serverNames.p50'))} / ${ms(at(j, 'firstDataMs.serverNames.max'))}, values ${ms(at(j, 'firstDataMs.values.p50'))} / ${ms(at(j, 'firstDataMs.values.max'))} after navigation.` +
      (bundle
        ? ` Bundle: JS ${num(bundle.jsGzipKB)} KB gzip (${num(bundle.jsKB)} KB), CSS ${num(bundle.cssGzipKB)} KB gzip; budget ${num(bundle.budgetGzipKB, 0)} KB.`
        : ''),
    table(
      ['scenario', 'fps', 'frame gap p50 / p99', 'main thread busy', 'long tasks', 'render p99'],
      rows,
    ),
    targets(j.targets),
  ]
    .filter(Boolean)
    .join('\n\n');
}

function soakSection(j: Json): string {
  const c = (j.config ?? {}) as Json;
  const d = (j.delivery ?? {}) as Json;
  const rss = (j.broadcasterRss ?? {}) as Json;
  const causes = Object.entries((d.causes ?? {}) as Json)
    .filter(([, n]) => typeof n === 'number' && n > 0)
    .map(([cause, n]) => `${cause} ${num(n, 0)}`)
    .join(', ');
  const lines = [
    `${num(c.clients, 0)} clients (${num(c.loadProcesses, 0)} load processes, + ${num(c.probes, 0)} probes) × ${num(c.perClient, 0)} servers of SERVER_COUNT = ${num(c.servers, 0)}, every ${ordinal(c.fleetEvery)} on the fleet; ${num(c.warmupS, 0)} s warm-up, ${num(c.measureS, 0)} s measured${j.full ? ' (--full)' : ''}.`,
    table(
      ['measure', 'result'],
      [
        [
          'machine load average (1 min) before / after',
          `${num(at(j, 'machine.loadAverage1m.before'), 2)} / ${num(at(j, 'machine.loadAverage1m.after'), 2)}`,
        ],
        [
          'samples delivered (client × server × tick)',
          `${num(d.received, 0)} of ${num(d.expected, 0)}: lost ${num(d.lost, 0)} (${num(d.lossPct, 4)} %)${causes ? `: ${causes}` : ''}`,
        ],
        ['duplicates', num(d.duplicates, 0)],
        [
          'fleet frames',
          `${num(at(d, 'fleet.received'), 0)} of ${num(at(d, 'fleet.expected'), 0)}`,
        ],
        ['client disconnects', num(d.disconnects, 0)],
        [
          'generator missed / failed ticks',
          `${num(d.generatorMissedTicks, 0)} / ${num(d.generatorFailedTicks, 0)}`,
        ],
        ['broadcaster slow-client drops', num(d.broadcasterSlowClientDrops, 0)],
        [
          'broadcaster RSS after warm-up',
          `${num(rss.baselineMb)} → ${num(rss.endMb)} MiB (${num(rss.growthPct, 1)} %, limit ${num(rss.limitPct, 0)} %: ${rss.met ? 'met' : '**not met**'}), max ${num(rss.maxMb)} MiB`,
        ],
        [
          'broadcaster JS heap after GC (lowest, first → last quarter)',
          j.broadcasterHeap
            ? `${num(at(j, 'broadcasterHeap.firstQuarterFloorMb'))} → ${num(at(j, 'broadcasterHeap.lastQuarterFloorMb'))} MiB (${num(at(j, 'broadcasterHeap.growthPct'))} %)`
            : '–',
        ],
        [
          'CPU (broadcaster / generator)',
          `${num(at(j, 'cpuPct.broadcaster'))} % / ${num(at(j, 'cpuPct.generator'))} %`,
        ],
        [
          'freshness p50 / p99 (load clients)',
          `${ms(at(j, 'freshnessMs.load.p50'))} / ${ms(at(j, 'freshnessMs.load.p99'))}`,
        ],
        [
          'freshness p50 / p99 (probes)',
          `${ms(at(j, 'freshnessMs.probe.p50'))} / ${ms(at(j, 'freshnessMs.probe.p99'))}`,
        ],
      ],
    ),
    table(
      ['window', 'load p50', 'load p99', 'load max', 'probe p99', 'fleet p99'],
      arr(at(j, 'freshnessMs.perBucket')).map((b) => [
        `${num(b.fromS, 0)}–${num(b.toS, 0)} s`,
        ms(b.loadP50Ms),
        ms(b.loadP99Ms),
        ms(b.loadMaxMs),
        ms(b.probeP99Ms),
        ms(b.fleetP99Ms),
      ]),
    ),
  ];
  return lines.join('\n\n');
}

function replicasSection(j: Json): string {
  const rows = arr(j.runs).map((r) => [
    num(r.replicas, 0),
    `${num(r.connected, 0)} of ${num(r.clients, 0)}`,
    arr(r.spread as unknown).join(' / '),
    `${ms(at(r, 'freshnessMs.p50'))} / ${ms(at(r, 'freshnessMs.p99'))}`,
    `${num(r.samplesPerSecond, 0)} of ${num(r.expectedSamplesPerSecond, 0)}`,
    num(r.generatorRequestsPerTick, 2),
    `${num(r.broadcasterCpuPct)} %`,
    `${num(r.nginxCpuPct)} %`,
    `${num(r.loadClientCpuPct)} %`,
  ]);
  const held = j.heldAtReference as Json | undefined;
  return [
    table(
      [
        'replicas',
        'clients connected',
        'per replica',
        'freshness p50 / p99',
        'samples/s',
        'generator req/tick',
        'broadcasters CPU',
        'nginx CPU',
        'load clients CPU',
      ],
      rows,
    ),
    held
      ? `${num(held.replicas, 0)} replicas held ${num(held.clients, 0) === '0' ? 'none' : num(held.clients, 0)} clients at the freshness of ${String(held.reference)} (tried ${arr(held.tried as unknown).join(', ')}).`
      : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}

const SECTIONS: Record<BenchName, { title: string; render: (j: Json) => string }> = {
  generator: { title: 'Generator', render: generatorSection },
  broadcaster: { title: 'Broadcaster', render: broadcasterSection },
  replicas: { title: 'Broadcaster replicas behind nginx', render: replicasSection },
  frontend: { title: 'Frontend', render: frontendSection },
  soak: { title: 'Soak', render: soakSection },
};

function machine(): string {
  const cpuModel =
    /model name\s*:\s*(.+)/.exec(
      existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '',
    )?.[1] ??
    cpus()[0]?.model ??
    'unknown CPU';
  return `${cpuModel.trim()}, ${cpus().length} cores, ${num(totalmem() / 1024 ** 3, 1)} GiB RAM, Linux ${release()}, Node ${process.version}`;
}

function summary(outcomes: Map<BenchName, RunOutcome>, startedAt: Date, writtenAt: Date): string {
  const parts = [
    `Machine: ${machine()}. Summary written ${writtenAt.toISOString().slice(0, 16).replace('T', ' ')} UTC by \`npm run bench${full ? ' -- --full' : ''}\`; every process on loopback.`,
  ];
  for (const name of BENCHES) {
    const { title, render } = SECTIONS[name];
    const file = join(RESULTS, `${name}.json`);
    const outcome = outcomes.get(name);
    parts.push(`#### ${title}`);
    if (!existsSync(file)) {
      parts.push(
        `No results (bench/results/${name}.json is missing${outcome?.status === 'failed' ? `; the run failed with exit ${String(outcome.exit)}` : ''}).`,
      );
      continue;
    }
    let j: Json;
    try {
      j = JSON.parse(readFileSync(file, 'utf8')) as Json;
    } catch (err) {
      parts.push(`bench/results/${name}.json is unreadable: ${(err as Error).message}`);
      continue;
    }
    const date = typeof j.date === 'string' ? j.date : undefined;
    const variant =
      j.quick === true ? 'quick' : j.full === true ? 'full' : name === 'soak' ? 'short' : 'full';
    const fresh =
      outcome?.status === 'ok' && date !== undefined && Date.parse(date) >= startedAt.getTime();
    const note = fresh
      ? `${variant} run, ${outcome?.seconds ?? '?'} s.`
      : `${variant} run of ${date?.slice(0, 16).replace('T', ' ') ?? 'unknown date'} UTC` +
        (outcome?.status === 'failed'
          ? ` (this run **failed**, exit ${String(outcome.exit)}: these are older figures).`
          : outcome
            ? ' (not refreshed by this run).'
            : '.');
    let body: string;
    try {
      body = render(j);
    } catch (err) {
      body = `Could not summarize: ${(err as Error).message}. See bench/results/${name}.json.`;
    }
    parts.push(`${note}\n\n${body}`);
  }
  return `${parts.join('\n\n')}\n`;
}

function intoDocs(markdown: string): void {
  const path = join(ROOT, 'docs/performance.md');
  const doc = readFileSync(path, 'utf8');
  const start = '<!-- bench-summary:start -->';
  const end = '<!-- bench-summary:end -->';
  const i = doc.indexOf(start);
  const k = doc.indexOf(end);
  if (i < 0 || k < i) {
    console.error(`docs/performance.md has no ${start} … ${end} block: not updated`);
    return;
  }
  writeFileSync(path, `${doc.slice(0, i + start.length)}\n${markdown}${doc.slice(k)}`);
  console.log('docs/performance.md: summary updated');
}

const startedAt = new Date();
const outcomes = new Map<BenchName, RunOutcome>();
if (!summaryOnly) {
  for (const name of BENCHES) {
    if (only && !only.includes(name)) continue;
    outcomes.set(name, runBench(name));
  }
}
const markdown = summary(outcomes, startedAt, new Date());
writeFileSync(join(RESULTS, 'summary.md'), markdown);
console.log(`\n=== summary (bench/results/summary.md)\n\n${markdown}`);
if (toDocs) intoDocs(markdown);
const failed = [...outcomes.values()].filter((o) => o.status === 'failed');
for (const o of outcomes.values()) {
  console.log(
    `bench:${o.name}: ${o.status}${o.status === 'failed' ? ` (exit ${String(o.exit)})` : ''}, ${o.seconds} s`,
  );
}
process.exit(failed.length ? 1 : 0);
