import { defineConfig } from 'vitest/config';

// One `vitest run` at the root runs every workspace's project (Playwright specs live in e2e/ and
// are never matched: each project includes only `test/**/*.test.ts`).
export default defineConfig({
  test: {
    projects: [
      'protocol',
      'service-kit',
      'metric-generator',
      'metric-broadcaster',
      'frontend',
      'e2e',
    ],
  },
});
