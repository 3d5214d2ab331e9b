import { defineConfig } from '@playwright/test';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import base from '../playwright.config.ts';

/**
 * The compose journey's browser part (scripts/compose/journey.ts starts it, with the compose
 * project in the environment and COMPOSE_JOURNEY_URL the published ingress). Same Chromium and
 * reporters as the other journeys; no stack of its own: the containers are the stack.
 */
const results =
  process.env.COMPOSE_JOURNEY_RESULTS ??
  fileURLToPath(new URL('../../test-results/compose-journey/', import.meta.url));

export default defineConfig({
  ...base,
  outputDir: join(results, 'playwright'),
  testDir: '.',
  testMatch: 'journey.spec.ts',
  globalSetup: undefined,
  timeout: 120_000,
  expect: { timeout: 20_000 },
  use: { ...base.use, baseURL: process.env.COMPOSE_JOURNEY_URL },
});
