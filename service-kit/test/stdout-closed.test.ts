import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/service.ts', import.meta.url));

/** Starts the fixture service and resolves once it has logged `listening`. */
async function start() {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  await new Promise<void>((resolve, reject) => {
    const check = () => stdout.includes('"msg":"listening"') && resolve();
    child.stdout.on('data', check);
    void exited.then(() => reject(new Error(`fixture exited early:\n${stdout}${stderr}`)));
  });
  return { child, exited, output: () => stdout };
}

/** Sends SIGTERM and resolves with the exit, or with `'hung'` after `ms`. */
async function stop(child: ReturnType<typeof spawn>, exited: Promise<unknown>, ms: number) {
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), ms)));
  const result = await Promise.race([exited, hung]);
  clearTimeout(timer);
  if (result === 'hung') child.kill('SIGKILL');
  return result;
}

describe('a service whose stdout is gone', () => {
  it('still exits 0 on SIGTERM (no endless retry of EPIPE at exit)', async () => {
    const { child, exited } = await start();
    child.stdout!.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(await stop(child, exited, 5_000)).toEqual([0, null]);
  });
});

describe('a service whose stdout is read', () => {
  it('writes the lines logged just before it exits', async () => {
    const { child, exited, output } = await start();
    expect(await stop(child, exited, 5_000)).toEqual([0, null]);
    const messages = output()
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
    // Not always in this order: the exit-time flush may overtake a write still in flight.
    expect(messages.sort()).toEqual(['listening', 'shutting down', 'stopped']);
  });
});
