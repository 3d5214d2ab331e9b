import { defineConfig } from '@playwright/test';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.ts';

const results = fileURLToPath(new URL('../test-results/', import.meta.url));

/**
 * Journeys in Debian's Chromium (`apt-get install chromium`; never `npx playwright install`)
 * through a real stack: generator, broadcaster, frontend server and nginx on free loopback ports,
 * started once per worker by `fixtures/stack.ts`. One worker: the machine has 2 cores and every
 * stack is five processes.
 */
export default defineConfig({
  testDir: './tests',
  outputDir: `${results}playwright`,
  globalSetup: './global-setup.ts',
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [
    ['list'],
    [
      'json',
      { outputFile: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ?? `${results}playwright.json` },
    ],
  ],
  use: {
    browserName: 'chromium',
    headless: true,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: CHROMIUM_PATH,
      args: [...CHROMIUM_ARGS],
    },
  },
});
