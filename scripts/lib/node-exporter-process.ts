/**
 * Runs Debian's `prometheus-node-exporter` (installed by scripts/ensure-system-deps.sh) on a free
 * loopback port, for tests. It cannot pick its own port (`:0` is refused), so a free one is
 * found first; a port taken in between makes it exit, and the next port is tried.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './free-port.js';

export const NODE_EXPORTER_BIN = '/usr/bin/prometheus-node-exporter';

export interface NodeExporterProcess {
  readonly port: number;
  readonly pid: number;
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  /** Stops it (SIGTERM, then SIGKILL) and waits for the exit. */
  stop(): Promise<void>;
}

async function answers(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics?collect[]=loadavg`, {
      signal: AbortSignal.timeout(1_000),
    });
    await res.text();
    return res.ok;
  } catch {
    return false;
  }
}

/** Starts the exporter on `port` (a free one if not given) and waits until it answers. */
export async function startNodeExporter(port?: number): Promise<NodeExporterProcess> {
  for (let attempt = 0; ; attempt++) {
    const p = port ?? (await freePort());
    const child: ChildProcess = spawn(
      NODE_EXPORTER_BIN,
      [`--web.listen-address=127.0.0.1:${p}`, '--log.level=warn'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let gone = false;
    void exited.then(() => (gone = true));
    child.once('error', () => (gone = true));
    const deadline = Date.now() + 10_000;
    while (!gone && Date.now() < deadline && !(await answers(p))) {
      await new Promise((r) => setTimeout(r, 50));
    }
    if (!gone && Date.now() < deadline) {
      return {
        port: p,
        pid: child.pid!,
        address: `127.0.0.1:${p}`,
        async stop() {
          if (gone) return;
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(timer);
        },
      };
    }
    if (!gone) child.kill('SIGKILL');
    if (port !== undefined || attempt >= 3) {
      throw new Error(`${NODE_EXPORTER_BIN} did not start on port ${p}: ${stderr.slice(-500)}`);
    }
  }
}
