/**
 * A private Docker engine for the compose journey: its own data root (kept in the cache, so
 * images and build layers survive between runs), its own exec root, pid file and socket under
 * the run folder, never the system's engine or socket.
 *
 * Networking: no iptables rules, no IP forwarding, no NAT, no default bridge. Compose's own
 * bridge network still joins the containers (and Docker's embedded DNS names them), and the
 * published port is served by docker-proxy on the host's loopback; nothing in a container can
 * reach beyond that network. Builds that need the package registries run on the host's network
 * (`build.network: host`), reaching exactly what the machine itself reaches.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface DockerdOptions {
  /** Images, layers, volumes: the cache. */
  dataRoot: string;
  /** Socket, exec root, pid file, log: removed by the caller after `stop()`. */
  runDir: string;
  /** Compose networks get /24s from this range (chosen to stay clear of common LANs). */
  addressPool?: string;
  startTimeoutMs?: number;
}

export interface Dockerd {
  /** `unix:///…/docker.sock`, for DOCKER_HOST. */
  host: string;
  pid: number;
  logFile: string;
  /** SIGTERM, waits for the engine (and its containerd) to exit; SIGKILL after 60 s. */
  stop(): Promise<void>;
}

/** GET /_ping on the engine's socket: true once it answers OK. */
function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Mount points at or below `dir`, deepest first (from /proc/mounts; octal escapes undone). */
function mountsUnder(dir: string): string[] {
  if (!existsSync('/proc/mounts')) return [];
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((line) =>
      (line.split(' ')[1] ?? '').replace(/\\(\d{3})/g, (_, o: string) =>
        String.fromCharCode(parseInt(o, 8)),
      ),
    )
    .filter((mount) => mount === dir || mount.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function startDockerd(options: DockerdOptions): Promise<Dockerd> {
  const { dataRoot, runDir, addressPool = '10.213.0.0/20', startTimeoutMs = 90_000 } = options;
  mkdirSync(dataRoot, { recursive: true });
  mkdirSync(join(runDir, 'exec'), { recursive: true });
  const socketPath = join(runDir, 'docker.sock');
  const pidFile = join(runDir, 'dockerd.pid');
  const logFile = join(runDir, 'dockerd.log');
  const out = openSync(logFile, 'a');
  const child = spawn(
    'dockerd',
    [
      `--data-root=${dataRoot}`,
      `--exec-root=${join(runDir, 'exec')}`,
      `--pidfile=${pidFile}`,
      `--host=unix://${socketPath}`,
      '--iptables=false',
      '--ip-forward=false',
      '--ip-masq=false',
      '--bridge=none',
      `--default-address-pool=base=${addressPool},size=24`,
      '--log-level=warn',
    ],
    { stdio: ['ignore', out, out], detached: true },
  );
  closeSync(out);
  const pid = child.pid!;
  child.unref();
  let exitCode: number | null = null;
  child.on('exit', (code) => (exitCode = code ?? -1));

  const stop = async () => {
    const containerdPidFile = join(runDir, 'exec/containerd/containerd.pid');
    const containerd = existsSync(containerdPidFile)
      ? Number(readFileSync(containerdPidFile, 'utf8').trim())
      : undefined;
    // Our own child: its exit event (not kill(pid, 0), which a zombie passes) says it is gone.
    const running = () => exitCode === null;
    if (running()) process.kill(pid, 'SIGTERM');
    for (let waited = 0; running() && waited < 60_000; waited += 250) await sleep(250);
    if (running()) process.kill(pid, 'SIGKILL');
    for (let waited = 0; running() && waited < 5_000; waited += 250) await sleep(250);
    // The engine stops the containerd it started; make sure, by its own pid file.
    for (let waited = 0; containerd && alive(containerd) && waited < 10_000; waited += 250) {
      await sleep(250);
    }
    if (containerd && alive(containerd)) process.kill(containerd, 'SIGKILL');
    // dockerd 20.10 leaves its default network namespace mounted in the exec root.
    for (const mount of mountsUnder(runDir)) {
      spawnSync('umount', ['-l', mount], { stdio: 'ignore' });
    }
  };

  const deadline = Date.now() + startTimeoutMs;
  while (!(await ping(socketPath))) {
    if (exitCode !== null) {
      throw new Error(
        `dockerd exited (${exitCode}) while starting; see ${logFile}:\n${tail(logFile)}`,
      );
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`dockerd did not answer within ${startTimeoutMs / 1000} s; see ${logFile}`);
    }
    await sleep(250);
  }
  return { host: `unix://${socketPath}`, pid, logFile, stop };
}

function tail(file: string, lines = 20): string {
  return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
}
