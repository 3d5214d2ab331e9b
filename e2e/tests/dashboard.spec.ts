/**
 * The dashboard as a person uses it, in Debian's Chromium through nginx and the real services:
 * the fleet moves every second, a server opens with its history backfilled and keeps growing,
 * and a broadcaster restart is shown honestly and leaves no second missing from the charts.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from '@playwright/test';
import type { HistoryResponse } from '@metrics/protocol';
import { test, expect, type Stack } from '../fixtures/stack.ts';

const SHOTS = fileURLToPath(new URL('../../test-results/dashboard/', import.meta.url));
mkdirSync(SHOTS, { recursive: true });

/** The rows of the virtual table that are on screen, as text. */
async function rowTexts(page: Page): Promise<string[]> {
  return page.locator('.tbody .row:not([hidden])').allInnerTexts();
}

/** The sort button in a table column header (the heat map has its own "CPU" button). */
function sortButton(page: Page, column: string): Locator {
  return page.getByRole('columnheader', { name: new RegExp(`^${column}`) }).getByRole('button');
}

/** What a chart says it holds: its data-* attributes, written on every render. */
async function coverage(chart: Locator) {
  const [count, first, last, missing, tickMs] = await Promise.all(
    ['count', 'first', 'last', 'missing', 'tick-ms'].map((a) => chart.getAttribute(`data-${a}`)),
  );
  return {
    count: Number(count ?? 0),
    first: Number(first || NaN),
    last: Number(last || NaN),
    missing: Number(missing ?? NaN),
    tickMs: Number(tickMs ?? NaN),
  };
}

/** Every timestamp (epoch ms) the generator recorded for a server in [from, to]. */
async function recorded(stack: Stack, serverId: string, from: number, to: number) {
  const url = `${stack.generator.url}/v1/servers/${serverId}/history?from=${from}&to=${to}&limit=10000`;
  const body = (await (await fetch(url)).json()) as HistoryResponse;
  return body.samples.map((s) => Date.parse(s.timestamp));
}

test('the overview lists every server and its values change every second', async ({
  page,
  stack,
}) => {
  await page.goto('/');
  const conn = page.getByTestId('connection');
  await expect(conn).toHaveAttribute('data-state', 'live');
  await expect(page.locator('.shown')).toHaveText(`${stack.serverCount} servers`);

  // Name order keeps rows in place, so a changed row means changed values.
  await sortButton(page, 'Server').click();
  await expect(page.locator('.tbody .row:not([hidden]) .name')).toHaveText(
    Array.from({ length: stack.serverCount }, (_, i) => `server-${i + 1}`),
  );
  await expect(page.locator('.tbody .row .val').first()).toHaveText(/\d+\.\d\s%/);

  let previous = await rowTexts(page);
  for (let second = 0; second < 3; second++) {
    await expect
      .poll(async () => (await rowTexts(page)).join('\n'), { timeout: 2_500, intervals: [100] })
      .not.toBe(previous.join('\n'));
    previous = await rowTexts(page);
  }
  await expect(page.locator('.tbody .row.is-stale')).toHaveCount(0);
  await expect(conn).toHaveText(/Live\s*updated \d\.\d\ss ago/);

  // Filter by name narrows both the table and the count.
  await page.getByRole('searchbox', { name: 'Filter servers by name' }).fill('server-1');
  const matching = Array.from({ length: stack.serverCount }, (_, i) => `server-${i + 1}`).filter(
    (id) => id.includes('server-1'),
  );
  await expect(page.locator('.tbody .row:not([hidden]) .name')).toHaveText(matching);
  await page.getByRole('searchbox', { name: 'Filter servers by name' }).fill('');

  // Hottest first: the CPU sort puts the busiest server on top, as the summary says.
  await sortButton(page, 'CPU').click();
  await expect(page.getByRole('columnheader', { name: 'CPU' })).toHaveAttribute(
    'aria-sort',
    'descending',
  );

  // While the pointer is on the table, new data keeps coming but rows keep their order.
  const names = page.locator('.tbody .row:not([hidden]) .name');
  await page.locator('.tbody .row:not([hidden])').first().hover();
  const held = await names.allInnerTexts();
  await expect(page.locator('.held')).toHaveText('order held');
  await page.waitForTimeout(2_000);
  expect(await names.allInnerTexts()).toEqual(held);
  await page.mouse.move(0, 0);
  await expect(page.locator('.held')).toHaveText('');

  await page.screenshot({ path: `${SHOTS}overview.png` });
});

