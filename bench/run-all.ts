/**
 * `npm run bench [-- --full] [-- --only=generator,soak,herd] [-- --summary-only] [-- --docs]`:
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
import { broadcasterBench } from './lib/broadcaster-result.js';
import { exportersBench } from './lib/exporters-result.js';
import { replicasBench } from './lib/replicas-result.js';
import { frontendBench } from './lib/frontend-result.js';
import { generatorBench } from './lib/generator-result.js';
import { herdBench } from './lib/herd-result.js';
import type { Bench } from './lib/result.js';
import { soakBench } from './lib/soak-result.js';
import { num, type Json } from './lib/summary-format.js';

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

/** Every bench, in the order they run: one line each. */
const BENCHES: readonly Bench<Json>[] = [
  generatorBench,
  broadcasterBench,
  replicasBench,
  frontendBench,
  exportersBench,
  soakBench,
  herdBench,
];
type BenchName = string;

interface RunOutcome {
  name: BenchName;
  status: 'ok' | 'failed' | 'not run';
  exit?: number | string;
  seconds?: number;
}

function runBench({ name, flags }: Bench<Json>): RunOutcome {
  const args = ['--import', 'tsx', '--conditions=source', `bench/${name}.ts`, ...flags(full)];
  console.log(`\n=== bench:${name} ${flags(full).join(' ')}`.trimEnd());
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
  for (const bench of BENCHES) {
    const { name, title } = bench;
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
      body = bench.fromJson(j).table();
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
  for (const bench of BENCHES) {
    if (only && !only.includes(bench.name)) continue;
    outcomes.set(bench.name, runBench(bench));
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
