import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type ServiceProcess } from '../../scripts/lib/service-process.js';
import {
  connectClient,
  recordMetrics,
  serversOf,
  sleep,
  startBroadcaster,
  statusOf,
  waitFor,
  type Client,
  type RunningBroadcaster,
} from './helpers/harness.js';

/** Stops and restarts the REAL generator under a running broadcaster. */
let generator: ServiceProcess;
let broadcaster: RunningBroadcaster;
let c: Client;

const generatorEnv = (port: number, count: number) => ({
  PORT: String(port),
  SERVER_COUNT: String(count),
  DB_PATH: ':memory:',
  TICK_MS: '1000',
  SEED: '3',
});

beforeAll(async () => {
  generator = await startService('metric-generator', generatorEnv(0, 20));
  broadcaster = await startBroadcaster({
    GENERATOR_URL: generator.url,
    DISCOVERY_INTERVAL_MS: '5000',
  });
  c = await connectClient(broadcaster.url);
});

afterAll(async () => {
  c?.close();
  await broadcaster?.close();
  await generator?.stop();
});

describe('generator outage', () => {
  it('says down within 3 s and emits nothing stale, then up and samples resume within 2 s of the restart', async () => {
    const events = recordMetrics(c);
    expect(
      await c.emitWithAck('subscribe', { serverIds: ['server-1', 'server-2', 'server-3'] }),
    ).toMatchObject({ ok: true });
    await waitFor(() => events.length >= 3, 4000, 'samples before the outage');
    expect(statusOf(c).at(-1)!.generator).toBe('up');

    const port = generator.port;
    const stoppedAt = Date.now();
    await generator.stop();
    const downAfter = await waitFor(
      () => statusOf(c).at(-1)?.generator === 'down',
      3000,
      'status down',
    );
    expect(Date.now() - stoppedAt).toBeLessThanOrEqual(3000);
    expect(downAfter).toBeLessThanOrEqual(3000);
    const eventsWhileDown = events.length;
    await sleep(1500);
    expect(events.length).toBe(eventsWhileDown); // nothing stale while down
    expect(await (await fetch(`${broadcaster.url}/healthz`)).json()).toMatchObject({
      generator: 'down',
    });

    // a subscriber joining during the outage gets no stale sample
    const late = await connectClient(broadcaster.url);
    const lateEvents = recordMetrics(late);
    await waitFor(() => statusOf(late).length > 0, 1000, 'status on connect');
    expect(statusOf(late)[0]!.generator).toBe('down');
    expect(await late.emitWithAck('subscribe', { serverIds: ['server-4'] })).toMatchObject({
      ok: true,
      subscribed: ['server-4'],
    });
    expect(lateEvents).toHaveLength(0);

    // restart on the same port with another SERVER_COUNT: dashboards follow
    generator = await startService('metric-generator', generatorEnv(port, 25));
    const restartedAt = Date.now();
    await waitFor(() => statusOf(c).at(-1)?.generator === 'up', 2000, 'status up');
    await waitFor(() => events.length > eventsWhileDown, 2000, 'samples to resume');
    expect(Date.now() - restartedAt).toBeLessThanOrEqual(2000);
    const resumed = events[eventsWhileDown]!;
    expect(Date.parse(resumed.data[0]!.timestamp)).toBeGreaterThan(restartedAt - 1000);
    await waitFor(() => serversOf(c).at(-1)?.count === 25, 2000, 'the new server list');
    await waitFor(() => lateEvents.length > 0, 2000, 'the late subscriber samples');
    expect(lateEvents[0]!.data[0]!.serverId).toBe('server-4');
    late.close();
  });
});
