/**
 * Where a scraped answer becomes a `NodeReading` (issue 12, point 4): on a worker thread
 * (parse-worker.ts), so that at 1,000 targets the tick's thread only reads the sockets and the
 * parsing runs beside it on the other core; or, without the thread (`threads: false`, until it has
 * started, or after it failed), on the tick's thread through the parse queue (parse-queue.ts),
 * behind the sockets.
 * Either way a body that is not a usable answer fails with `ScrapeError('bad_answer', …)`.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { parseExposition } from './exposition.js';
import { NODE_FAMILIES, readNode, type NodeReading } from './node-reading.js';
import { createParseQueue } from './parse-queue.js';
import type { ParseReply, ParseRequest } from './parse-worker.js';
import { ScrapeError } from './scrape-error.js';

export interface NodeParser {
  /** Where parsing runs now. */
  readonly mode: 'thread' | 'in-thread';
  /** The reading of `body`, an answer that arrived at `at` (epoch ms). */
  read(body: Uint8Array | string, at: number, mountPoint: string): Promise<NodeReading>;
  /** Stops the thread; later reads run in-thread. */
  close(): Promise<void>;
}

export interface NodeParserOptions {
  /** Parse on a worker thread (default true). */
  threads?: boolean;
  log: Logger;
}

const badAnswer = (message: string) => new ScrapeError('bad_answer', `bad answer: ${message}`);

/**
 * The worker's entry: its compiled JavaScript from `dist`; from source (tsx, vitest) a bootstrap
 * that registers tsx's loader in the worker first, since Node 20 does not carry the parent's
 * `--import tsx` hooks into a worker (the same as history-pool.ts does).
 */
function workerEntry(): { script: string | URL; eval: boolean } {
  if (!import.meta.url.endsWith('.ts')) {
    return { script: new URL('./parse-worker.js', import.meta.url), eval: false };
  }
  const tsxApi = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const source = new URL('./parse-worker.ts', import.meta.url).href;
  return {
    script:
      `import(${JSON.stringify(tsxApi)})` +
      `.then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`,
    eval: true,
  };
}

export function createNodeParser({ threads = true, log }: NodeParserOptions): NodeParser {
  const queue = createParseQueue();
  const inThread = (body: Uint8Array | string, at: number, mountPoint: string) =>
    queue.run(() => {
      try {
        return readNode(parseExposition(body, NODE_FAMILIES), at, mountPoint);
      } catch (err) {
        throw badAnswer((err as Error).message);
      }
    });

  let worker: Worker | undefined;
  /** The thread has loaded its modules (under tsx that takes a second: the ticks go on meanwhile). */
  let ready = false;
  const pending = new Map<number, { resolve(r: NodeReading): void; reject(e: Error): void }>();
  let nextId = 1;
  let closed = false;

  /** The thread is gone: what it had in hand fails as a network error, the rest runs in-thread. */
  const lose = (why: string) => {
    if (!worker) return;
    worker = undefined;
    ready = false;
    for (const p of pending.values())
      p.reject(new ScrapeError('network', `parser stopped: ${why}`));
    pending.clear();
  };

  if (threads) {
    const entry = workerEntry();
    worker = new Worker(entry.script, { eval: entry.eval });
    // Never what keeps the process alive; close() stops it.
    worker.unref();
    worker.on('message', (msg: ParseReply) => {
      if ('ready' in msg) {
        ready = true;
        return;
      }
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if ('bad' in msg) p.reject(badAnswer(msg.bad));
      else p.resolve(msg.reading);
    });
    worker.on('error', (err) => {
      log.error({ err }, 'node_exporter parser thread failed; parsing on the tick thread');
      lose(err.message);
    });
    worker.on('exit', (code) => {
      if (!closed)
        log.error({ code }, 'node_exporter parser thread exited; parsing on the tick thread');
      lose(`exit ${code}`);
    });
  }

  return {
    get mode() {
      return worker && ready ? 'thread' : 'in-thread';
    },
    read(body, at, mountPoint) {
      const w = worker;
      if (!w || !ready) return inThread(body, at, mountPoint);
      return new Promise<NodeReading>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        const bytes = typeof body === 'string' ? Buffer.from(body) : body;
        w.postMessage({ id, body: bytes, at, mountPoint } satisfies ParseRequest);
      });
    },
    async close() {
      closed = true;
      const w = worker;
      lose('closed');
      await w?.terminate();
    },
  };
}
