/**
 * The whole system as real processes: generator → broadcaster → frontend static server → nginx
 * rendered from `nginx/templates/default.conf.template`. Used by the Playwright journeys (one stack
 * per worker, free ports on loopback) and by `npm start` (fixed ports, logs streamed).
 *
 * Each part can be stopped, killed or restarted on its own; a restarted service binds the port it
 * had, so nginx's upstreams and the broadcaster's GENERATOR_URL stay valid. The broadcaster can
 * run as several replicas (`broadcasterReplicas`), all behind nginx's one upstream; with
 * `superviseBroadcasters` a replica that exits by itself is started again with backoff.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNginx, type NginxProcess } from './nginx.ts';
import { afterExit, NO_FAILURES, type BackoffState } from './restart-backoff.ts';
import {
  serviceDir,
  startService,
  type ExitResult,
  type ServiceMode,
  type ServiceName,
  type ServiceProcess,
} from './service-process.ts';

export type StackPartName = ServiceName | 'nginx';
type Env = Record<string, string | undefined>;

export interface StackOptions {
  /** SERVER_COUNT of the generator (default 5). */
  serverCount?: number;
  /**
   * Extra environment per service; `PORT` here overrides the default free port (for the
   * broadcaster: the first replica's, the others take the ports after it).
   */
  env?: Partial<Record<ServiceName, Env>>;
  /** Broadcaster processes behind the ingress (default 1). */
  broadcasterReplicas?: number;
  /**
   * Start a broadcaster replica again when it exits without being asked to (a crash, kill -9),
   * on the port it had, after a backoff (`restart-backoff.ts`). Default false.
   */
  superviseBroadcasters?: boolean;
  /** Called when a supervised replica exited and its restart is scheduled or has failed. */
  onRestart?: (event: RestartEvent) => void;
  /**
   * The ingress in front of the services (default nginx). `none`: the caller puts its own in
   * front (`npm start` without nginx on PATH, `npm run dev`), and `url` is not available.
   */
  ingress?: 'nginx' | 'none';
  /** Start the frontend's static server (default true; `npm run dev` uses Vite's instead). */
  frontend?: boolean;
  /** Address nginx listens on (default 127.0.0.1). */
  host?: string;
  /** nginx port; 0 or absent picks a free one. */
  port?: number;
  /**
   * Address every service listens on (`HOST`, default 127.0.0.1): only the ingress is meant to
   * be reached from elsewhere.
   */
  serviceHost?: string;
  /** Lock and TLS of the ingress (issue 16; docs/security.md). */
  security?: StackSecurity;
  /** `source` runs main.ts through tsx (tests); `dist` the compiled build; `watch` tsx watch. */
  mode?: ServiceMode;
  /** Put each service in its own process group (see `StartOptions.detached`). */
  detached?: boolean;
  /**
   * Directory for the SQLite file and nginx's prefix. Default: a fresh temporary directory,
   * removed by `stop()`.
   */
  dataDir?: string;
  /** The generator's DB_PATH (default `metrics.db` in `dataDir`). */
  dbPath?: string;
  /** nginx access log: a path or `off` (default: `logs/access.log` in nginx's prefix). */
  accessLog?: string;
  /** Every output line of every part, as it arrives (`replica`: which broadcaster, from 0). */
  onLine?: (name: StackPartName, line: string, replica?: number) => void;
  /** Per-service start timeout (default 30 s; tsx start-up on a busy 2-core machine is slow). */
  timeoutMs?: number;
}

export interface RestartEvent {
  /** Which broadcaster replica, from 0. */
  replica: number;
  port: number;
  /** `exited`: it died and will be started after `delayMs`; `failed`: that start failed. */
  kind: 'exited' | 'failed' | 'restarted';
  exit?: ExitResult;
  delayMs?: number;
  /** Failures in a row, this one included. */
  attempt: number;
  error?: string;
}

export interface StackSecurity {
  /** htpasswd file: basic auth on every path but /healthz. */
  authFile?: string;
  /** PEM certificate chain and key: HTTPS on `httpsPort`, plain HTTP redirects there. */
  tls?: { cert: string; key: string };
  /** HTTPS port (with `tls`); 0 or absent picks a free one. */
  httpsPort?: number;
  /**
   * What nginx adds as `X-Ingress-Secret` and the broadcaster requires (`INGRESS_SECRET`).
   * Default with `authFile`: a fresh random one per stack, so the lock cannot be walked around
   * by connecting to the broadcaster directly.
   */
  secret?: string;
}

