import type { Response } from 'express';

/** Sends an already serialized JSON body (never re-encoded), not cached by intermediaries. */
export function sendJson(
  res: Response,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  res.writeHead(200, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(body);
}
