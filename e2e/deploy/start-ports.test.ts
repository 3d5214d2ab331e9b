import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { afterExit, DEFAULT_BACKOFF, NO_FAILURES } from '../../scripts/lib/restart-backoff.ts';
import { planPorts, portInUse, takenPorts } from '../../scripts/lib/start-ports.ts';

describe('npm start ports (planPorts)', () => {
  it('defaults to the contract ports with one broadcaster', () => {
    const plan = planPorts({});
    expect(plan).toMatchObject({
      generator: 3001,
      broadcaster: 3002,
      replicas: 1,
      frontend: 3000,
      http: 8080,
    });
    expect(plan.uses.map((u) => u.what)).toEqual([
      'generator',
      'broadcaster',
      'frontend',
      'ingress',
    ]);
  });

  it('gives BROADCASTER_REPLICAS=3 the broadcaster port and the two after it', () => {
    const plan = planPorts({ BROADCASTER_REPLICAS: '3' });
    const replicas = plan.uses.filter((u) => u.variable === 'BROADCASTER_PORT');
    expect(replicas.map((u) => [u.port, u.what])).toEqual([
      [3002, 'broadcaster replica 1 of 3'],
      [3003, 'broadcaster replica 2 of 3'],
      [3004, 'broadcaster replica 3 of 3'],
    ]);
  });

  it.each([
    ['0', /BROADCASTER_REPLICAS: expected an integer 1–16, got "0"/],
    ['17', /BROADCASTER_REPLICAS: expected an integer 1–16, got "17"/],
    ['two', /BROADCASTER_REPLICAS: expected an integer 1–16, got "two"/],
    ['1.5', /BROADCASTER_REPLICAS/],
  ])('rejects BROADCASTER_REPLICAS=%s', (value, message) => {
    expect(() => planPorts({ BROADCASTER_REPLICAS: value })).toThrow(message);
  });

  it('reports every bad variable at once', () => {
    expect(() =>
      planPorts({ HTTP_PORT: '0', GENERATOR_PORT: 'x', FRONTEND_PORT: '70000' }),
    ).toThrow(/GENERATOR_PORT[\s\S]*FRONTEND_PORT[\s\S]*HTTP_PORT/);
  });

  it('refuses replicas that would run into another part’s port, naming both variables', () => {
    expect(() => planPorts({ BROADCASTER_REPLICAS: '3', GENERATOR_PORT: '3004' })).toThrow(
      /port 3004 would be both the generator \(GENERATOR_PORT\) and the broadcaster replica 3 of 3 \(BROADCASTER_PORT \+ replica\)/,
    );
    expect(() => planPorts({ HTTP_PORT: '3000' })).toThrow(/port 3000 .*frontend.*ingress/);
  });

  it('leaves the frontend port out when the frontend is not started (npm run dev)', () => {
    const plan = planPorts(
      { BROADCASTER_REPLICAS: '2', BROADCASTER_PORT: '2999' },
      { frontend: false },
    );
    expect(plan.uses.map((u) => u.port)).toEqual([3001, 2999, 3000, 8080]);
  });
});

describe('npm start port check (takenPorts)', () => {
  it('names a taken port, what it was for and the variable that moves it', async () => {
    const holder = createServer();
    holder.listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const port = (holder.address() as { port: number }).port;
    try {
      expect(await portInUse(port)).toBe(true);
      const plan = planPorts({ BROADCASTER_REPLICAS: '2', BROADCASTER_PORT: String(port - 1) });
      const messages = await takenPorts(plan.uses.filter((u) => u.port === port));
      expect(messages).toEqual([
        `port ${port} (broadcaster replica 2 of 2) is already in use by another program: free it ` +
          `or move it with BROADCASTER_PORT=<port> (the replicas take that port and the ones after it)`,
      ]);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
    expect(await portInUse(port)).toBe(false);
  });
});

describe('replica restart backoff (afterExit)', () => {
  it('doubles the delay for each quick failure in a row, up to the maximum', () => {
    let state = NO_FAILURES;
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const next = afterExit(state, 1_000);
      delays.push(next.delayMs);
      state = next.state;
    }
    expect(delays).toEqual([250, 500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  });

  it('treats an exit after a stable run as a first failure', () => {
    const next = afterExit({ failures: 6 }, DEFAULT_BACKOFF.stableMs);
    expect(next).toEqual({ state: { failures: 1 }, delayMs: DEFAULT_BACKOFF.initialMs });
  });
});