export interface Stack {
  /** The ingress, e.g. `http://127.0.0.1:41234`: what a browser opens (redirects with TLS). */
  readonly url: string;
  /** With TLS: the ingress's HTTPS address, e.g. `https://127.0.0.1:41235`. */
  readonly httpsUrl: string | undefined;
  /** The broadcaster's `INGRESS_SECRET` (undefined: it accepts every handshake). */
  readonly ingressSecret: string | undefined;
  readonly serverCount: number;
  /** The current process of each part (a new object after a restart). */
  readonly generator: ServiceProcess;
  /** The first broadcaster replica. */
  readonly broadcaster: ServiceProcess;
  /** Every broadcaster replica, by index (an entry is the last process, even if it exited). */
  readonly broadcasters: readonly ServiceProcess[];
  /** Absent only when started with `frontend: false` (`npm run dev` serves through Vite). */
  readonly frontend: ServiceProcess | undefined;
  /** Throws when the stack was started with `ingress: 'none'`. */
  readonly nginx: NginxProcess;
  /**
   * Stops one part (SIGTERM by default; SIGKILL to simulate a crash) and waits for its exit.
   * `metric-broadcaster` stops every replica; none of them is restarted by the supervisor.
   */
  stopPart(name: StackPartName, signal?: NodeJS.Signals): Promise<ExitResult>;
  /** Stops one broadcaster replica (the supervisor leaves it stopped). */
  stopBroadcaster(replica: number, signal?: NodeJS.Signals): Promise<ExitResult>;
  /** Starts a stopped broadcaster replica again on its port. */
  startBroadcaster(replica: number): Promise<void>;
  /** Starts a stopped part again on the port it had. */
  startPart(name: StackPartName): Promise<void>;
  /** `stopPart` then `startPart`: the part comes back on the same port. */
  restart(name: StackPartName, options?: { signal?: NodeJS.Signals }): Promise<void>;
  /** Stops everything (ingress first, generator last) and removes the temporary directory. */
  stop(): Promise<void>;
}

/** Where to probe an ingress bound to every interface. */
const PROBE_HOSTS: Record<string, string> = { '0.0.0.0': '127.0.0.1', '::': '[::1]' };

const FRONTEND_DIST_INDEX = join(serviceDir('frontend'), 'dist/index.html');

