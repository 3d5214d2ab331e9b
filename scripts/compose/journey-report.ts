/**
 * What the compose journey prints: each phase announced, timed and named as it runs, then a
 * table of the times and the verdict, with where the logs are when it failed.
 */

export interface JourneyReport {
  /** Runs `fn` as the phase `name`, printing its start and its time even when it throws. */
  timed<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Prints every phase's time, the total and the verdict; returns the exit code (0 or 1). */
  finish(failure: unknown, results: string): number;
}

export function createJourneyReport(started = Date.now()): JourneyReport {
  const times: Array<[string, number]> = [];
  return {
    async timed(name, fn) {
      const t0 = Date.now();
      console.log(`\n--- ${name}`);
      try {
        return await fn();
      } finally {
        times.push([name, (Date.now() - t0) / 1000]);
        console.log(`--- ${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }
    },
    finish(failure, results) {
      console.log('\n=== compose journey');
      for (const [name, seconds] of times) {
        console.log(`${seconds.toFixed(1).padStart(7)} s  ${name}`);
      }
      console.log(`${((Date.now() - started) / 1000).toFixed(1).padStart(7)} s  total`);
      if (failure) {
        console.error(`\ncompose journey FAILED: ${(failure as Error).stack ?? String(failure)}`);
        console.error(`logs: ${results}`);
        return 1;
      }
      console.log('compose journey passed');
      return 0;
    },
  };
}
