/**
 * Where the generator's history reads run (issue 14: reads never delay the tick).
 *
 * - `workers` mode (a file database, `HISTORY_WORKERS` ≥ 1): a small pool of worker threads,
 *   each with its own read-only connection (history-worker.ts). A read, its three range queries
 *   per server and its JSON body all happen off the tick's thread. Admission control: each worker
 *   runs one read at a time; at most `queueMax` more wait, in arrival order, each at most
 *   `maxWaitMs`; past either bound a read is refused with `HistoryBusyError` (the route answers
 *   503 + `Retry-After`), so a flood never builds an unbounded backlog or a hang.
 * - `in-thread` mode (`:memory:`, which other connections cannot open, or `HISTORY_WORKERS=0`):
 *   the read runs synchronously on the tick's thread, as before issue 14, on the same statements.
 *   Kept selectable so the bench can compare both side by side.
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { MetricsDatabase } from './db.js';
import { createHistoryReader, type HistoryRead } from './history-reader.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './history-worker.js';

export type HistoryReadMode = 'workers' | 'in-thread';

export interface HistoryPool {
  readonly mode: HistoryReadMode;
  /** Worker threads (0 in-thread). */
  readonly workers: number;
  /** Reads waiting for a worker now. */
  readonly queued: number;
  /** Reads a worker is running now. */
  readonly running: number;
  /** The JSON body answering `read`; rejects with `HistoryBusyError` when saturated. */
  read(read: HistoryRead): Promise<string | Uint8Array>;
  /** Refuses new reads, lets the running ones finish, stops the workers. Idempotent. */
  close(): Promise<void>;
}

/** The pool is saturated (or closing): ask again after `retryAfterS`. */
export class HistoryBusyError extends Error {
  override name = 'HistoryBusyError';
  constructor(
    message: string,
    readonly retryAfterS = 1,
  ) {
    super(message);
  }
}

export interface HistoryPoolOptions {
  db: MetricsDatabase;
  /** Worker threads; 0 reads on the tick's thread. */
  workers: number;
  /** Reads that may wait for a worker; more are refused (503). */
  queueMax: number;
  log: Logger;
  /** Called for each refused read (metrics). */
  onRejected?: () => void;
  /**
   * How long a read may wait for a worker before it is answered 503 instead (default
   * `QUEUE_WAIT_MAX_MS`): the queue is bounded in time as well as in length, so a client never
   * waits longer than that for a read that has not even started.
   */
  maxWaitMs?: number;
  /** How long `close()` lets a worker finish its read before terminating it (default 5 s). */
  closeGraceMs?: number;
}

/** See `HistoryPoolOptions.maxWaitMs`. */
export const QUEUE_WAIT_MAX_MS = 5_000;

interface Job {
  id: number;
  read: HistoryRead;
  resolve(body: Uint8Array): void;
  reject(err: Error): void;
  /** Refuses the job if it is still waiting when its wait runs out. */
  expiry: ReturnType<typeof setTimeout> | undefined;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
  /** False from an unexpected exit until the replacement is started. */
  alive: boolean;
}

/** How long a worker that died unexpectedly waits before it is started again. */
const RESPAWN_MS = 1_000;
/** How long `close()` lets a worker finish its read before terminating it. */
const CLOSE_GRACE_MS = 5_000;

/**
 * The worker's entry: its compiled JavaScript from `dist` (`npm start`, the image); from source
 * (tsx, vitest) a two-line bootstrap that registers tsx's loader in the worker first, since
 * Node 20 does not carry the parent's `--import tsx` hooks into a worker's module loader.
 */
function workerEntry(): { script: string | URL; eval: boolean } {
  if (!import.meta.url.endsWith('.ts')) {
    return { script: new URL('./history-worker.js', import.meta.url), eval: false };
  }
  const tsxApi = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const source = new URL('./history-worker.ts', import.meta.url).href;
  return {
    script:
      `import(${JSON.stringify(tsxApi)})` +
      `.then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`,
    eval: true,
  };
}

export function createHistoryPool(options: HistoryPoolOptions): HistoryPool {
  const { db, log: parentLog } = options;
  const log = parentLog.child({ module: 'history' });
  if (options.workers === 0 || db.path === ':memory:') {
    if (options.workers > 0) {
      log.info('history reads run on the tick thread: a :memory: database cannot be shared');
    }
    return inThreadPool(db);
  }
  return workerPool(options, log);
}

