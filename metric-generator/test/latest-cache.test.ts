import { describe, expect, it } from 'vitest';
import { SAMPLE_METRICS } from '@metrics/protocol';
import { latestResponseSchema } from '@metrics/protocol/schemas';
import { createLatestCache, hasSample, sampleJson } from '../src/latest-cache.js';
import { fleetServers } from '../src/server-ids.js';
import { createSampleColumns } from '../src/simulation.js';

const servers = fleetServers(3, true);
function columns() {
  const c = createSampleColumns(servers.length);
  servers.forEach((_, i) => {
    c.cpuPct[i] = 10 + i;
    c.memPct[i] = 20.5;
    c.diskPct[i] = 30;
    c.netRxBps[i] = 1000 * i;
    c.netTxBps[i] = 5;
    c.load1[i] = 0.25;
  });
  return c;
}
const TICK = Date.UTC(2026, 10, 22, 5, 0, 1);

describe('latest cache', () => {
  it('lays out the body one sample per line, serverId first, as docs/architecture.md guarantees', () => {
    const cache = createLatestCache();
    const latest = cache.publish(TICK, servers, columns(), servers.length);
    const body = cache.body(latest).toString();
    const lines = body.split('\n');
    expect(lines[0]).toBe(`{"tick":${TICK},"samples":[`);
    expect(lines.at(-1)).toBe(']}');
    expect(lines.slice(1, -1)).toHaveLength(4);
    expect(lines[1]).toBe(
      '{"serverId":"server-1","timestamp":"2026-11-22T05:00:01.000Z","cpuPct":10,"memPct":20.5,' +
        '"diskPct":30,"netRxBps":0,"netTxBps":5,"load1":0.25},',
    );
    expect(lines[4]!.startsWith('{"serverId":"host",')).toBe(true);
    const parsed = latestResponseSchema.parse(JSON.parse(body));
    expect(parsed.samples.map((s) => s.serverId)).toEqual([
      'server-1',
      'server-2',
      'server-3',
      'host',
    ]);
    expect(Object.keys(parsed.samples[0]!)).toEqual(['serverId', 'timestamp', ...SAMPLE_METRICS]);
  });

  it('leaves out a server without a sample this tick, whether all or some ids are asked for', () => {
    const cache = createLatestCache();
    const c = columns();
    c.cpuPct[1] = NaN; // server-2 did not answer
    const latest = cache.publish(TICK, servers, c, servers.length);
    const ids = (b: Buffer) =>
      latestResponseSchema.parse(JSON.parse(b.toString())).samples.map((s) => s.serverId);
    expect(ids(cache.body(latest))).toEqual(['server-1', 'server-3', 'host']);
    expect(ids(cache.body(latest, ['server-2', 'host', 'server-1']))).toEqual(['host', 'server-1']);
    expect(hasSample(latest, 1)).toBe(false);
    expect(hasSample(latest, 0)).toBe(true);
  });

  it('serves the requested ids in the order asked, leaving unknown ones out', () => {
    const cache = createLatestCache();
    const latest = cache.publish(TICK, servers, columns(), servers.length);
    const body = JSON.parse(cache.body(latest, ['server-3', 'nope', 'server-1']).toString()) as {
      samples: { serverId: string }[];
    };
    expect(body.samples.map((s) => s.serverId)).toEqual(['server-3', 'server-1']);
    expect(cache.body(latest, []).toString()).toBe(`{"tick":${TICK},"samples":[\n\n]}`);
    expect(JSON.parse(cache.body(latest, []).toString())).toEqual({ tick: TICK, samples: [] });
  });

  it('keeps serving a tick’s own values after the sampler has moved on to the next tick', () => {
    const cache = createLatestCache();
    const c = columns();
    const first = cache.publish(TICK, servers, c, servers.length);
    c.cpuPct.fill(99); // the sampler reuses its columns for the next tick
    const second = cache.publish(TICK + 1000, servers, c, servers.length);
    const cpu = (b: Buffer) =>
      latestResponseSchema.parse(JSON.parse(b.toString())).samples.map((s) => s.cpuPct);
    expect(cpu(cache.body(first))).toEqual([10, 11, 12, 13]);
    expect(cpu(cache.body(first, ['server-2']))).toEqual([11]);
    expect(cpu(cache.body(second))).toEqual([99, 99, 99, 99]);
    expect(JSON.parse(sampleJson(first, 2).toString())).toMatchObject({
      serverId: 'server-3',
      cpuPct: 12,
    });
    // The body of every server is built once per tick and then reused.
    expect(cache.body(second)).toBe(cache.body(second));
  });

  it('answers a waiter at once when a newer tick is already committed', async () => {
    const cache = createLatestCache();
    cache.publish(TICK, servers, columns(), servers.length);
    expect((await cache.waitForTick(TICK - 1, 1_000))?.tick).toBe(TICK);
    expect(cache.waiting).toBe(0);
  });

  it('holds a waiter until the next publish', async () => {
    const cache = createLatestCache();
    cache.publish(TICK, servers, columns(), servers.length);
    const waiting = cache.waitForTick(TICK, 5_000);
    expect(cache.waiting).toBe(1);
    cache.publish(TICK + 1000, servers, columns(), servers.length);
    expect((await waiting)?.tick).toBe(TICK + 1000);
    expect(cache.waiting).toBe(0);
  });

  it('releases waiters at their deadline, on abort and at close', async () => {
    const cache = createLatestCache();
    const started = Date.now();
    expect(await cache.waitForTick(0, 50)).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);

    const controller = new AbortController();
    const aborted = cache.waitForTick(0, 5_000, controller.signal);
    controller.abort();
    expect(await aborted).toBeUndefined();

    const closing = cache.waitForTick(0, 5_000);
    cache.close();
    expect(await closing).toBeUndefined();
    expect(await cache.waitForTick(0, 5_000)).toBeUndefined();
    expect(cache.waiting).toBe(0);
  });
});
