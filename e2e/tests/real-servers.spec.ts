/**
 * A real machine beside the simulated fleet: the generator scrapes Debian's
 * prometheus-node-exporter (on a free loopback port) and the dashboard shows it live, tagged as
 * real; when the exporter stops, its row and its page say it is down and why, with no invented
 * values; when it returns, it is live again.
 */
import { test as base, expect, type Page } from '@playwright/test';
import { startStack, type Stack } from '../../scripts/lib/stack.ts';
import {
  startNodeExporter,
  type NodeExporterProcess,
} from '../../scripts/lib/node-exporter-process.ts';

const test = base.extend<
  object,
  {
    real: {
      stack: Stack;
      exporter: () => NodeExporterProcess;
      restartExporter: () => Promise<void>;
      stopExporter: () => Promise<void>;
    };
  }
>({
  real: [
    // eslint-disable-next-line no-empty-pattern -- Playwright reads fixture dependencies from this pattern
    async ({}, use) => {
      let exporter = await startNodeExporter();
      const port = exporter.port;
      let stack: Stack | undefined;
      try {
        stack = await startStack({
          serverCount: 3,
          ingress: 'nginx',
          env: {
            'metric-generator': { NODE_EXPORTER_TARGETS: `this=${exporter.address}` },
            'metric-broadcaster': { DISCOVERY_INTERVAL_MS: '1000' },
          },
        });
        await use({
          stack,
          exporter: () => exporter,
          stopExporter: () => exporter.stop(),
          restartExporter: async () => {
            exporter = await startNodeExporter(port);
          },
        });
      } finally {
        await stack?.stop();
        await exporter.stop();
      }
    },
    { scope: 'worker', timeout: 120_000 },
  ],
  baseURL: async ({ real }, use) => {
    await use(real.stack.url);
  },
});

const row = (page: Page, id: string) =>
  page
    .locator('.tbody .row:not([hidden])')
    .filter({ has: page.locator('.name', { hasText: new RegExp(`^${id}$`) }) });

test('the machine shows live beside the simulated fleet; a stopped exporter shows as down, and returns', async ({
  page,
  real,
}) => {
  await page.goto('/');
  await expect(page.locator('.shown')).toHaveText('4 servers');
  const mine = row(page, 'this');
  await expect(mine.locator('.tag')).toHaveText('real');
  await expect(mine.locator('.c-state')).toHaveText('live', { timeout: 15_000 });
  await expect(mine.locator('.val').first()).toHaveText(/\d+(\.\d)?\s%/);
  await expect(row(page, 'server-1').locator('.tag')).toBeHidden();

  // Labels and sources are filterable.
  const search = page.getByRole('searchbox', { name: 'Filter servers by name or label' });
  await search.fill('source=real');
  await expect(page.locator('.tbody .row:not([hidden]) .name')).toHaveText(['this']);
  await search.fill('source=simulated');
  // Rows are recycled (positioned by transform), so the DOM order is not the order shown.
  await expect
    .poll(async () =>
      (await page.locator('.tbody .row:not([hidden]) .name').allTextContents()).sort(),
    )
    .toEqual(['server-1', 'server-2', 'server-3']);
  await search.fill('');

  await real.stopExporter();
  await expect(mine.locator('.c-state')).toHaveText('down: connection refused', {
    timeout: 15_000,
  });
  await expect(mine).toHaveClass(/is-stale/);
  await expect(row(page, 'server-1').locator('.c-state')).toHaveText('live');

  await page.goto('/#/servers/this');
  await expect(page.locator('.detail-source')).toHaveText(
    'node_exporter · down: connection refused',
  );

  await real.restartExporter();
  await expect(page.locator('.detail-source')).toHaveText('node_exporter · up', {
    timeout: 15_000,
  });
  // No sample was invented for the time it was down: the generator recorded a gap, seen once
  // samples resume (the first scrape after a failure has no delta, so gives none).
  const gapsInHistory = async () => {
    const res = await fetch(`${real.stack.generator.url}/v1/servers/this/history?limit=10000`);
    const history = (await res.json()) as { samples: { timestamp: string }[] };
    const ticks = history.samples.map((s) => Date.parse(s.timestamp));
    return ticks.slice(1).filter((t, i) => t - ticks[i]! > 1_000).length;
  };
  await expect.poll(gapsInHistory, { timeout: 10_000 }).toBeGreaterThan(0);
});
