/**
 * A lock on the compose journey's cache: one journey (one dockerd on the data root) at a time on
 * this machine. The lock is a directory holding its taker's pid; a lock whose taker is gone is
 * taken over.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Runner } from './run-command.ts';

/** Whether the process that took the lock still runs (a lock just taken counts as held). */
function lockHeld(lock: string): { held: boolean; holder: string } {
  const pidFile = join(lock, 'pid');
  const holder = existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim() : '';
  if (!/^\d+$/.test(holder)) {
    // Its taker writes the pid right after mkdir: only an old lock without one is stale.
    const age = existsSync(lock) ? Date.now() - statSync(lock).mtimeMs : Infinity;
    return { held: age < 60_000, holder: 'unknown' };
  }
  try {
    process.kill(Number(holder), 0);
    return { held: true, holder };
  } catch {
    return { held: false, holder };
  }
}

/** Takes the lock in `cache` (waiting up to 30 min for its holder); returns its release. */
export async function lockCache(cache: string, run: Runner): Promise<() => void> {
  const lock = join(cache, 'lock');
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return () => rmSync(lock, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const { held, holder } = lockHeld(lock);
    if (!held) {
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`${lock} held by pid ${holder} for 30 min`);
    console.log(`  waiting for ${lock} (held by pid ${holder})`);
    run.log(`waiting for ${lock} (pid ${holder})`);
    await sleep(10_000);
  }
}
