import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { findNginx } from '../scripts/lib/nginx.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/**
 * Fails fast with the fix when a system package is missing, and builds what the stack serves
 * when this runs on its own (`npm test` builds before the e2e step).
 */
export default function globalSetup(): void {
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  const missing = [!existsSync(chromium) && 'chromium', !findNginx() && 'nginx'].filter(Boolean);
  if (missing.length > 0) {
    throw new Error(
      `missing system packages: ${missing.join(' ')}; run \`bash scripts/ensure-system-deps.sh\` ` +
        `as root, or: sudo apt-get install -y ${missing.join(' ')}`,
    );
  }
  const builds: Array<[string, string]> = [
    ['protocol', 'protocol/dist/index.js'],
    ['frontend', 'frontend/dist/index.html'],
  ];
  for (const [workspace, output] of builds) {
    if (existsSync(`${ROOT}${output}`) || !existsSync(`${ROOT}${workspace}/package.json`)) continue;
    if (workspace === 'frontend' && !existsSync(`${ROOT}frontend/index.html`)) continue;
    console.log(`e2e: building ${workspace} (${output} is missing)`);
    const run = spawnSync('npm', ['run', 'build', '-w', workspace], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    if (run.status !== 0) throw new Error(`npm run build -w ${workspace} failed`);
  }
}
