import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { serviceCommand, serviceDir, startService } from '../../scripts/lib/service-process.js';
import { connectClient } from './helpers/harness.js';

describe('main.ts as a process', () => {
  it('exits 1 naming every bad variable', async () => {
    const [cmd, ...args] = serviceCommand('metric-broadcaster');
    const child = spawn(cmd!, args, {
      cwd: serviceDir('metric-broadcaster'),
      env: { ...process.env, PORT: 'abc', POLL_INTERVAL_MS: '5', GENERATOR_URL: 'nope' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(stderr).toContain('PORT: expected an integer 0–65535, got "abc"');
    expect(stderr).toContain(
      'POLL_INTERVAL_MS: expected an integer 100–3600000 (milliseconds), got "5"',
    );
    expect(stderr).toContain('GENERATOR_URL: expected an http(s) URL');
    expect(stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  });

  it('logs listening with the bound port, serves without a generator, and exits 0 on SIGTERM with clients connected', async () => {
    const service = await startService('metric-broadcaster', {
      PORT: '0',
      GENERATOR_URL: 'http://127.0.0.1:1',
    });
    expect(service.port).toBeGreaterThan(0);
    const health = await (await fetch(`${service.url}/healthz`)).json();
    expect(health).toMatchObject({ status: 'ok', generator: 'down' });
    const client = await connectClient(service.url);
    const started = Date.now();
    const result = await service.stop('SIGTERM', 12_000);
    expect(result).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(10_000);
    client.close();
  });
});
