/**
 * What a bench needs from the operating system about processes: the CPU time and RSS of the
 * services under test (from /proc, Linux only), and enough file descriptors for thousands of
 * sockets.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { round } from './stats.js';

/** USER_HZ on Linux: the unit of the CPU times in /proc/<pid>/stat. */
export const CLK_TCK = 100;

/** Node flags that run a TypeScript entry point from source, as `npm run bench:*` does. */
export const TSX_ARGS: readonly string[] = ['--import', 'tsx', '--conditions=source'];

/** CPU time used so far (user + system, in clock ticks) and resident memory of process `pid`. */
export function procStat(pid: number): { cpuTicks: number; rssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // fields after the parenthesized command name; utime, stime are fields 14 and 15
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuTicks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuTicks, rssBytes: rssKb * 1024 };
}

/** CPU use (% of one core, 1 decimal) between two `procStat().cpuTicks` readings `seconds` apart. */
export const cpuPct = (fromTicks: number, toTicks: number, seconds: number): number =>
  round(((toTicks - fromTicks) / CLK_TCK / seconds) * 100, 1);

/**
 * Sockets need file descriptors: unless the soft limit already allows `limit` (or the hard
 * limit, if lower), re-runs `script` (the bench's `import.meta.url`, same arguments) under a
 * raised soft limit, which its children inherit, and exits with its status. `flag` is the
 * environment variable that marks the re-run, so it does not try again; `name` is bash's `$0`.
 */
export function ensureFileLimit(opts: {
  script: string;
  cwd: string;
  limit: number;
  flag: string;
  name: string;
}): void {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const m = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(limits);
  const soft = m?.[1] === 'unlimited' ? Infinity : Number(m?.[1] ?? 0);
  const hard = m?.[2] === 'unlimited' ? Infinity : Number(m?.[2] ?? 0);
  const want = Math.min(opts.limit, hard);
  if (soft >= want || process.env[opts.flag]) return;
  const run = spawnSync(
    'bash',
    [
      '-c',
      `ulimit -n ${want} && exec "$@"`,
      opts.name,
      process.execPath,
      ...TSX_ARGS,
      fileURLToPath(opts.script),
      ...process.argv.slice(2),
    ],
    { stdio: 'inherit', env: { ...process.env, [opts.flag]: '1' }, cwd: opts.cwd },
  );
  process.exit(run.status ?? 1);
}
