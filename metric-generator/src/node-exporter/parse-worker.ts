/**
 * The node_exporter answers' parser thread (worker_threads), started by node-parser.ts: parses
 * an answer and picks its reading out, off the tick's thread, and sends the reading back.
 *
 * Keep its imports free of workspace packages (`@metrics/*`): the worker runs them from source
 * under tsx and from `dist` without any resolver conditions.
 */
import { parentPort } from 'node:worker_threads';
import { parseExposition } from './exposition.js';
import { NODE_FAMILIES, readNode, type NodeReading } from './node-reading.js';

export interface ParseRequest {
  id: number;
  body: Uint8Array;
  /** Epoch ms of the answer's arrival. */
  at: number;
  mountPoint: string;
}

export type ParseReply =
  /** Sent once, when the thread has loaded its modules and takes requests. */
  | { ready: true }
  | { id: number; reading: NodeReading }
  /** The answer is not a usable exposition: the message the scrape fails with. */
  | { id: number; bad: string };

const port = parentPort!;
port.on('message', (msg: ParseRequest) => {
  let reply: ParseReply;
  try {
    reply = {
      id: msg.id,
      reading: readNode(parseExposition(msg.body, NODE_FAMILIES), msg.at, msg.mountPoint),
    };
  } catch (err) {
    reply = { id: msg.id, bad: (err as Error).message };
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true } satisfies ParseReply);
