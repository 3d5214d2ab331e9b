/**
 * The overview of a small fleet (the e2e default, 5 servers) in light and dark: one square per
 * server, every server in the hottest list. Screenshots go to test-results/overview/ and, with
 * UPDATE_SCREENSHOTS=1, the dark one to docs/screenshots/overview-dark.png.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test, expect } from '../fixtures/stack.ts';

const SHOTS = fileURLToPath(new URL('../../test-results/overview/', import.meta.url));
mkdirSync(SHOTS, { recursive: true });

test('one square per server, in light and dark', async ({ page, stack }) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/');
  await expect(page.locator('.shown')).toHaveText(`${stack.serverCount} servers`);
  await expect(page.locator('.heat-canvas')).toHaveAttribute('data-block-size', '1');
  await expect(page.locator('.tbody .row .val').first()).toHaveText(/\d+\.\d\s%/);
  await expect(page.getByTestId('hottest').locator('.hot-item:not(.is-empty)')).toHaveCount(
    stack.serverCount,
  );
  await page.screenshot({ path: `${SHOTS}overview-5-light.png` });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(1_500);
  await page.screenshot({ path: `${SHOTS}overview-5-dark.png` });
});

test.afterAll(() => {
  if (!process.env.UPDATE_SCREENSHOTS) return;
  const docs = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
  copyFileSync(`${SHOTS}overview-5-dark.png`, `${docs}overview-dark.png`);
});
