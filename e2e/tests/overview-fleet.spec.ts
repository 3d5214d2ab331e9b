/**
 * The overview at a fleet too large for one square per server, as a person uses it: the heat
 * grid shows blocks, hovering one gives its range and hottest server, a click (or Enter) zooms
 * into it and a button (or Escape) zooms back out; the fleet's distribution and its hottest
 * servers are shown and move with the data; a generator that stops turns every block stale.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { test, expect } from '../fixtures/stack.ts';

const SHOTS = fileURLToPath(new URL('../../test-results/overview/', import.meta.url));
mkdirSync(SHOTS, { recursive: true });

/** Moves the pointer over cell `k` of the heat grid (cells in reading order). */
async function hoverCell(page: Page, k: number): Promise<void> {
  const canvas = page.locator('.heat-canvas');
  const box = (await canvas.boundingBox())!;
  const cell = Number(await canvas.getAttribute('data-cell'));
  const cols = Math.round(box.width / cell);
  await page.mouse.move(
    box.x + (k % cols) * cell + cell / 2,
    box.y + Math.floor(k / cols) * cell + cell / 2,
  );
}

// Its own stack: one worker per fleet size.
test.use({ serverCount: 12_000, viewport: { width: 1280, height: 800 } });

test.describe('a fleet of 12,000 servers', () => {
  test('the heat map shows blocks that zoom in and out, with the distribution and the hottest servers', async ({
    page,
    stack,
  }) => {
    test.setTimeout(120_000);
    await page.goto('/');
    await expect(page.locator('.shown')).toHaveText('12,000 servers', { timeout: 30_000 });
    const canvas = page.locator('.heat-canvas');
    const tip = page.getByRole('tooltip');
    // Too many for one readable square each at this size: blocks of a round number of servers.
    await expect(canvas).toHaveAttribute('data-block-size', '10');
    await expect(canvas).toHaveAttribute('data-cells', '1200');
    await expect(page.locator('.hint')).toContainText('Each square is 10 servers');

    // Hover: the block's range, its hottest server and value.
    await expect(page.getByTestId('hottest').getByRole('link').first()).toHaveText(/\d\s%/);
    await hoverCell(page, 1);
    await expect(tip).toBeVisible();
    await expect(tip).toHaveText(
      /^server-11 … server-20 \(10 servers\) · hottest server-(1[1-9]|20) CPU \d+\.\d\s% · click to zoom in$/,
    );

    // Click: the block fills the grid, one square per server; the caption says where we are.
    await page.mouse.down();
    await page.mouse.up();
    await expect(canvas).toHaveAttribute('data-range', '10-20');
    await expect(canvas).toHaveAttribute('data-block-size', '1');
    await expect(page.locator('.hint')).toContainText(
      'Zoomed in: server-11 … server-20, 10 of 12,000 servers.',
    );
    await hoverCell(page, 3);
    await expect(tip).toHaveText(/^server-14 · CPU \d+\.\d\s% · mem \d+\.\d\s% · disk \d+\.\d\s%$/);
    await page.getByRole('button', { name: '← Zoom out' }).click();
    await expect(canvas).toHaveAttribute('data-range', '0-12000');
    await expect(page.getByRole('button', { name: '← Zoom out' })).toBeHidden();

    // Keyboard: focus the grid, move right, Enter zooms, Escape comes back.
    await page.mouse.move(0, 0);
    await canvas.focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await expect(tip).toHaveText(/^server-21 … server-30 /);
    await page.keyboard.press('Enter');
    await expect(canvas).toHaveAttribute('data-range', '20-30');
    await page.keyboard.press('Escape');
    await expect(canvas).toHaveAttribute('data-range', '0-12000');

    // The distribution over the whole fleet and how many are hot, updating every tick.
    const hist = page.getByTestId('histogram');
    await expect(hist.locator('.hist-hot')).toHaveText(/^[\d,]+ of 12,000 at ≥ 90 %$/);
    await expect(hist.getByRole('img')).toHaveAttribute(
      'aria-label',
      /^Distribution of CPU over 12,000 live servers/,
    );
    const bars = () =>
      hist
        .locator('.hist-col')
        .evaluateAll((cols) => cols.map((c) => c.getAttribute('title')).join('|'));
    const before = await bars();
    await expect.poll(bars, { timeout: 10_000 }).not.toBe(before);

    // The hottest servers, highest first, each a link to its detail, and moving with the data.
    const hottest = page.getByTestId('hottest').getByRole('link');
    await expect(hottest).toHaveCount(8);
    const values = (await hottest.allInnerTexts()).map((t) => Number(/([\d.]+)\s%/.exec(t)![1]));
    expect(values).toEqual([...values].sort((a, b) => b - a));
    const list = () => hottest.allInnerTexts().then((t) => t.join('|'));
    const first = await list();
    await expect.poll(list, { timeout: 10_000 }).not.toBe(first);

    // Colour by memory: the grid, the histogram and the list all follow.
    await page
      .getByRole('group', { name: 'Colour by' })
      .getByRole('button', { name: 'Memory' })
      .click();
    await expect(page.locator('.hottest .side-title')).toHaveText('Hottest by Memory');
    await expect(hist.locator('.side-title')).toHaveText('Memory across the fleet');
    await page.screenshot({ path: `${SHOTS}overview-12000.png` });

    // A hottest server opens its detail.
    const top = page.getByTestId('hottest').getByRole('link').first();
    const name = (await top.locator('.hot-name').textContent())!;
    await top.click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(name);
    await page.goBack();

    // The generator stops: after a few ticks every block is stale and nothing counts as live.
    await expect(canvas).toHaveAttribute('data-cells', '1200');
    await stack.stopPart('metric-generator');
    try {
      await expect(hist.locator('.hist-hot')).toHaveText('no live data', { timeout: 15_000 });
      await hoverCell(page, 0);
      await expect(tip).toHaveText(
        /^server-1 … server-10 \(10 servers\) · no live data · 10 stale/,
      );
      await expect(page.getByTestId('hottest').locator('.hot-item').first()).toHaveText(
        'no live data',
      );
    } finally {
      await stack.startPart('metric-generator');
    }
    await expect(hist.locator('.hist-hot')).toHaveText(/of 12,000 at ≥ 90 %$/, { timeout: 20_000 });
  });
});
