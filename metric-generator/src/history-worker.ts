/**
 * A history reader worker (worker_threads): one read-only connection to the generator's
 * database, answering reads one at a time. WAL lets it read beside the writer on the tick's
 * thread without blocking it or being blocked. The JSON body is built here too, and handed back
 * as a transferred buffer, so the tick's thread only writes it to the socket.
 *
 * Started by history-pool.ts; keep its imports free of workspace packages (`@metrics/*`): the
 * worker runs them from source under tsx and from `dist` without any resolver conditions.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { createHistoryReader, type HistoryRead } from './history-reader.js';

export interface WorkerInit {
  dbPath: string;
}

export type WorkerRequest = { type: 'read'; id: number; read: HistoryRead } | { type: 'close' };

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'done'; id: number; body: Uint8Array }
  | { type: 'failed'; id: number; message: string };

const port = parentPort!;
const { dbPath } = workerData as WorkerInit;
const db = new Database(dbPath, { readonly: true, fileMustExist: true });
// The writer holds its write lock only for a commit; a reader never waits for it in WAL, except
// for the rare moment a checkpoint resets the WAL index.
db.pragma('busy_timeout = 2000');
db.pragma('cache_size = -16384'); // 16 MiB per reader
const reader = createHistoryReader(db);
const encoder = new TextEncoder();

port.on('message', (msg: WorkerRequest) => {
  if (msg.type === 'close') {
    db.close();
    port.close();
    return;
  }
  let reply: WorkerReply;
  try {
    // TextEncoder gives the body its own ArrayBuffer, safe to transfer (a pooled Buffer is not).
    reply = { type: 'done', id: msg.id, body: encoder.encode(reader.body(msg.read)) };
  } catch (err) {
    reply = { type: 'failed', id: msg.id, message: (err as Error).message };
  }
  port.postMessage(reply, reply.type === 'done' ? [reply.body.buffer as ArrayBuffer] : []);
});
port.postMessage({ type: 'ready' } satisfies WorkerReply);
