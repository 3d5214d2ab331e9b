#!/usr/bin/env node
// `npm test`: every check and every test of the project, in order, then one totals line.
// Each step runs even when an earlier one failed, so one run shows every problem.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const results = resolve(root, 'test-results');
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });

const only = process.argv.slice(2); // e.g. `npm test -- unit` runs just the named steps
const steps = [
  { name: 'system-deps', cmd: 'bash', args: ['scripts/ensure-system-deps.sh'] },
  { name: 'build', cmd: 'npm', args: ['run', 'build', '--silent'] },
  { name: 'typecheck', cmd: 'npm', args: ['run', 'typecheck', '--silent'] },
  { name: 'lint', cmd: 'npx', args: ['eslint', '.'] },
  // Unused files, exports and dependencies (knip.jsonc); zero findings, like lint. Each
  // workspace's tsconfig.build.json maps an import of its dist/ back to src/.
  { name: 'knip', cmd: 'npm', args: ['run', 'knip', '--silent'] },
  { name: 'format', cmd: 'npx', args: ['prettier', '--check', '.', '--log-level', 'warn'] },
  {
    name: 'unit',
    cmd: 'npx',
    args: [
      'vitest',
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${resolve(results, 'vitest.json')}`,
    ],
    report: 'vitest.json',
  },
  {
    name: 'e2e',
    cmd: 'npx',
    args: ['playwright', 'test', '--config', 'e2e/playwright.config.ts'],
    env: { PLAYWRIGHT_JSON_OUTPUT_NAME: resolve(results, 'playwright.json') },
    report: 'playwright.json',
    skipUnless: 'e2e/playwright.config.ts',
  },
  // `docker compose up` on a private Docker engine, end to end (scripts/compose/journey.ts).
  // Where it cannot run (not root on Debian, COMPOSE_JOURNEY=0) it says why and exits 77: skipped.
  { name: 'compose', cmd: 'npx', args: ['tsx', 'scripts/compose/journey.ts'], skipCode: 77 },
];

let passed = 0;
let failed = 0;
let skipped = 0;
const lines = [];
for (const step of steps) {
  if (only.length && !only.includes(step.name)) continue;
  if (step.skipUnless && !existsSync(resolve(root, step.skipUnless))) continue;
  console.log(`\n=== ${step.name}: ${step.cmd} ${step.args.join(' ')}`);
  const started = Date.now();
  const run = spawnSync(step.cmd, step.args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...step.env },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const ok = run.status === 0;
  if (step.skipCode !== undefined && run.status === step.skipCode) {
    skipped++;
    lines.push(`${step.name}: skipped (${seconds} s; the reason is printed above)`);
    continue;
  }
  if (step.report) {
    const counts = readCounts(step.report);
    if (counts) {
      passed += counts.passed;
      failed += counts.failed;
      // A runner that crashed without reporting a failure still fails the step.
      if (!ok && counts.failed === 0) failed += 1;
      lines.push(`${step.name}: ${counts.passed} passed, ${counts.failed} failed (${seconds} s)`);
      continue;
    }
  }
  if (ok) passed++;
  else failed++;
  lines.push(
    `${step.name}: ${ok ? 'ok' : `FAILED (exit ${run.status ?? run.signal})`} (${seconds} s)`,
  );
}

function readCounts(file) {
  const path = resolve(results, file);
  if (!existsSync(path)) return undefined;
  const report = JSON.parse(readFileSync(path, 'utf8'));
  if (file === 'vitest.json') {
    return { passed: report.numPassedTests, failed: report.numFailedTests };
  }
  // Playwright: `expected` passed, `unexpected` failed, `flaky` passed on retry.
  const s = report.stats ?? {};
  return { passed: (s.expected ?? 0) + (s.flaky ?? 0), failed: s.unexpected ?? 0 };
}

console.log('\n=== summary');
for (const line of lines) console.log(line);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
