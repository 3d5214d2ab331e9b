import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ROUTES } from '@metrics/protocol';
import { sampleId, storedSamples } from './fixtures/stored-samples.js';
import {
  serviceCommand,
  serviceDir,
  startService,
  type ServiceProcess,
} from '../../scripts/lib/service-process.js';

/**
 * Disk faults under the real generator process (main.ts, file database):
 * - disk full: a small tmpfs filled to the last byte (a real ENOSPC), when mounts are allowed;
 * - a file size limit (RLIMIT_FSIZE lowered with prlimit on the running process: writes past it
 *   fail with EFBIG; Node ignores SIGXFSZ), which needs no privilege;
 * - a database file it may not write, at start-up.
 * In each case: /healthz says 503 and why, a log line names the failure, only committed ticks
 * are served, it recovers when space returns, and the file passes `PRAGMA integrity_check`.
 *
 * Not simulated: a database that becomes unwritable while open. Permissions are checked at
 * open(2) and SQLite keeps its file descriptors, so a chmod has no effect on a running process,
 * and the kernel refuses to remount a filesystem read-only (EBUSY) while files on it are open
 * for writing.
 */
const TICK_MS = 100;
const SERVER_COUNT = 500;
const root = mkdtempSync(join(tmpdir(), 'generator-disk-'));
const running: ServiceProcess[] = [];
const mounted: string[] = [];

afterEach(async () => {
  for (const s of running.splice(0)) await s.stop('SIGKILL');
  for (const dir of mounted.splice(0)) spawnSync('umount', [dir]);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const has = (cmd: string, args: string[]) => spawnSync(cmd, args).status === 0;
const hasPrlimit = has('prlimit', ['--version']);
/**
 * Adds the search (x) bit for others to every directory from `path` up to `/` that lacks it,
 * so a process running as another user can reach files below `path`; returns the undo.
 */
function letOthersTraverse(path: string): () => void {
  const changed: Array<[string, number]> = [];
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    const mode = statSync(dir).mode & 0o7777;
    if (!(mode & 0o001)) {
      chmodSync(dir, mode | 0o001);
      changed.push([dir, mode]);
    }
    if (dirname(dir) === dir) break;
  }
  return () => {
    for (const [dir, mode] of changed.reverse()) chmodSync(dir, mode);
  };
}

/** Probes whether this process may mount a tmpfs (root or CAP_SYS_ADMIN, not in every CI). */
const canMountTmpfs = (() => {
  const probe = mkdtempSync(join(tmpdir(), 'tmpfs-probe-'));
  const ok = has('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe]);
  if (ok) spawnSync('umount', [probe]);
  rmSync(probe, { recursive: true, force: true });
  return ok;
})();

async function health(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url + ROUTES.health);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The tick `/v1/latest` serves now (what a poller would get), and server-1's sample of it. */
async function served(url: string): Promise<{ tick: number; sample: Record<string, unknown> }> {
  const res = await fetch(`${url}${ROUTES.latest}?ids=server-1`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { tick: number; samples: Record<string, unknown>[] };
  return { tick: body.tick, sample: body.samples[0]! };
}

const logLines = (service: ServiceProcess) =>
  service.output.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown> & { msg?: string }];
    } catch {
      return [];
    }
  });

/** Opens the file read-only: integrity, and server-1's stored sample of `tick`. */
function inspect(dbPath: string, tick: number) {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const integrity = db.pragma('integrity_check', { simple: true });
    const row = storedSamples(db).get(sampleId(1, tick));
    const stored = row && { cpuPct: row.cpuPct, memPct: row.memPct };
    return { integrity, stored };
  } finally {
    db.close();
  }
}

/**
 * Shared scenario: `fill()` takes the space away while the generator ticks, `free()` gives it
 * back. `expected` matches the SQLite error the failure shows as.
 */
async function diskFault(
  dbPath: string,
  fill: (service: ServiceProcess) => void,
  free: (service: ServiceProcess) => void,
  expected: RegExp,
) {
  const service = await startService('metric-generator', {
    PORT: '0',
    DB_PATH: dbPath,
    TICK_MS: String(TICK_MS),
    SERVER_COUNT: String(SERVER_COUNT),
    SEED: '11',
  });
  running.push(service);
  await until('a committed tick', 5_000, async () =>
    (await health(service.url)).status === 200 ? true : undefined,
  );
  const before = await served(service.url);

  fill(service);
  const unhealthy = await until('/healthz 503', 10_000, async () => {
    const h = await health(service.url);
    return h.status === 503 ? h : undefined;
  });
  expect(unhealthy.body).toMatchObject({
    status: 'error',
    reason: expect.stringMatching(new RegExp(`^database write failed: .*${expected.source}`, 'i')),
    error: { code: 'unavailable', message: expect.stringMatching(expected) },
  });
  // The log line crosses a pipe: on a busy machine it may arrive after /healthz says 503.
  const failedLine = await until('a "tick failed" log line', 5_000, async () =>
    logLines(service).find((l) => l.msg === 'tick failed'),
  );
  expect(JSON.stringify(failedLine!.err)).toMatch(expected);

  // Only committed ticks are served: the tick served stays put while writes fail.
  const stuck = await served(service.url);
  await new Promise((r) => setTimeout(r, 3 * TICK_MS));
  expect((await served(service.url)).tick).toBe(stuck.tick);
  expect((await health(service.url)).status).toBe(503);

  free(service);
  await until('/healthz 200 again', 10_000, async () =>
    (await health(service.url)).status === 200 ? true : undefined,
  );
  const after = await served(service.url);
  expect(after.tick).toBeGreaterThan(stuck.tick);
  expect(logLines(service).some((l) => l.msg === 'ticks commit again')).toBe(true);

  expect((await service.stop('SIGKILL')).signal).toBe('SIGKILL');
  running.splice(running.indexOf(service), 1);
  for (const { tick, sample } of [before, stuck, after]) {
    const { integrity, stored } = inspect(dbPath, tick);
    expect(integrity).toBe('ok');
    expect(stored, `server-1@${tick}`).toEqual({ cpuPct: sample.cpuPct, memPct: sample.memPct });
  }
}

