import type { ErrorCode } from '@metrics/protocol';

/** An error with the HTTP status and the `{ error: { code, message } }` body it turns into. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string) => new HttpError(400, 'bad_request', message);
export const notFound = (message: string) => new HttpError(404, 'not_found', message);
export const unavailable = (message: string, retryAfterS = 1) =>
  new HttpError(503, 'unavailable', message, { 'Retry-After': String(retryAfterS) });
