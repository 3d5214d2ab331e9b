import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const protocolSrc = (file: string) =>
  fileURLToPath(new URL(`./protocol/src/${file}`, import.meta.url));
const serviceKitSrc = fileURLToPath(new URL('./service-kit/src/index.ts', import.meta.url));

/**
 * Every workspace's tests import `@metrics/protocol` and `@metrics/service-kit` from source, so
 * a change there is seen at once without rebuilding their `dist`.
 */
export const shared = defineConfig({
  resolve: {
    alias: [
      { find: /^@metrics\/protocol\/schemas$/, replacement: protocolSrc('schemas.ts') },
      { find: /^@metrics\/protocol$/, replacement: protocolSrc('index.ts') },
      { find: /^@metrics\/service-kit$/, replacement: serviceKitSrc },
    ],
  },
});