test('opening a server shows every recorded second of the last five minutes, growing live', async ({
  page,
  stack,
}) => {
  await page.goto('/');
  await sortButton(page, 'Server').click();
  // Keyboard only: focus the first row, arrow down to the second, Enter opens it.
  const firstRow = page.locator('.tbody .row:not([hidden])').first();
  await expect(firstRow.locator('.name')).toHaveText('server-1');
  await firstRow.getByRole('link').focus();
  await page.keyboard.press('ArrowDown');
  await expect(page.locator('.tbody .row .name:focus')).toHaveText('server-2');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/#\/servers\/server-2$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('server-2');

  const cpu = page.locator('figure[data-chart="cpu"]');
  await expect(cpu).toHaveAttribute('data-count', /^[1-9]\d*$/);
  const c = await coverage(cpu);
  // Backfilled: everything the generator recorded in the window, from its first sample on.
  const expected = await recorded(stack, 'server-2', c.last - 300_000, c.last);
  expect(expected.length).toBeGreaterThan(3);
  expect(c.first).toBe(expected[0]);
  expect(c.count).toBe(expected.length);
  expect(c.missing).toBe(0);
  expect(c.count).toBe((c.last - c.first) / c.tickMs + 1);

  // And it grows every second.
  await expect
    .poll(async () => (await coverage(cpu)).count, { timeout: 5_000 })
    .toBeGreaterThan(c.count + 1);
  for (const chart of ['cpu', 'memory', 'disk', 'network', 'load']) {
    await expect(page.locator(`figure[data-chart="${chart}"] canvas`).first()).toBeVisible();
  }
  await expect(page.locator('.stat[data-metric="netRxBps"] .stat-value')).toHaveText(
    /\d\s(B|KB|MB|GB)\/s/,
  );
  await expect(page.locator('figure[data-chart="cpu"] .coverage')).toContainText(
    'no missing seconds',
  );
  await page.screenshot({ path: `${SHOTS}detail.png`, fullPage: true });

  await page.getByRole('link', { name: '← All servers' }).click();
  await expect(page.locator('.shown')).toHaveText(`${stack.serverCount} servers`);
});

test('a broadcaster restart shows "reconnecting", then "live", and no second goes missing', async ({
  page,
  stack,
}) => {
  test.setTimeout(90_000);
  await page.goto('/#/servers/server-2');
  const conn = page.getByTestId('connection');
  const cpu = page.locator('figure[data-chart="cpu"]');
  await expect(conn).toHaveAttribute('data-state', 'live');
  await expect(cpu).toHaveAttribute('data-count', /^[1-9]\d*$/);
  const before = await coverage(cpu);

  await stack.stopPart('metric-broadcaster');
  await expect(conn).toHaveAttribute('data-state', 'reconnecting');
  await expect(conn).toContainText('Reconnecting…');
  // The generator keeps recording while the page is cut off.
  await page.waitForTimeout(3_000);
  await stack.startPart('metric-broadcaster');

  await expect(conn).toHaveAttribute('data-state', 'live', { timeout: 20_000 });
  await expect(conn).toContainText('Live');
  const downFor = (await coverage(cpu)).last - before.last;
  expect(downFor).toBeGreaterThanOrEqual(0);

  // Backfilled: every second from before the outage to now, each once, none missing.
  await expect
    .poll(
      async () => {
        const c = await coverage(cpu);
        return (
          c.last - before.last >= 4_000 &&
          c.missing === 0 &&
          c.count === (c.last - c.first) / c.tickMs + 1
        );
      },
      { timeout: 15_000 },
    )
    .toBe(true);
  const after = await coverage(cpu);
  const expected = await recorded(stack, 'server-2', after.first, after.last);
  expect(after.count).toBe(expected.length);
  await expect(cpu.locator('.coverage')).toContainText('no missing seconds');
});

/** Sums the page's layout shifts (as Lighthouse's CLS counts them: not after user input). */
const RECORD_SHIFTS = `window.__shifts = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (!e.hadRecentInput) window.__shifts.push(e.value);
}).observe({ type: 'layout-shift', buffered: true });`;

for (const viewport of [
  { name: 'phone', width: 412, height: 823 },
  { name: 'desktop', width: 1440, height: 900 },
]) {
  test(`the page does not jump while data arrives (${viewport.name}: overview, then a server)`, async ({
    browser,
    stack,
  }) => {
    const context = await browser.newContext({ viewport, baseURL: stack.url });
    try {
      for (const [path, value] of [
        // The summary's values (the table may be below the fold on a phone).
        ['/', '.summary .val, [aria-label="Fleet summary"]'],
        ['/#/servers/server-1', '.stat-value'],
      ] as const) {
        const page = await context.newPage();
        await page.addInitScript({ content: RECORD_SHIFTS });
        await page.goto(path);
        // Loaded and live: values shown, then a few more seconds of updates.
        await expect(page.locator(value).first()).toContainText(/\d\s%/, {
          timeout: 15_000,
        });
        await page.waitForTimeout(3_000);
        const shifts = await page.evaluate(
          () => (window as unknown as { __shifts: number[] }).__shifts,
        );
        const cls = shifts.reduce((a, b) => a + b, 0);
        expect(cls, `layout shift on ${path}: ${shifts.join(', ')}`).toBeLessThanOrEqual(0.05);
        await page.close();
      }
    } finally {
      await context.close();
    }
  });
}

test.afterAll(() => {
  // Good screenshots become the README's: copied only when this run produced them.
  const docs = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
  if (!process.env.UPDATE_SCREENSHOTS) return;
  mkdirSync(docs, { recursive: true });
  for (const name of ['overview.png', 'detail.png'])
    copyFileSync(`${SHOTS}${name}`, `${docs}${name}`);
});
