/**
 * HTTP basic authentication for the fallback ingress, answering as the nginx template does:
 * `401` with `WWW-Authenticate: Basic realm="…"` without or with wrong credentials, failures
 * slowed per client address by the same leaky bucket (`failure-limiter.ts`), `429` past its
 * burst. Used for plain requests and for WebSocket upgrades alike.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import parseBasicAuth from 'basic-auth';
import { createFailureLimiter, type FailureLimiter } from './failure-limiter.ts';
import type { Htpasswd } from './htpasswd.ts';

export type GateVerdict =
  { ok: true; user: string } | { ok: false; status: 401 | 429; headers: Record<string, string> };

export interface BasicAuthGate {
  check(req: IncomingMessage): Promise<GateVerdict>;
}

export interface BasicAuthGateOptions {
  htpasswd: Htpasswd;
  realm: string;
  limiter?: FailureLimiter;
  now?: () => number;
  /**
   * How long a verified `Authorization` header is remembered. A browser sends it with every
   * asset; bcrypt costs ~150 ms of CPU per check in JavaScript, so each one is checked once.
   */
  cacheMs?: number;
}

const CACHE_MAX = 1_000;

export function createBasicAuthGate(options: BasicAuthGateOptions): BasicAuthGate {
  const { htpasswd, realm } = options;
  const limiter = options.limiter ?? createFailureLimiter();
  const now = options.now ?? Date.now;
  const cacheMs = options.cacheMs ?? 60_000;
  /** sha256(Authorization header) → user and expiry: no password is kept in memory. */
  const verified = new Map<string, { user: string; until: number }>();
  const challenge = { 'WWW-Authenticate': `Basic realm="${realm}", charset="UTF-8"` };

  const fail = async (address: string): Promise<GateVerdict> => {
    const verdict = limiter.fail(address, now());
    if (verdict.kind === 'reject')
      return { ok: false, status: 429, headers: { 'Retry-After': '1' } };
    if (verdict.ms > 0) await new Promise((resolve) => setTimeout(resolve, verdict.ms));
    return { ok: false, status: 401, headers: challenge };
  };

  return {
    async check(req) {
      const address = req.socket.remoteAddress ?? 'unknown';
      // A full bucket: no password is checked at all, so a 429 tells a guesser nothing.
      if (limiter.full(address, now())) {
        return { ok: false, status: 429, headers: { 'Retry-After': '1' } };
      }
      const header = req.headers.authorization;
      if (!header) return fail(address);
      const key = createHash('sha256').update(header).digest('base64');
      const cached = verified.get(key);
      if (cached && cached.until > now()) return { ok: true, user: cached.user };
      const credentials = parseBasicAuth.parse(header);
      if (!credentials || !(await htpasswd.verify(credentials.name, credentials.pass))) {
        return fail(address);
      }
      if (verified.size >= CACHE_MAX) verified.clear();
      verified.set(key, { user: credentials.name, until: now() + cacheMs });
      return { ok: true, user: credentials.name };
    },
  };
}
