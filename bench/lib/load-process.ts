/**
 * The orchestrator's side of a load-client process (bench/lib/broadcaster-load-client.ts,
 * bench/lib/soak-client.ts): fork it with an IPC channel, send it commands, wait for replies.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TSX_ARGS } from './proc.js';

/** Forks the TypeScript module `module` with IPC; its stdout and stderr are ours. */
export function forkLoadClient(module: URL, cwd: string, nodeArgs: string[] = []): ChildProcess {
  return fork(fileURLToPath(module), [], {
    execArgv: [...TSX_ARGS, ...nodeArgs],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    cwd,
  });
}

/**
 * `ask(child, command, type)`, typed by a client's command and reply unions: sends the command
 * and resolves with the next reply of `type`, ignoring others (and any sent before). Rejects if
 * the process has exited or exits first or, given `limit`, no such reply comes within
 * `limit.timeoutMs`; the error names the process as `limit.name`.
 */
export function asker<Command extends object, Reply extends { type: string }>() {
  return function ask<T extends Reply['type']>(
    child: ChildProcess,
    command: Command,
    type: T,
    limit?: { name: string; timeoutMs: number },
  ): Promise<Extract<Reply, { type: T }>> {
    return new Promise((resolve, reject) => {
      const done = () => {
        child.off('message', onMessage);
        child.off('exit', onExit);
        clearTimeout(timer);
      };
      const onMessage = (reply: Reply) => {
        if (reply.type !== type) return;
        done();
        resolve(reply as Extract<Reply, { type: T }>);
      };
      const onExit = () => {
        done();
        reject(
          new Error(
            limit
              ? `${limit.name} exited (${child.exitCode})`
              : `load process exited while waiting for ${type}`,
          ),
        );
      };
      const timer = limit
        ? setTimeout(() => {
            done();
            reject(new Error(`${limit.name}: no ${type} reply within ${limit.timeoutMs} ms`));
          }, limit.timeoutMs)
        : undefined;
      if (child.exitCode !== null || child.signalCode !== null) return onExit();
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send(command);
    });
  };
}
