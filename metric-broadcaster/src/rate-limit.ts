/**
 * Token bucket per socket, pure: `take` returns the new bucket and whether the event may pass.
 * Tokens refill at `ratePerSecond` up to `burst`.
 */
export interface TokenBucket {
  readonly tokens: number;
  readonly updatedAt: number;
}

export interface RateLimit {
  ratePerSecond: number;
  burst: number;
}

export function fullBucket(limit: RateLimit, now: number): TokenBucket {
  return { tokens: limit.burst, updatedAt: now };
}

export function take(
  bucket: TokenBucket,
  limit: RateLimit,
  now: number,
): { bucket: TokenBucket; allowed: boolean } {
  const elapsed = Math.max(0, now - bucket.updatedAt);
  const tokens = Math.min(limit.burst, bucket.tokens + (elapsed * limit.ratePerSecond) / 1000);
  if (tokens < 1) return { bucket: { tokens, updatedAt: now }, allowed: false };
  return { bucket: { tokens: tokens - 1, updatedAt: now }, allowed: true };
}
