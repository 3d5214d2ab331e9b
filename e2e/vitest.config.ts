import { defineProject, mergeConfig } from 'vitest/config';
import { shared } from '../vitest.shared.js';

// Vitest project `deploy`: the compose/nginx/Dockerfile contract and the start script's pure
// helpers. Playwright's journeys (tests/*.spec.ts) are not Vitest tests and are never matched.
export default mergeConfig(
  shared,
  defineProject({
    test: {
      name: 'deploy',
      include: ['deploy/**/*.test.ts', 'security/**/*.test.ts'],
      testTimeout: 20_000,
      hookTimeout: 60_000,
    },
  }),
);
