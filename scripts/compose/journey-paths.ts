/** Where the compose journey keeps its results and its cache (both can be moved by environment). */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Stand-in images, build layers and the debootstrapped rootfs, kept between runs. */
export const CACHE = process.env.COMPOSE_JOURNEY_CACHE ?? '/var/cache/metrics-pipeline-docker';
/** Logs and Playwright's report of the last run. */
export const RESULTS =
  process.env.COMPOSE_JOURNEY_RESULTS ?? join(ROOT, 'test-results/compose-journey');
