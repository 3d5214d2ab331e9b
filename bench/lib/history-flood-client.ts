/**
 * Load-client process of `bench/herd.ts`'s history flood (forked with IPC): `readers` concurrent
 * HTTP readers, each asking `paths` in turn as soon as the previous answer is read, for
 * `durationMs` (and at most `maxRequests` each). Reports statuses, whether every 503 carried
 * `Retry-After`, latencies and bytes. In its own process so the readers' CPU is not on the
 * generator's thread.
 */
import { summarize, type Summary } from './stats.js';

export type Command =
  | {
      type: 'flood';
      url: string;
      paths: string[];
      readers: number;
      durationMs: number;
      maxRequests: number;
    }
  | { type: 'close' };

export interface FloodReport {
  requests: number;
  statuses: Record<string, number>;
  /** 503 answers without a `Retry-After` header (must be 0). */
  unavailableWithoutRetryAfter: number;
  /** Requests that failed without an HTTP answer (must be 0: never a hang or a reset). */
  failures: number;
  latencyMs: Summary;
  bytes: number;
  wallMs: number;
}

export type Reply = { type: 'done'; report: FloodReport } | { type: 'closed' };

async function flood(cmd: Extract<Command, { type: 'flood' }>): Promise<FloodReport> {
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  let unavailableWithoutRetryAfter = 0;
  let failures = 0;
  let bytes = 0;
  const started = performance.now();
  const until = Date.now() + cmd.durationMs;
  await Promise.all(
    Array.from({ length: cmd.readers }, async (_, r) => {
      for (let i = 0; i < cmd.maxRequests && Date.now() < until; i++) {
        const path = cmd.paths[(r + i) % cmd.paths.length]!;
        const t0 = performance.now();
        try {
          const res = await fetch(`${cmd.url}${path}`, { signal: AbortSignal.timeout(30_000) });
          bytes += (await res.arrayBuffer()).byteLength;
          latencies.push(performance.now() - t0);
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          if (res.status === 503) {
            if (!res.headers.get('retry-after')) unavailableWithoutRetryAfter++;
            // A well-behaved client waits as told; the flood only pauses briefly to stay a flood.
            await new Promise((done) => setTimeout(done, 20));
          }
        } catch {
          failures++;
        }
      }
    }),
  );
  return {
    requests: latencies.length + failures,
    statuses,
    unavailableWithoutRetryAfter,
    failures,
    latencyMs: summarize(latencies),
    bytes,
    wallMs: performance.now() - started,
  };
}

process.on('message', (cmd: Command) => {
  void (async () => {
    if (cmd.type === 'flood') {
      process.send!({ type: 'done', report: await flood(cmd) } satisfies Reply);
    } else {
      process.send!({ type: 'closed' } satisfies Reply);
      process.exit(0);
    }
  })();
});