describe('metric-generator on a failing disk', () => {
  it.skipIf(!canMountTmpfs)(
    `on a full disk (tmpfs, ENOSPC): turns /healthz 503 saying so, serves only committed ticks, recovers when space returns, keeps the file intact${canMountTmpfs ? '' : ' [skipped: mounting a tmpfs is not permitted here]'}`,
    async () => {
      const mountPoint = join(root, 'tmpfs');
      mkdirSync(mountPoint);
      expect(has('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mountPoint])).toBe(true);
      mounted.push(mountPoint);
      const filler = join(mountPoint, 'filler');
      await diskFault(
        join(mountPoint, 'metrics.db'),
        () => {
          const fd = openSync(filler, 'w');
          const chunk = Buffer.alloc(64 * 1024, 1);
          try {
            for (;;) writeSync(fd, chunk); // until ENOSPC
          } catch (err) {
            expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
          } finally {
            closeSync(fd);
          }
        },
        () => unlinkSync(filler),
        /disk is full/,
      );
    },
    60_000,
  );

  it.skipIf(!hasPrlimit)(
    `past a file size limit (RLIMIT_FSIZE, EFBIG): turns /healthz 503 with the I/O error, serves only committed ticks, recovers when the limit is lifted, keeps the file intact${hasPrlimit ? '' : ' [skipped: util-linux prlimit is not installed]'}`,
    async () => {
      const dir = join(root, 'fsize');
      mkdirSync(dir);
      const dbPath = join(dir, 'metrics.db');
      const size = (path: string) => {
        try {
          return statSync(path).size;
        } catch {
          return 0;
        }
      };
      const prlimit = (pid: number, soft: string) => {
        const run = spawnSync('prlimit', ['--pid', String(pid), `--fsize=${soft}:`], {
          encoding: 'utf8',
        });
        expect(run.status, run.stderr).toBe(0);
      };
      await diskFault(
        dbPath,
        // No file may grow more than 64 KiB beyond the largest one now.
        (s) => prlimit(s.pid, String(Math.max(size(dbPath), size(`${dbPath}-wal`)) + 65_536)),
        (s) => prlimit(s.pid, 'unlimited'),
        /disk I\/O error|SQLITE_IOERR/,
      );
    },
    60_000,
  );

  it('exits 1 with a log line naming the database and the problem when it may not write the file', async () => {
    const dir = join(root, 'readonly');
    mkdirSync(dir);
    const dbPath = join(dir, 'metrics.db');
    // A valid database written by someone else (e.g. a volume owned by root).
    const first = await startService('metric-generator', {
      PORT: '0',
      DB_PATH: dbPath,
      SERVER_COUNT: '5',
      TICK_MS: String(TICK_MS),
    });
    running.push(first);
    await until('a committed tick', 5_000, async () =>
      (await health(first.url)).status === 200 ? true : undefined,
    );
    expect(await first.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    running.splice(running.indexOf(first), 1);

    // root ignores file modes, so as root the generator runs as `nobody` instead; otherwise the
    // file and its directory are made read-only for the current user.
    const asRoot = process.getuid?.() === 0;
    chmodSync(root, 0o755); // mkdtemp makes it 0700: let `nobody` reach the file
    // ... and the checkout: a clone inside `mktemp -d` (0700) hides node_modules from `nobody`.
    const restoreTraverse = asRoot ? letOthersTraverse(serviceDir('metric-generator')) : () => {};
    if (!asRoot) {
      chmodSync(dbPath, 0o444);
      chmodSync(dir, 0o555);
    }
    let output = '';
    let code: number | null;
    try {
      const [cmd, ...args] = serviceCommand('metric-generator');
      const child = spawn(cmd!, args, {
        cwd: serviceDir('metric-generator'),
        env: {
          ...process.env,
          PORT: '0',
          DB_PATH: dbPath,
          SERVER_COUNT: '6',
          TICK_MS: String(TICK_MS),
          LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(asRoot ? { uid: 65_534, gid: 65_534 } : {}),
      });
      child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      [code] = (await once(child, 'exit')) as [number | null];
      clearTimeout(timer);
    } finally {
      restoreTraverse();
    }
    if (!asRoot) {
      chmodSync(dir, 0o755);
      chmodSync(dbPath, 0o644);
    }

    expect(code, output).toBe(1);
    expect(output).not.toMatch(/"msg":"listening"/);
    const fatal = output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; dbPath?: string; err?: { message?: string } })
      .find((l) => l.level === 60);
    expect(fatal, output).toBeDefined();
    expect(fatal!.dbPath).toBe(dbPath);
    expect(fatal!.err?.message).toMatch(/readonly database|unable to open|permission/i);
    expect(output).not.toMatch(/^\s+at .*\.ts:\d+/m); // one JSON line, not a bare stack trace
    const db = new Database(dbPath, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  }, 60_000);
});
