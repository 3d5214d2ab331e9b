import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The header the ingress (nginx template, fallback ingress) adds to proxied `/socket.io/` requests. */
export const INGRESS_SECRET_HEADER = 'x-ingress-secret';

/**
 * Whether a handshake came through the ingress (issue 16): with a secret configured, the request
 * must carry it in `X-Ingress-Secret`; without one every request passes, as before. The ingress
 * overwrites any such header a client sends, so only the ingress can present it.
 *
 * Compared in constant time over SHA-256 digests, so neither the content nor the length of the
 * secret leaks through response timing.
 */
export function createIngressCheck(
  secret: string | undefined,
): (headers: IncomingHttpHeaders) => boolean {
  if (secret === undefined) return () => true;
  const expected = digest(secret);
  return (headers) => {
    const given = headers[INGRESS_SECRET_HEADER];
    if (typeof given !== 'string') return false;
    return timingSafeEqual(digest(given), expected);
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
