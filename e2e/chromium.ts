/**
 * Debian's Chromium as the Playwright journeys and the frontend benchmark launch it: installed by
 * `scripts/ensure-system-deps.sh` (`apt-get install chromium`; never `npx playwright install`),
 * headless, no GPU, no sandbox (root in a VM), and none of the background traffic a fresh
 * profile would start (updates, sync, QUIC), so runs stay on loopback and comparable.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
