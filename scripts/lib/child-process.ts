/**
 * What every started part of the stack (the services, nginx) shares: its exit as a promise,
 * its output as lines, and a stop that escalates to SIGKILL.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Resolves when `child` exits, with its code or the signal that ended it. */
export function exitOf(child: ChildProcess): Promise<ExitResult> {
  return once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
}

/** Calls `onLine` with every line of `stream` (and a last line without a newline at its end). */
export function splitLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  });
  stream.on('end', () => {
    if (buffered) onLine(buffered);
  });
}

/**
 * A `stop(signal, timeoutMs)` for `child`: sends `signal` (SIGTERM by default) and waits for the
 * exit; SIGKILL after `timeoutMs`. Stopping a process that already exited returns its exit.
 */
export function stopper(
  child: ChildProcess,
  exited: Promise<ExitResult>,
): (signal?: NodeJS.Signals, timeoutMs?: number) => Promise<ExitResult> {
  return async (signal = 'SIGTERM', timeoutMs = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return exited;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const result = await exited;
    clearTimeout(timer);
    return result;
  };
}
