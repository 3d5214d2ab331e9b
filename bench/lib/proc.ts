/**
 * How a bench runs its own child processes: TypeScript from source, and enough file descriptors
 * for thousands of sockets. CPU and RSS readings are in scripts/lib/proc-stats.ts.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Node flags that run a TypeScript entry point from source, as `npm run bench:*` does. */
export const TSX_ARGS: readonly string[] = ['--import', 'tsx', '--conditions=source'];

/**
 * Sockets need file descriptors: unless the soft limit already allows `limit` (or the hard
 * limit, if lower), re-runs `script` (the bench's `import.meta.url`, same arguments, from `cwd`,
 * by default the repository root) under a raised soft limit, which its children inherit, and
 * exits with its status. `flag` is the environment variable that marks the re-run, so it does
 * not try again; `name` is bash's `$0`.
 */
export function ensureFileLimit({
  script,
  limit,
  cwd = REPO_ROOT,
  flag = 'BENCH_FILE_LIMIT_RAISED',
  name = 'bench',
}: {
  script: string;
  limit: number;
  cwd?: string;
  flag?: string;
  name?: string;
}): void {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const m = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(limits);
  const soft = m?.[1] === 'unlimited' ? Infinity : Number(m?.[1] ?? 0);
  const hard = m?.[2] === 'unlimited' ? Infinity : Number(m?.[2] ?? 0);
  const want = Math.min(limit, hard);
  if (soft >= want || process.env[flag]) return;
  const run = spawnSync(
    'bash',
    [
      '-c',
      `ulimit -n ${want} && exec "$@"`,
      name,
      process.execPath,
      ...TSX_ARGS,
      fileURLToPath(script),
      ...process.argv.slice(2),
    ],
    { stdio: 'inherit', env: { ...process.env, [flag]: '1' }, cwd },
  );
  process.exit(run.status ?? 1);
}
