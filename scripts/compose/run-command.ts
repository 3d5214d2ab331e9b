/**
 * Runs the commands of the compose journey: output streamed to the console (prefixed) and to
 * the journey's log, the exit checked, stdout returned. A command that runs past its time
 * limit is killed, so a hung build or engine can never hold `npm test` forever.
 */
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { exitOf, splitLines } from '../lib/child-process.ts';

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Killed (SIGTERM, then SIGKILL 10 s later) after this long. */
  timeoutMs?: number;
  /** Print each output line (default true); the log file always gets it. */
  echo?: boolean;
  input?: string;
  /** A non-zero exit resolves instead of throwing. */
  allowFailure?: boolean;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Runner {
  (cmd: string, args: string[], options?: RunOptions): Promise<RunResult>;
  log(line: string): void;
}

/** A runner that logs to `logFile` and prints with `prefix`. */
export function createRunner(logFile: string, prefix = '  '): Runner {
  const started = Date.now();
  // The log file gets the time since the start on every line: where a slow run spent it.
  const log = (line: string) => {
    const at = ((Date.now() - started) / 1000).toFixed(1).padStart(7);
    appendFileSync(logFile, `${at} ${line}\n`);
  };
  const run = async (cmd: string, args: string[], options: RunOptions = {}): Promise<RunResult> => {
    const { env, cwd, timeoutMs = 600_000, echo = true, input, allowFailure = false } = options;
    const shown = [cmd, ...args.map((a) => (a.length > 80 ? `${a.slice(0, 40)}…` : a))]
      .join(' ')
      .replace(/\n/g, '\\n');
    log(`$ ${shown}`);
    if (echo) console.log(`${prefix}$ ${shown}`);
    const child = spawn(cmd, args, { cwd, env: env ?? process.env, stdio: 'pipe' });
    const exited = exitOf(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: string | Buffer) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk: string | Buffer) => (stderr += String(chunk)));
    const onLine = (line: string) => {
      log(line);
      if (echo) console.log(`${prefix}${line}`);
    };
    splitLines(child.stdout, onLine);
    splitLines(child.stderr, onLine);
    child.stdin.end(input ?? '');
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }, timeoutMs);
    const { code, signal } = await exited;
    clearTimeout(timer);
    if (timedOut) throw new Error(`${shown}: killed after ${Math.round(timeoutMs / 1000)} s`);
    if (code !== 0 && !allowFailure) {
      throw new Error(
        `${shown}: exit ${code ?? signal}\n${stderr.trim().split('\n').slice(-15).join('\n')}`,
      );
    }
    return { code, stdout, stderr };
  };
  return Object.assign(run, { log });
}
