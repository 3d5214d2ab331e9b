/**
 * Starts one of the project's services as a real child process and waits until it is listening.
 * Shared by process tests, integration tests, Playwright's stack, benchmarks and `npm start`, so
 * every one of them runs the services exactly as users do: `main.ts` with env vars only.
 *
 * Contract every service keeps: with `LOG_LEVEL` at `info` or lower it writes pino JSON lines to
 * stdout, one of which is `{ "msg": "listening", "port": <number>, ... }` once it accepts
 * connections (`PORT=0` picks a free port).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { exitOf, splitLines, stopper, type ExitResult } from './child-process.js';

export type { ExitResult } from './child-process.js';

export type ServiceName = 'metric-generator' | 'metric-broadcaster' | 'frontend';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Entry point of each service, from source (tsx) or from the compiled build. */
const ENTRIES: Record<ServiceName, { source: string; dist: string }> = {
  'metric-generator': { source: 'src/main.ts', dist: 'dist/main.js' },
  'metric-broadcaster': { source: 'src/main.ts', dist: 'dist/main.js' },
  frontend: { source: 'server/main.ts', dist: 'dist-server/main.js' },
};

export interface ServiceProcess {
  name: ServiceName;
  port: number;
  url: string;
  pid: number;
  child: ChildProcess;
  /** Every stdout/stderr line so far (for assertions and for failure messages). */
  output: string[];
  exited: Promise<ExitResult>;
  /** Sends `signal` (SIGTERM by default) and waits for exit; SIGKILL after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitResult>;
}

export interface StartOptions {
  /**
   * `source` (default) runs `main.ts` through tsx; `dist` runs the compiled JavaScript; `watch`
   * runs `tsx watch`, which restarts the service when a source file changes (`npm run dev`).
   */
  mode?: ServiceMode;
  /** How long to wait for the `listening` line. */
  timeoutMs?: number;
  /** Mirror the service's output to this process's stderr with a prefix. */
  echo?: boolean;
  /** Called with every stdout/stderr line as it arrives (e.g. `npm start`'s log streaming). */
  onLine?: (line: string) => void;
  cwd?: string;
  /**
   * Own process group: a terminal's Ctrl-C reaches only the parent, which then stops its
   * services in order instead of every process racing to exit (`npm start`).
   */
  detached?: boolean;
}

export function serviceDir(name: ServiceName): string {
  return `${ROOT}${name}`;
}

export type ServiceMode = 'source' | 'dist' | 'watch';

/** Command line that runs a service: `[node, ...args]`. */
export function serviceCommand(name: ServiceName, mode: ServiceMode = 'source'): string[] {
  if (mode === 'dist') return [process.execPath, ENTRIES[name].dist];
  const entry = ENTRIES[name].source;
  if (mode === 'watch') {
    const tsxCli = fileURLToPath(import.meta.resolve('tsx/cli'));
    return [
      process.execPath,
      tsxCli,
      'watch',
      '--clear-screen=false',
      '--conditions=source',
      entry,
    ];
  }
  return [process.execPath, '--import', 'tsx', '--conditions=source', entry];
}

export async function startService(
  name: ServiceName,
  env: Record<string, string | undefined>,
  options: StartOptions = {},
): Promise<ServiceProcess> {
  const started = await startListening(name, serviceCommand(name, options.mode), {
    ...options,
    cwd: options.cwd ?? serviceDir(name),
    env: { LOG_LEVEL: 'info', ...env },
  });
  return { ...started, name };
}

/** A process that logged `listening` (see the module's contract), and how to stop it. */
export interface ListeningProcess extends Omit<ServiceProcess, 'name'> {
  name: string;
}

/**
 * Runs `command` (`[executable, ...args]`) with `options.env` over this process's environment
 * and waits for its `{"msg":"listening","port":N}` line: what `startService` does for the
 * project's services, for any other process that keeps the same contract (the benches' naive
 * broadcaster). `name` labels its output and errors.
 */
export async function startListening(
  name: string,
  command: readonly string[],
  options: Omit<StartOptions, 'mode'> & { env?: Record<string, string | undefined> } = {},
): Promise<ListeningProcess> {
  const [cmd, ...args] = command;
  const child = spawn(cmd!, args, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  const output: string[] = [];
  const exited = exitOf(child);

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        fail(new Error(`${name} did not log "listening" within ${options.timeoutMs ?? 30_000} ms`)),
      options.timeoutMs ?? 30_000,
    );
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      err.message += `\n--- ${name} output ---\n${output.join('\n')}`;
      reject(err);
    };
    const onLine = (line: string) => {
      output.push(line);
      if (options.echo) process.stderr.write(`[${name}] ${line}\n`);
      options.onLine?.(line);
      if (!line.startsWith('{')) return;
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === 'listening' && typeof entry.port === 'number') {
          clearTimeout(timer);
          resolve(entry.port);
        }
      } catch {
        // not JSON: keep it in the output only
      }
    };
    splitLines(child.stdout!, onLine);
    splitLines(child.stderr!, onLine);
    void exited.then(({ code, signal }) =>
      fail(new Error(`${name} exited before listening (code ${code}, signal ${signal})`)),
    );
  });

  return {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    child,
    output,
    exited,
    stop: stopper(child, exited),
  };
}
