/**
 * The whole system as real processes: generator → broadcaster → frontend static server → nginx
 * rendered from `nginx/templates/default.conf.template`. Used by the Playwright journeys (one stack
 * per worker, free ports on loopback) and by `npm start` (fixed ports, logs streamed).
 *
 * Each part can be stopped, killed or restarted on its own; a restarted service binds the port it
 * had, so nginx's upstreams and the broadcaster's GENERATOR_URL stay valid. The broadcaster can
 * run as several replicas (`broadcasterReplicas`), all behind nginx's one upstream; with
 * `superviseBroadcasters` a replica that exits by itself is started again with backoff.
 *
 * This file composes the parts: the options are in `stack-options.ts`, each process's
 * environment in `stack-env.ts`, the replicas and their supervisor in `broadcaster-replicas.ts`,
 * nginx in `stack-ingress.ts`, readiness in `wait.ts`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBroadcasterReplicas } from './broadcaster-replicas.ts';
import type { NginxProcess } from './nginx.ts';
import {
  serviceDir,
  startService,
  type ExitResult,
  type ServiceName,
  type ServiceProcess,
} from './service-process.ts';
import { serviceEnv } from './stack-env.ts';
import { startIngress } from './stack-ingress.ts';
import type { Env, StackOptions, StackPartName } from './stack-options.ts';
import { waitForOk } from './wait.ts';

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

const FRONTEND_DIST_INDEX = join(serviceDir('frontend'), 'dist/index.html');

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
  let nginx: NginxProcess | undefined;
  /** The port each part was first bound to; restarts reuse it. */
  const ports: Partial<Record<Exclude<StackPartName, 'metric-broadcaster'>, number>> = {};
  let httpsPort: number | undefined;

  const envOf = (name: ServiceName, replica = 0): Env =>
    serviceEnv({
      name,
      replica,
      bound: name === 'metric-broadcaster' ? broadcasters.ports[replica] : ports[name],
      extra: options.env?.[name] ?? {},
      serviceHost: options.serviceHost ?? '127.0.0.1',
      serverCount,
      dbPath: options.dbPath ?? join(dir, 'metrics.db'),
      generatorUrl: parts['metric-generator']?.url,
      ingressSecret,
    });

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

  const broadcasters = createBroadcasterReplicas({
    replicas,
    spawn: (replica) =>
      startService('metric-broadcaster', envOf('metric-broadcaster', replica), {
        mode,
        timeoutMs,
        detached: options.detached,
        onLine: lineHandler('metric-broadcaster', replica),
      }),
    timeoutMs,
    supervise: options.superviseBroadcasters ?? false,
    onRestart: options.onRestart,
  });

  const launchNginx = async (): Promise<NginxProcess> => {
    const ingress = await startIngress({
      dir: join(dir, 'nginx'),
      host,
      port: ports.nginx ?? options.port ?? 0,
      httpsPort: httpsPort ?? security.httpsPort ?? 0,
      frontendPort: parts.frontend!.port,
      broadcasterPorts: broadcasters.ports,
      accessLog: options.accessLog,
      security,
      ingressSecret,
      timeoutMs,
      detached: options.detached,
      onLine: options.onLine ? (line) => options.onLine!('nginx', line) : undefined,
    });
    nginx = ingress.nginx;
    ports.nginx = ingress.port;
    httpsPort = ingress.httpsPort;
    return nginx;
  };

  const stopPart = async (name: StackPartName, signal?: NodeJS.Signals): Promise<ExitResult> => {
    if (name === 'metric-broadcaster') {
      const exits = await Promise.all(
        broadcasters.processes.map((_, i) => broadcasters.stop(i, signal)),
      );
      return exits[0] ?? { code: null, signal: null };
    }
    const proc = name === 'nginx' ? nginx : parts[name];
    if (!proc) return { code: null, signal: null };
    return proc.stop(signal);
  };

  const stopAll = async () => {
    process.off('exit', killAllNow);
    await broadcasters.shutdown();
    await stopPart('nginx');
    await Promise.all([stopPart('frontend'), stopPart('metric-broadcaster')]);
    await stopPart('metric-generator');
    if (ownsDir) rmSync(dir, { recursive: true, force: true });
  };

  // If the owning process exits without calling stop() (a crashed test worker), take the
  // children with it instead of leaving them holding ports.
  const killAllNow = () => {
    for (const proc of [nginx, ...Object.values(parts), ...broadcasters.processes]) {
      if (proc && proc.child.exitCode === null && proc.child.signalCode === null) {
        proc.child.kill('SIGKILL');
      }
    }
  };
  process.on('exit', killAllNow);

  try {
    await Promise.all([
      launch('metric-generator').then(() =>
        Promise.all(Array.from({ length: replicas }, (_, i) => broadcasters.launch(i))),
      ),
      withFrontend ? launch('frontend') : undefined,
    ]);
    if (options.ingress !== 'none') await launchNginx();
  } catch (err) {
    await stopAll().catch(() => undefined);
    throw err;
  }

  const startPart = async (name: StackPartName): Promise<void> => {
    if (name === 'nginx') await launchNginx();
    else if (name === 'metric-broadcaster') {
      await Promise.all(broadcasters.processes.map((_, i) => broadcasters.start(i)));
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
      return broadcasters.processes[0]!;
    },
    get broadcasters() {
      return [...broadcasters.processes];
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
    stopBroadcaster: (replica, signal) => broadcasters.stop(replica, signal),
    startBroadcaster: (replica) => broadcasters.start(replica),
    async restart(name, restartOptions = {}) {
      await stopPart(name, restartOptions.signal);
      await startPart(name);
    },
    stop: stopAll,
  };
}
