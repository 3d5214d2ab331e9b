import { defineConfig } from '@playwright/test';
import base from '../playwright.config.ts';

/**
 * The compose journey's browser part (scripts/compose/journey.ts starts it, with the compose
 * project in the environment and COMPOSE_JOURNEY_URL the published ingress). Same Chromium and
 * reporters as the other journeys; no stack of its own: the containers are the stack.
 */
export default defineConfig({
  ...base,
  testDir: '.',
  testMatch: 'journey.spec.ts',
  globalSetup: undefined,
  timeout: 120_000,
  expect: { timeout: 20_000 },
  use: { ...base.use, baseURL: process.env.COMPOSE_JOURNEY_URL },
});
