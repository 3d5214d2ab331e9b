import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { SonicBoom as SonicBoomClass } from 'sonic-boom';

// CommonJS, and its types describe its default export differently under NodeNext and Bundler
// resolution (the frontend typechecks this file with both): require it.
const { SonicBoom } = createRequire(import.meta.url)('sonic-boom') as {
  SonicBoom: typeof SonicBoomClass;
};

/** A service's pino logger, writing JSON lines to stdout through `stdoutDestination()`. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(options, stdoutDestination());
}

/**
 * Stdout for pino, buffered and written asynchronously like pino's own default, except when
 * stdout is gone (EPIPE: whoever read the pipe has exited or closed it). pino 10's default
 * (sonic-boom 4) then spins in its exit-time `flushSync`, retrying the failed write every
 * 100 ms, so the service never exits whatever signal it gets. Here (sonic-boom 5, whose
 * `flushSync` throws instead) a closed stdout just ends logging: the service goes on, and
 * exits when told to. Adds one exit hook per call: one logger per process.
 */
export function stdoutDestination(): DestinationStream {
  const out = new SonicBoom({ fd: 1 });
  let gone = false;
  out.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    gone = true;
  });
  // Lines logged just before `process.exit` (`stopped`) are still in the buffer.
  process.on('exit', () => {
    if (gone) return;
    try {
      out.flushSync();
    } catch {
      // stdout went away meanwhile: there is nobody left to tell.
    }
  });
  return {
    write(line: string) {
      if (!gone) out.write(line);
    },
  };
}