function inThreadPool(db: MetricsDatabase): HistoryPool {
  const reader = createHistoryReader(db.handle);
  let closed = false;
  return {
    mode: 'in-thread',
    workers: 0,
    queued: 0,
    running: 0,
    read(read) {
      if (closed) return Promise.reject(new HistoryBusyError('shutting down'));
      try {
        return Promise.resolve(reader.body(read));
      } catch (err) {
        return Promise.reject(err as Error);
      }
    },
    close() {
      closed = true;
      return Promise.resolve();
    },
  };
}

function workerPool(options: HistoryPoolOptions, log: Logger): HistoryPool {
  const init: WorkerInit = { dbPath: resolve(options.db.path) };
  const entry = workerEntry();
  const slots: Slot[] = [];
  const waiting: Job[] = [];
  const respawns = new Set<ReturnType<typeof setTimeout>>();
  let nextId = 1;
  let closing: Promise<void> | undefined;

  function spawn(index: number): void {
    const worker = new Worker(entry.script, { eval: entry.eval, workerData: init });
    const slot: Slot = { worker, job: undefined, alive: true };
    slots[index] = slot;
    worker.on('message', (msg: WorkerReply) => {
      if (msg.type === 'ready') return;
      const job = slot.job;
      if (!job || job.id !== msg.id) return;
      slot.job = undefined;
      if (msg.type === 'done') job.resolve(msg.body);
      else job.reject(new Error(`history read failed: ${msg.message}`));
      dispatch();
    });
    worker.on('error', (err) => log.error({ err, worker: index }, 'history reader failed'));
    worker.on('exit', (code) => {
      slot.alive = false;
      const job = slot.job;
      slot.job = undefined;
      job?.reject(new HistoryBusyError('history reader stopped'));
      if (closing) return;
      log.error({ code, worker: index }, 'history reader exited; starting it again');
      const timer = setTimeout(() => {
        respawns.delete(timer);
        if (!closing) spawn(index);
        dispatch();
      }, RESPAWN_MS);
      respawns.add(timer);
    });
  }

  function dispatch(): void {
    for (const slot of slots) {
      if (waiting.length === 0) return;
      if (slot.job || !slot.alive) continue;
      const job = waiting.shift()!;
      clearTimeout(job.expiry);
      slot.job = job;
      slot.worker.postMessage({ type: 'read', id: job.id, read: job.read } satisfies WorkerRequest);
    }
  }

  for (let i = 0; i < options.workers; i++) spawn(i);
  log.info({ workers: options.workers, queueMax: options.queueMax }, 'history readers started');

  return {
    mode: 'workers',
    workers: options.workers,
    get queued() {
      return waiting.length;
    },
    get running() {
      return slots.filter((s) => s.job).length;
    },
    read(read) {
      if (closing) return Promise.reject(new HistoryBusyError('shutting down'));
      const idle = slots.some((s) => s.alive && !s.job);
      if (!idle && waiting.length >= options.queueMax) {
        options.onRejected?.();
        return Promise.reject(
          new HistoryBusyError(
            `history readers busy: ${options.workers} reading, ${waiting.length} waiting; try again shortly`,
          ),
        );
      }
      return new Promise<Uint8Array>((resolve, reject) => {
        const job: Job = { id: nextId++, read, resolve, reject, expiry: undefined };
        waiting.push(job);
        dispatch();
        if (slots.some((s) => s.job === job)) return;
        const maxWaitMs = options.maxWaitMs ?? QUEUE_WAIT_MAX_MS;
        job.expiry = setTimeout(() => {
          const at = waiting.indexOf(job);
          if (at < 0) return;
          waiting.splice(at, 1);
          options.onRejected?.();
          reject(
            new HistoryBusyError(
              `history readers busy: this read waited ${maxWaitMs} ms without starting; try again shortly`,
            ),
          );
        }, maxWaitMs);
      });
    },
    close() {
      closing ??= (async () => {
        for (const t of respawns) clearTimeout(t);
        for (const job of waiting.splice(0)) {
          clearTimeout(job.expiry);
          job.reject(new HistoryBusyError('shutting down'));
        }
        await Promise.all(
          slots.map(async ({ worker, alive }) => {
            if (!alive) return;
            const exited = new Promise<void>((r) => worker.once('exit', () => r()));
            // Processed after the read in hand, which finishes and is answered first.
            worker.postMessage({ type: 'close' } satisfies WorkerRequest);
            const grace = options.closeGraceMs ?? CLOSE_GRACE_MS;
            const timer = setTimeout(() => void worker.terminate(), grace);
            await exited;
            clearTimeout(timer);
          }),
        );
      })();
      return closing;
    },
  };
}
