/**
 * The broadcaster replicas of a stack: each started on its port and waited for until healthy,
 * stopped on its own or all together, and, when supervised, started again on the port it had
 * after it exits by itself (a crash, kill -9), with the backoff of `restart-backoff.ts`.
 */
import { afterExit, NO_FAILURES, type BackoffState } from './restart-backoff.ts';
import type { ExitResult, ServiceProcess } from './service-process.ts';
import { waitForOk } from './wait.ts';

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

export interface ReplicaOptions {
  replicas: number;
  /** Starts replica `replica`'s process (on `ports[replica]` once it has one). */
  spawn: (replica: number) => Promise<ServiceProcess>;
  timeoutMs: number;
  supervise: boolean;
  onRestart?: (event: RestartEvent) => void;
}

export interface BroadcasterReplicas {
  /** Every replica's last process, by index (even if it exited). */
  readonly processes: ServiceProcess[];
  /** The port each replica was first bound to; restarts reuse it. */
  readonly ports: number[];
  /** Starts a replica and waits until it is healthy. */
  launch(replica: number): Promise<void>;
  /** Starts a replica again unless it is running. */
  start(replica: number): Promise<void>;
  /** Stops one replica; the supervisor leaves it stopped. */
  stop(replica: number, signal?: NodeJS.Signals): Promise<ExitResult>;
  /** No more restarts; resolves once every start in flight has settled. */
  shutdown(): Promise<void>;
}

const NOT_RUNNING: ExitResult = { code: null, signal: null };

export function createBroadcasterReplicas(o: ReplicaOptions): BroadcasterReplicas {
  const processes: ServiceProcess[] = [];
  const ports: number[] = [];
  /** Replicas stopped on purpose (or the whole stack stopping): the supervisor leaves them. */
  const stoppedOnPurpose = new Set<number>();
  let stopping = false;
  const backoff: BackoffState[] = Array.from({ length: o.replicas }, () => NO_FAILURES);
  const restartTimers = new Set<NodeJS.Timeout>();
  /** Started but never healthy, so killed by the launcher itself: not a crash to restart. */
  const abandoned = new WeakSet<ServiceProcess>();
  /** Replica starts in flight: `shutdown()` waits for them, so none comes up after the stack is gone. */
  const launching = new Set<Promise<unknown>>();

  const launch = (replica: number): Promise<void> => {
    const started = startProcess(replica);
    launching.add(started);
    void started.then(
      () => launching.delete(started),
      () => launching.delete(started),
    );
    return started;
  };

  const startProcess = async (replica: number): Promise<void> => {
    const proc = await o.spawn(replica);
    processes[replica] = proc;
    ports[replica] = proc.port;
    stoppedOnPurpose.delete(replica);
    const startedAt = Date.now();
    void proc.exited.then((exit) => {
      if (stopping || stoppedOnPurpose.has(replica) || abandoned.has(proc)) return;
      if (o.supervise) superviseExit(replica, { exit }, Date.now() - startedAt);
    });
    try {
      await waitForOk(`${proc.url}/healthz`, o.timeoutMs);
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
    const port = ports[replica]!;
    o.onRestart?.({
      replica,
      port,
      ...('exit' in cause ? { kind: 'exited', exit: cause.exit } : { kind: 'failed', ...cause }),
      delayMs: next.delayMs,
      attempt: next.state.failures,
    });
    const timer = setTimeout(() => {
      restartTimers.delete(timer);
      if (stopping || stoppedOnPurpose.has(replica)) return;
      const tried = Date.now();
      launch(replica).then(
        () => o.onRestart?.({ replica, port, kind: 'restarted', attempt: next.state.failures }),
        (err: Error) => {
          if (stopping || stoppedOnPurpose.has(replica)) return;
          superviseExit(replica, { error: err.message.split('\n')[0]! }, Date.now() - tried);
        },
      );
    }, next.delayMs);
    restartTimers.add(timer);
  };

  const isRunning = (proc: ServiceProcess | undefined) =>
    proc !== undefined && proc.child.exitCode === null && proc.child.signalCode === null;

  return {
    processes,
    ports,
    launch,
    async start(replica) {
      if (replica < 0 || replica >= o.replicas)
        throw new Error(`no broadcaster replica ${replica}`);
      if (isRunning(processes[replica])) return;
      await launch(replica);
    },
    async stop(replica, signal) {
      stoppedOnPurpose.add(replica);
      const proc = processes[replica];
      if (!proc) return NOT_RUNNING;
      return proc.stop(signal);
    },
    async shutdown() {
      stopping = true;
      for (const timer of restartTimers) clearTimeout(timer);
      restartTimers.clear();
      await Promise.allSettled([...launching]);
    },
  };
}
