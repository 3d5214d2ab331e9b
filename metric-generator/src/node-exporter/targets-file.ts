import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import type { Logger } from 'pino';
import { parseFileSd, TargetError, type ExporterTarget } from './targets.js';

/**
 * `NODE_EXPORTER_TARGETS_FILE`: a Prometheus file_sd JSON file, read at start (an unreadable
 * file or one that is not a file_sd list stops the start) and re-read whenever it changes. The
 * file is polled (`fs.watchFile`) rather than watched with inotify: editors and config managers
 * replace files by rename, and a bind-mounted file in a container changes under inotify's feet.
 * A later broken version is logged and ignored: the targets read last stay.
 */
export interface TargetsFile {
  readonly targets: readonly ExporterTarget[];
  close(): void;
}

export interface TargetsFileOptions {
  path: string;
  /** Names already taken (the environment's targets): file entries with them are skipped. */
  taken: ReadonlySet<string>;
  log: Logger;
  onChange(targets: readonly ExporterTarget[]): void;
  /** How often the file's modification time is checked (ms). */
  intervalMs?: number;
}

function load(path: string, taken: ReadonlySet<string>, log: Logger): ExporterTarget[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TargetError(
      `NODE_EXPORTER_TARGETS_FILE: cannot read ${path}: ${(err as Error).message}`,
    );
  }
  let parsed;
  try {
    parsed = parseFileSd(text, taken);
  } catch (err) {
    throw new TargetError(`NODE_EXPORTER_TARGETS_FILE: ${path}: ${(err as Error).message}`);
  }
  for (const why of parsed.skipped) log.warn({ path }, `file_sd entry skipped: ${why}`);
  return parsed.targets;
}

/** Reads the file now (throws `TargetError` naming NODE_EXPORTER_TARGETS_FILE) and watches it. */
export function openTargetsFile(opts: TargetsFileOptions): TargetsFile {
  const log = opts.log.child({ module: 'file-sd' });
  let targets = load(opts.path, opts.taken, log);
  const listener = (cur: Stats, prev: Stats) => {
    if (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size && cur.ino === prev.ino) return;
    try {
      targets = load(opts.path, opts.taken, log);
    } catch (err) {
      log.warn(
        { err: (err as Error).message },
        'targets file not applied; keeping the last good one',
      );
      return;
    }
    opts.onChange(targets);
  };
  watchFile(opts.path, { interval: opts.intervalMs ?? 1_000, persistent: false }, listener);
  return {
    get targets() {
      return targets;
    },
    close() {
      unwatchFile(opts.path, listener);
    },
  };
}
