/**
 * The generator scraping a real node_exporter (Debian's prometheus-node-exporter, started here
 * on a free loopback port) beside simulated servers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sample, ServerInfo } from '@metrics/protocol';
import { parseExposition } from '../../src/node-exporter/exposition.js';
import { NODE_FAMILIES, readNode } from '../../src/node-exporter/node-reading.js';
import { parseTargetList } from '../../src/node-exporter/targets.js';
import {
  startNodeExporter,
  type NodeExporterProcess,
} from '../../../scripts/lib/node-exporter-process.js';
import { startApp, waitFor, type RunningApp } from '../helpers.js';

const TICK_MS = 500;

async function json<T>(url: string): Promise<T> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

const history = (url: string, id: string, from: number) =>
  json<{ samples: Sample[] }>(`${url}/v1/servers/${id}/history?from=${from}&limit=10000`).then(
    (b) => b.samples.map((s) => Date.parse(s.timestamp)),
  );

const serverInfo = async (url: string, id: string) =>
  (await json<{ servers: ServerInfo[] }>(`${url}/v1/servers`)).servers.find((s) => s.id === id);

describe('scraping a real node_exporter', () => {
  let exporter: NodeExporterProcess;
  let running: RunningApp;

  beforeAll(async () => {
    exporter = await startNodeExporter();
    running = await startApp({
      serverCount: 3,
      tickMs: TICK_MS,
      exporterTargets: parseTargetList(`this=${exporter.address}`),
      exporterTimeoutMs: 300,
    });
    await waitFor(() => running.app.latest.current()?.tick);
  }, 30_000);
  afterAll(async () => {
    await running?.close();
    await exporter?.stop();
  });

  it('lists the real server after the simulated ones, with its source and state', async () => {
    const { servers } = await json<{ servers: ServerInfo[] }>(`${running.url}/v1/servers`);
    expect(servers.map((s) => s.id)).toEqual(['server-1', 'server-2', 'server-3', 'this']);
    expect(servers[0]).toEqual({ id: 'server-1' });
    const info = await waitFor(async () => {
      const s = await serverInfo(running.url, 'this');
      return s?.scrape?.up ? s : undefined;
    }, 10_000);
    expect(info).toMatchObject({
      id: 'this',
      source: 'node_exporter',
      labels: {},
      scrape: { up: true, url: expect.stringContaining(`http://${exporter.address}/metrics?`) },
    });
    expect(info.scrape!.lastError).toBeUndefined();
  });

  it('serves values that agree with the exporter’s own metrics read directly', async () => {
    const sample = await waitFor(async () => {
      const res = await fetch(`${running.url}/v1/servers/this/latest`);
      return res.status === 200 ? ((await res.json()) as Sample) : undefined;
    }, 10_000);
    const res = await fetch(`http://${exporter.address}/metrics`);
    const direct = readNode(parseExposition(await res.text(), NODE_FAMILIES), Date.now());
    // Gauges read a moment apart on a machine others share: close, not equal.
    expect(Math.abs(sample.memPct - direct.memPct)).toBeLessThan(5);
    expect(Math.abs(sample.diskPct - direct.diskPct)).toBeLessThan(1);
    expect(Math.abs(sample.load1 - direct.load1)).toBeLessThan(1.5);
    expect(sample.cpuPct).toBeGreaterThanOrEqual(0);
    expect(sample.cpuPct).toBeLessThanOrEqual(100);
    expect(sample.netRxBps).toBeGreaterThanOrEqual(0);
    expect(Date.parse(sample.timestamp) % TICK_MS).toBe(0);
  });

  it('has no samples while the exporter is down, says why, others keep every tick, and resumes', async () => {
    const port = exporter.port;
    await waitFor(
      async () => ((await serverInfo(running.url, 'this'))?.scrape?.up ? true : undefined),
      10_000,
    );
    await exporter.stop();
    const downFrom = Date.now();
    // The scrape in flight may see its kept-alive connection reset; the next ones are refused.
    const down = await waitFor(async () => {
      const s = await serverInfo(running.url, 'this');
      return s?.scrape?.up === false && s.scrape.lastError === 'connection refused' ? s : undefined;
    }, 10_000);
    expect(down.scrape!.lastError).toBe('connection refused');
    // Stay down for a few ticks (from the tick after the one in flight when it was seen down).
    const firstDownTick = running.app.latest.current()!.tick + TICK_MS;
    await new Promise((r) => setTimeout(r, 4 * TICK_MS));
    const lastDownTick = running.app.latest.current()!.tick;
    // While down, /v1/latest leaves it out; the others are there.
    const latest = await json<{ samples: Sample[] }>(`${running.url}/v1/latest`);
    expect(latest.samples.map((s) => s.serverId)).toEqual(['server-1', 'server-2', 'server-3']);

    exporter = await startNodeExporter(port);
    await waitFor(async () => {
      const ticks = await history(running.url, 'this', lastDownTick + 1);
      return ticks.length >= 2 ? true : undefined;
    }, 15_000);
    const mine = await history(running.url, 'this', downFrom - 10 * TICK_MS);
    const other = await history(running.url, 'server-2', downFrom - 10 * TICK_MS);
    const downTicks = other.filter((t) => t >= firstDownTick && t <= lastDownTick);
    expect(downTicks.length).toBeGreaterThanOrEqual(3);
    for (const t of downTicks) expect(mine).not.toContain(t);
    // The simulated server has every tick of the window.
    for (let t = other[0]!; t <= other.at(-1)!; t += TICK_MS) expect(other).toContain(t);
    expect((await serverInfo(running.url, 'this'))?.scrape?.up).toBe(true);

    const metrics = await (await fetch(`${running.url}/metrics`)).text();
    expect(metrics).toMatch(
      /generator_exporter_scrapes_total\{target="this",result="network"\} [1-9]/,
    );
    expect(metrics).toMatch(/generator_exporter_scrapes_total\{target="this",result="ok"\} [1-9]/);
    expect(metrics).toMatch(/generator_exporter_up\{target="this"\} 1/);
  }, 60_000);
});
