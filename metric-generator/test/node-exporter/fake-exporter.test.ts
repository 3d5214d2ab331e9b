/**
 * The generator against misbehaving exporters (a fake one in this process): slow, garbage, huge,
 * failing and rebooted targets get no sample, say why, and never hold up the others.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Sample, ServerInfo } from '@metrics/protocol';
import { createScraper } from '../../src/node-exporter/scraper.js';
import { parseTargetList } from '../../src/node-exporter/targets.js';
import {
  startFakeExporter,
  type FakeExporter,
  type FakeExporterMode,
} from '../../../scripts/lib/fake-node-exporter.js';
import { startApp, waitFor, type RunningApp } from '../helpers.js';

const TICK_MS = 400;
const TIMEOUT_MS = 150;

async function json<T>(url: string): Promise<T> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

const samplesOf = (url: string, id: string, from = 0) =>
  json<{ samples: Sample[] }>(`${url}/v1/servers/${id}/history?from=${from}&limit=10000`).then(
    (b) => b.samples,
  );

const infoOf = async (url: string, id: string) =>
  (await json<{ servers: ServerInfo[] }>(`${url}/v1/servers`)).servers.find((s) => s.id === id);

describe('misbehaving exporters', () => {
  let good: FakeExporter;
  let bad: FakeExporter;
  let running: RunningApp;

  beforeAll(async () => {
    good = await startFakeExporter();
    bad = await startFakeExporter({ hugeBytes: 6 * 1024 * 1024 });
    running = await startApp({
      serverCount: 2,
      tickMs: TICK_MS,
      exporterTargets: parseTargetList(`good=${good.origin},bad=127.0.0.1:${bad.port}`),
      exporterTimeoutMs: TIMEOUT_MS,
    });
    await waitFor(
      async () => ((await samplesOf(running.url, 'bad')).length > 0 ? true : undefined),
      10_000,
    );
  }, 30_000);
  afterEach(() => {
    // A rebooted machine does not un-reboot: going back to the old counters would be a jump up.
    if (bad.mode !== 'reset') bad.mode = 'ok';
  });
  afterAll(async () => {
    await running?.close();
    await good?.close();
    await bad?.close();
  });

  /** Puts `bad` in `mode` for a few ticks; returns the ticks committed meanwhile. */
  async function misbehave(mode: FakeExporterMode, ticks = 4) {
    // A reset shows in one tick only, the next one to scrape; other modes in every tick from
    // the one after next (the next may be in flight).
    const from = running.app.latest.current()!.tick + (mode === 'reset' ? 1 : 2) * TICK_MS;
    bad.mode = mode;
    await waitFor(
      () => (running.app.latest.current()!.tick >= from + ticks * TICK_MS ? true : undefined),
      20_000,
    );
    const to = running.app.latest.current()!.tick;
    const info = await infoOf(running.url, 'bad');
    if (mode !== 'reset') bad.mode = 'ok';
    const within = (s: Sample) => Date.parse(s.timestamp) >= from && Date.parse(s.timestamp) <= to;
    return {
      from,
      to,
      info,
      bad: (await samplesOf(running.url, 'bad', from)).filter(within),
      good: (await samplesOf(running.url, 'good', from)).filter(within),
      simulated: (await samplesOf(running.url, 'server-1', from)).filter(within),
    };
  }

  const everyTick = (samples: Sample[], from: number, to: number) =>
    expect(samples.map((s) => Date.parse(s.timestamp))).toEqual(
      Array.from({ length: (to - from) / TICK_MS + 1 }, (_, i) => from + i * TICK_MS),
    );

  it.each([
    ['hang', /^no answer within \d+ ms$/, 'timeout'],
    ['garbage', /^bad answer: line 1: expected a metric name/, 'bad_answer'],
    // 4 MiB may take longer than the deadline to arrive on a loaded machine: either ends it.
    [
      'huge',
      /^(answer larger than 4194304 bytes|no answer within \d+ ms)$/,
      '(bad_answer|timeout)',
    ],
    ['error', /^HTTP 503$/, 'http'],
  ] as const)(
    'a target that answers %s has no sample, says why, and the others keep every tick',
    async (mode, why, result) => {
      const r = await misbehave(mode);
      expect(r.bad).toEqual([]);
      expect(r.info?.scrape).toMatchObject({ up: false, lastError: expect.stringMatching(why) });
      everyTick(r.good, r.from, r.to);
      everyTick(r.simulated, r.from, r.to);
      const metrics = await (await fetch(`${running.url}/metrics`)).text();
      expect(metrics).toMatch(
        new RegExp(`generator_exporter_scrapes_total\\{target="bad",result="${result}"\\} [1-9]`),
      );
      // It comes back: samples again once it answers well for two ticks.
      await waitFor(
        async () => ((await samplesOf(running.url, 'bad', r.to + 1)).length > 0 ? true : undefined),
        10_000,
      );
    },
    40_000,
  );

  it('commits every tick within the scrape deadline while a target hangs', async () => {
    const status = () => running.app.ticker.status();
    const missedBefore = status().missedTicks;
    bad.mode = 'hang';
    const lateness: number[] = [];
    let last = status().lastCommittedTick!;
    await waitFor(() => {
      const s = status();
      if (s.lastCommittedTick !== last) {
        last = s.lastCommittedTick!;
        lateness.push(s.lastCommittedAt! - s.lastCommittedTick!);
      }
      return lateness.length >= 5 ? true : undefined;
    }, 20_000);
    // The deadline plus a loaded machine's slack: well inside the tick, never a missed tick.
    for (const ms of lateness) expect(ms).toBeLessThan(TICK_MS);
    expect(status().missedTicks).toBe(missedBefore);
  }, 30_000);

  it('a rebooted target (counters back near zero) gives no negative or spiked rate', async () => {
    const r = await misbehave('reset', 5);
    // The first tick after the reset has no sample; then rates resume from the new counters.
    expect(r.bad.length).toBe((r.to - r.from) / TICK_MS);
    expect(r.good.length).toBe((r.to - r.from) / TICK_MS + 1);
    const all = await samplesOf(running.url, 'bad');
    for (const s of all) {
      expect(s.netRxBps).toBeGreaterThanOrEqual(0);
      expect(s.netTxBps).toBeGreaterThanOrEqual(0);
      // The fake machine moves 125 kB/s per device: a rate computed across the reset would be
      // counters' whole size divided by one tick.
      expect(s.netRxBps).toBeLessThan(10_000_000);
      expect(s.cpuPct).toBeGreaterThanOrEqual(0);
      expect(s.cpuPct).toBeLessThanOrEqual(100);
    }
    expect(r.info?.scrape?.up).toBe(true);
  }, 40_000);
});

