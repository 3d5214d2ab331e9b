import type { IncomingHttpHeaders } from 'node:http';

/**
 * Whether a socket.io handshake may proceed, from its headers. No `Origin` header: not a
 * browser (socket.io-client in Node, curl), allowed. With `allowed` empty only the same origin
 * passes: the Origin's host:port must equal the `Host` header (or `X-Forwarded-Host` set by the
 * ingress; a page cannot set that header on a WebSocket handshake). Otherwise the Origin must
 * be one of `allowed` exactly.
 */
export function isOriginAllowed(headers: IncomingHttpHeaders, allowed: readonly string[]): boolean {
  const origin = headers.origin;
  if (origin === undefined) return true;
  if (allowed.length) return allowed.includes(origin);
  let host: string;
  try {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    host = url.host.toLowerCase();
  } catch {
    return false;
  }
  const candidates = [headers.host, ...forwardedHosts(headers['x-forwarded-host'])];
  return candidates.some((h) => h !== undefined && normalizeHost(h, origin) === host);
}

function forwardedHosts(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',').map((s) => s.trim()));
}

/** `Host` omits the default port; `URL.host` does too, so compare them through `URL`. */
function normalizeHost(host: string, origin: string): string | undefined {
  try {
    return new URL(`${new URL(origin).protocol}//${host}`).host.toLowerCase();
  } catch {
    return undefined;
  }
}