/** A port nothing listens on right now (the kernel's pick, released at once). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls `url` until it answers 200 or `timeoutMs` passes. */
export async function waitForOk(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      last = `${res.status} ${await res.text()}`;
      if (res.status === 200) return;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last.slice(0, 300)})`);
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const serverCount = options.serverCount ?? 5;
  const host = options.host ?? '127.0.0.1';
  const mode = options.mode ?? 'source';
  const timeoutMs = options.timeoutMs ?? 30_000;
  const ownsDir = !options.dataDir;
  const dir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'metrics-stack-'));
  const withFrontend = options.frontend !== false;
  const security = options.security ?? {};
  const ingressSecret =
    security.secret ?? (security.authFile ? randomBytes(32).toString('hex') : undefined);
  if (!withFrontend && options.ingress !== 'none') {
    throw new Error('nginx needs the frontend server: use frontend: false only with ingress: none');
  }
  if (withFrontend && !existsSync(FRONTEND_DIST_INDEX)) {
    throw new Error(
      `${FRONTEND_DIST_INDEX} is missing: build the dashboard first (npm run build -w frontend)`,
    );
  }

  const replicas = options.broadcasterReplicas ?? 1;
  if (!Number.isInteger(replicas) || replicas < 1) {
    throw new Error(`broadcasterReplicas: expected an integer ≥ 1, got ${replicas}`);
  }
  const parts: Partial<Record<Exclude<ServiceName, 'metric-broadcaster'>, ServiceProcess>> = {};
  const broadcasters: ServiceProcess[] = [];
  let nginx: NginxProcess | undefined;
  /** The port each part was first bound to; restarts reuse it. */
  const ports: Partial<Record<Exclude<StackPartName, 'metric-broadcaster'>, number>> = {};
  const broadcasterPorts: number[] = [];

  /** Replicas stopped on purpose (or the whole stack stopping): the supervisor leaves them. */
  const stoppedOnPurpose = new Set<number>();
  let stackStopping = false;
  const backoff: BackoffState[] = Array.from({ length: replicas }, () => NO_FAILURES);
  const restartTimers = new Set<NodeJS.Timeout>();
  /** Started but never healthy, so killed by the launcher itself: not a crash to restart. */
  const abandoned = new WeakSet<ServiceProcess>();

  const envOf = (name: ServiceName, replica = 0): Env => {
    const extra = options.env?.[name] ?? {};
    const bound = name === 'metric-broadcaster' ? broadcasterPorts[replica] : ports[name];
    const base: Env = { PORT: '0', HOST: options.serviceHost ?? '127.0.0.1' };
    if (name === 'metric-generator') {
      base.SERVER_COUNT = String(serverCount);
      base.DB_PATH = options.dbPath ?? join(dir, 'metrics.db');
    }
    if (name === 'metric-broadcaster') {
      base.GENERATOR_URL = parts['metric-generator']?.url;
      if (ingressSecret) base.INGRESS_SECRET = ingressSecret;
    }
    // An explicit PORT applies to the first start (replica i: PORT + i); a restart must come
    // back on the bound port.
    const firstPort =
      name === 'metric-broadcaster' && extra.PORT && Number(extra.PORT) > 0
        ? String(Number(extra.PORT) + replica)
        : extra.PORT;
    return {
      ...base,
      ...extra,
      ...(firstPort !== undefined ? { PORT: firstPort } : {}),
      ...(bound !== undefined ? { PORT: String(bound) } : {}),
    };
  };

  const lineHandler = (name: ServiceName, replica?: number) =>
    options.onLine ? (line: string) => options.onLine!(name, line, replica) : undefined;

  const launch = async (name: Exclude<ServiceName, 'metric-broadcaster'>): Promise<void> => {
    const proc = await startService(name, envOf(name), {
      mode,
      timeoutMs,
      detached: options.detached,
      onLine: lineHandler(name),
    });
    parts[name] = proc;
    ports[name] = proc.port;
    if (name !== 'frontend') await waitForOk(`${proc.url}/healthz`, timeoutMs);
  };

  /** Replica starts in flight: `stop()` waits for them, so none comes up after the stack is gone. */
  const launching = new Set<Promise<unknown>>();

  const launchBroadcaster = (replica: number): Promise<void> => {
    const started = startBroadcasterProcess(replica);
    launching.add(started);
    void started.then(
      () => launching.delete(started),
      () => launching.delete(started),
    );
    return started;
  };

  const startBroadcasterProcess = async (replica: number): Promise<void> => {
    const proc = await startService('metric-broadcaster', envOf('metric-broadcaster', replica), {
      mode,
      timeoutMs,
      detached: options.detached,
      onLine: lineHandler('metric-broadcaster', replica),
    });
    broadcasters[replica] = proc;
    broadcasterPorts[replica] = proc.port;
    stoppedOnPurpose.delete(replica);
    const startedAt = Date.now();
    void proc.exited.then((exit) => {
      if (stackStopping || stoppedOnPurpose.has(replica) || abandoned.has(proc)) return;
      if (options.superviseBroadcasters) superviseExit(replica, { exit }, Date.now() - startedAt);
    });
    try {
      await waitForOk(`${proc.url}/healthz`, timeoutMs);
    } catch (err) {
      abandoned.add(proc);
      await proc.stop('SIGKILL');
      throw err;
    }
  };

  /**
   * A supervised replica exited by itself (`exit`) or could not be started again (`error`):
   * start it after its backoff.
   */
  const superviseExit = (
    replica: number,
    cause: { exit: ExitResult } | { error: string },
    upMs: number,
  ) => {
    const next = afterExit(backoff[replica]!, upMs);
    backoff[replica] = next.state;
    const port = broadcasterPorts[replica]!;
    options.onRestart?.({
      replica,
      port,
      ...('exit' in cause ? { kind: 'exited', exit: cause.exit } : { kind: 'failed', ...cause }),
      delayMs: next.delayMs,
      attempt: next.state.failures,
    });
    const timer = setTimeout(() => {
      restartTimers.delete(timer);
      if (stackStopping || stoppedOnPurpose.has(replica)) return;
      const tried = Date.now();
      launchBroadcaster(replica).then(
        () =>
          options.onRestart?.({ replica, port, kind: 'restarted', attempt: next.state.failures }),
        (err: Error) => {
          if (stackStopping || stoppedOnPurpose.has(replica)) return;
          superviseExit(replica, { error: err.message.split('\n')[0]! }, Date.now() - tried);
        },
      );
    }, next.delayMs);
    restartTimers.add(timer);
  };

  let httpsPort: number | undefined;
  // nginx's `listen` and URLs write an IPv6 address in brackets.
  const listenHost = host.includes(':') ? `[${host}]` : host;
  const launchNginx = async (): Promise<NginxProcess> => {
    const explicit = ports.nginx ?? options.port ?? 0;
    const explicitHttps = httpsPort ?? security.httpsPort ?? 0;
    // A free port can be taken between the probe and nginx's bind: try a few fresh ones.
    for (let attempt = 1; ; attempt++) {
      const port = explicit || (await freePort(host));
      const tlsPort = security.tls ? explicitHttps || (await freePort(host)) : undefined;
      try {
        nginx = await startNginx({
          dir: join(dir, 'nginx'),
          listen: `${listenHost}:${port}`,
          port,
          probeHost: PROBE_HOSTS[host] ?? listenHost,
          frontendUpstream: `127.0.0.1:${parts.frontend!.port}`,
          broadcasterUpstream: broadcasterPorts.map((port) => `127.0.0.1:${port}`),
          accessLog: options.accessLog,
          security: {
            authFile: security.authFile,
            tls: security.tls,
            tlsListen: tlsPort ? `${listenHost}:${tlsPort}` : undefined,
            httpsPort: tlsPort,
            secret: ingressSecret,
          },
          timeoutMs,
          detached: options.detached,
          onLine: options.onLine ? (line) => options.onLine!('nginx', line) : undefined,
        });
        ports.nginx = port;
        httpsPort = tlsPort;
        return nginx;
      } catch (err) {
        const inUse = /Address already in use/.test((err as Error).message);
        if (!inUse || (explicit && (explicitHttps || !security.tls)) || attempt >= 3) throw err;
      }
    }
  };

  const stopBroadcaster = async (replica: number, signal?: NodeJS.Signals): Promise<ExitResult> => {
    stoppedOnPurpose.add(replica);
    const proc = broadcasters[replica];
    if (!proc) return { code: null, signal: null };
    return proc.stop(signal);
  };

  const stopPart = async (name: StackPartName, signal?: NodeJS.Signals): Promise<ExitResult> => {
    if (name === 'metric-broadcaster') {
      const exits = await Promise.all(broadcasters.map((_, i) => stopBroadcaster(i, signal)));
      return exits[0] ?? { code: null, signal: null };
    }
    const proc = name === 'nginx' ? nginx : parts[name];
    if (!proc) return { code: null, signal: null };
    return proc.stop(signal);
  };

  const stopAll = async () => {
    process.off('exit', killAllNow);
    stackStopping = true;
    for (const timer of restartTimers) clearTimeout(timer);
    restartTimers.clear();
    await Promise.allSettled([...launching]);
    await stopPart('nginx');
    await Promise.all([stopPart('frontend'), stopPart('metric-broadcaster')]);
    await stopPart('metric-generator');
    if (ownsDir) rmSync(dir, { recursive: true, force: true });
  };

  // If the owning process exits without calling stop() (a crashed test worker), take the
  // children with it instead of leaving them holding ports.
  const killAllNow = () => {
    for (const proc of [nginx, ...Object.values(parts), ...broadcasters]) {
      if (proc && proc.child.exitCode === null && proc.child.signalCode === null) {
        proc.child.kill('SIGKILL');
      }
    }
  };
  process.on('exit', killAllNow);

  try {
    await Promise.all([
      launch('metric-generator').then(() =>
        Promise.all(Array.from({ length: replicas }, (_, i) => launchBroadcaster(i))),
      ),
      withFrontend ? launch('frontend') : undefined,
    ]);
    if (options.ingress !== 'none') await launchNginx();
  } catch (err) {
    await stopAll().catch(() => undefined);
    throw err;
  }

  const isRunning = (proc: ServiceProcess | undefined) =>
    proc !== undefined && proc.child.exitCode === null && proc.child.signalCode === null;

  const startBroadcaster = async (replica: number): Promise<void> => {
    if (replica < 0 || replica >= replicas) throw new Error(`no broadcaster replica ${replica}`);
    if (isRunning(broadcasters[replica])) return;
    await launchBroadcaster(replica);
  };

  const startPart = async (name: StackPartName): Promise<void> => {
    if (name === 'nginx') await launchNginx();
    else if (name === 'metric-broadcaster') {
      await Promise.all(broadcasters.map((_, i) => startBroadcaster(i)));
    } else await launch(name);
  };

  return {
    get url() {
      if (!nginx) throw new Error('this stack was started without an ingress');
      return nginx.url;
    },
    get httpsUrl() {
      return nginx?.httpsUrl;
    },
    ingressSecret,
    serverCount,
    get generator() {
      return parts['metric-generator']!;
    },
    get broadcaster() {
      return broadcasters[0]!;
    },
    get broadcasters() {
      return [...broadcasters];
    },
    get frontend() {
      return parts.frontend;
    },
    get nginx() {
      if (!nginx) throw new Error('this stack was started without an ingress');
      return nginx;
    },
    stopPart,
    startPart,
    stopBroadcaster,
    startBroadcaster,
    async restart(name, restartOptions = {}) {
      await stopPart(name, restartOptions.signal);
      await startPart(name);
    },
    stop: stopAll,
  };
}
