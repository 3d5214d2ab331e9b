/**
 * Preloaded into a service by `npm run bench:broadcaster -- --profile=DIR` (`NODE_OPTIONS=--import
 * <this file>`; `--cpu-prof` itself is not allowed in NODE_OPTIONS): starts V8's sampling profiler
 * at start-up and, on SIGUSR2, writes `DIR/<pid>.cpuprofile` (open it in Chrome DevTools or
 * speedscope). The bench sends SIGUSR2 at the end of the measured window.
 */
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.BENCH_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable', () =>
    session.post('Profiler.setSamplingInterval', { interval: 200 }, () =>
      session.post('Profiler.start'),
    ),
  );
  process.on('SIGUSR2', () => {
    session.post('Profiler.stop', (err, result) => {
      if (err) return console.error('cpu profile failed:', err.message);
      const file = join(dir, `${process.pid}.cpuprofile`);
      writeFileSync(file, JSON.stringify(result.profile));
      console.error(`cpu profile written: ${file}`);
    });
  });
}
