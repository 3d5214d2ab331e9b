/**
 * Per-address limiter of failed logins for the embedded fallback ingress, the same leaky bucket
 * as the nginx template's `limit_req zone=ingress_auth_fail burst=200 delay=5` at `rate=1r/s`,
 * so both ingresses slow a guesser alike: each failure adds one to its address's bucket, which
 * drains at `ratePerSecond`; a failure finding more than `delay` in the bucket waits until the
 * excess has drained, one finding more than `burst` is refused at once (HTTP 429). The fallback
 * has no per-address connection limit to keep a guesser below the burst, as nginx's
 * `limit_conn` does, so it refuses a full bucket's requests before their password is checked.
 *
 * Pure: the caller passes `now` (ms) and carries out the verdict.
 */
export interface FailureLimits {
  ratePerSecond: number;
  burst: number;
  /** Failures answered without delay (nginx `delay=`). */
  delay: number;
}

/** The template's figures (nginx/templates/default.conf.template). */
export const NGINX_FAILURE_LIMITS: Readonly<FailureLimits> = Object.freeze({
  ratePerSecond: 1,
  burst: 200,
  delay: 5,
});

export type FailureVerdict = { kind: 'delay'; ms: number } | { kind: 'reject' };

interface Bucket {
  excess: number;
  at: number;
}

export interface FailureLimiter {
  /** Records a failure from `address` and says how to answer it. */
  fail(address: string, now: number): FailureVerdict;
  /** Whether a failure from `address` now would be refused: its bucket is full. */
  full(address: string, now: number): boolean;
  /** Addresses with something left in their bucket (drained ones are forgotten). */
  readonly size: number;
}

export function createFailureLimiter(limits: FailureLimits = NGINX_FAILURE_LIMITS): FailureLimiter {
  const buckets = new Map<string, Bucket>();
  const drained = (bucket: Bucket, now: number) =>
    Math.max(0, bucket.excess - ((now - bucket.at) * limits.ratePerSecond) / 1000);

  const forgetDrained = (now: number) => {
    for (const [address, bucket] of buckets) {
      if (drained(bucket, now) === 0) buckets.delete(address);
    }
  };

  return {
    fail(address, now) {
      if (buckets.size > 10_000) forgetDrained(now);
      const bucket = buckets.get(address);
      // As nginx: a new address starts at 0, every later failure adds 1 to what has not drained.
      const excess = bucket ? drained(bucket, now) + 1 : 0;
      if (excess > limits.burst) return { kind: 'reject' };
      buckets.set(address, { excess, at: now });
      const over = excess - limits.delay;
      return { kind: 'delay', ms: over > 0 ? Math.ceil((over * 1000) / limits.ratePerSecond) : 0 };
    },
    full(address, now) {
      const bucket = buckets.get(address);
      return bucket !== undefined && drained(bucket, now) + 1 > limits.burst;
    },
    get size() {
      return buckets.size;
    },
  };
}