describe('scraper', () => {
  it('stops reading an answer past its size limit, and one that does not come in time', async () => {
    const fake = await startFakeExporter({ mode: 'huge', hugeBytes: 1024 * 1024 });
    const scraper = createScraper({ maxBytes: 64 * 1024 });
    try {
      await expect(scraper.get(`${fake.origin}/metrics`, 20_000)).rejects.toThrow(
        'answer larger than 65536 bytes',
      );
      fake.mode = 'hang';
      await expect(scraper.get(`${fake.origin}/metrics`, 200)).rejects.toMatchObject({
        kind: 'timeout',
      });
      fake.mode = 'ok';
      const body = await scraper.get(`${fake.origin}/metrics`, 20_000);
      expect(body.toString()).toContain('node_load1 ');
    } finally {
      await scraper.close();
      await fake.close();
    }
  }, 60_000);
});

describe('NODE_EXPORTER_TARGETS_FILE', () => {
  const dir = mkdtempSync(join(tmpdir(), 'file-sd-'));
  const file = join(dir, 'targets.json');
  let a: FakeExporter;
  let b: FakeExporter;
  let running: RunningApp | undefined;
  afterAll(async () => {
    await running?.close();
    await a?.close();
    await b?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Replaces the file the way editors and config managers do: write aside, then rename. */
  const write = (groups: unknown) => {
    writeFileSync(`${file}.tmp`, JSON.stringify(groups));
    renameSync(`${file}.tmp`, file);
  };
  const ids = async () =>
    (await json<{ servers: ServerInfo[] }>(`${running!.url}/v1/servers`)).servers.map((s) => s.id);

  it('reads a file_sd file at start and follows its changes; a broken version is ignored', async () => {
    a = await startFakeExporter();
    b = await startFakeExporter();
    write([
      { targets: [`127.0.0.1:${a.port}`], labels: { name: 'db-1', role: 'db', region: 'eu' } },
    ]);
    running = await startApp({ serverCount: 1, tickMs: TICK_MS, exporterTargetsFile: file });
    expect(await ids()).toEqual(['server-1', 'db-1']);
    expect(await infoOf(running.url, 'db-1')).toMatchObject({
      source: 'node_exporter',
      labels: { role: 'db', region: 'eu' },
    });

    write([
      { targets: [`127.0.0.1:${a.port}`], labels: { name: 'db-1', role: 'db', region: 'eu' } },
      { targets: [`127.0.0.1:${b.port}`], labels: { name: 'web-1', role: 'web' } },
    ]);
    await waitFor(async () => ((await ids()).includes('web-1') ? true : undefined), 10_000);
    expect(await ids()).toEqual(['server-1', 'db-1', 'web-1']);
    await waitFor(
      async () => ((await samplesOf(running!.url, 'web-1')).length > 0 ? true : undefined),
      10_000,
    );

    writeFileSync(file, '[{"targets": ');
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await ids()).toEqual(['server-1', 'db-1', 'web-1']);

    write([{ targets: [`127.0.0.1:${b.port}`], labels: { name: 'web-1', role: 'web' } }]);
    await waitFor(async () => ((await ids()).includes('db-1') ? undefined : true), 10_000);
    expect(await ids()).toEqual(['server-1', 'web-1']);
    // A removed server is unknown from then on; its stored history stays until retention.
    expect((await fetch(`${running.url}/v1/servers/db-1/history`)).status).toBe(404);
  }, 60_000);

  it('refuses to start on a file that is not file_sd JSON, naming the variable', async () => {
    writeFileSync(file, '{"not": "a list"}');
    await expect(startApp({ serverCount: 1, exporterTargetsFile: file })).rejects.toThrow(
      /^NODE_EXPORTER_TARGETS_FILE: .*expected a JSON array/,
    );
    await expect(
      startApp({ serverCount: 1, exporterTargetsFile: join(dir, 'none.json') }),
    ).rejects.toThrow(/^NODE_EXPORTER_TARGETS_FILE: cannot read/);
  });
});
