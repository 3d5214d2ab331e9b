/**
 * `docker compose up` as a user meets it: the dashboard through the port compose publishes,
 * served by the containers the project's own docker-compose.yml runs. Started by
 * scripts/compose/journey.ts (never by the plain e2e step: it needs that project running).
 */
import { expect, test } from '@playwright/test';
import { composeProject } from '../../scripts/compose/compose-project.ts';

const project = composeProject();
const serverCount = Number(process.env.SERVER_COUNT ?? 5);

test.describe.configure({ mode: 'serial' });
test.skip(!process.env.COMPOSE_JOURNEY_URL, 'run by scripts/compose/journey.ts');

test('the overview is live and lists every server', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'live');
  await expect(page.locator('.shown')).toHaveText(`${serverCount} servers`);
  await expect(page.getByRole('table', { name: 'Servers' })).toHaveAttribute(
    'aria-rowcount',
    String(serverCount + 1),
  );
  const values = () => page.locator('.tbody .row:not([hidden])').allInnerTexts();
  const before = (await values()).join('\n');
  await expect.poll(async () => (await values()).join('\n'), { timeout: 10_000 }).not.toBe(before);
});

test('a server opens with its history and keeps growing', async ({ page }) => {
  await page.goto('/#/servers/server-2');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('server-2');
  const cpu = page.locator('figure[data-chart="cpu"]');
  // History: the generator has been sampling since it became healthy, long before this page,
  // so the backfill brings far more than the live samples since the page opened.
  const chartCount = async () => Number((await cpu.getAttribute('data-count')) ?? 0);
  await expect.poll(chartCount, { timeout: 20_000 }).toBeGreaterThan(20);
  const count = await chartCount();
  await expect.poll(chartCount, { timeout: 10_000 }).toBeGreaterThan(count);
  await expect(cpu.locator('.coverage')).toContainText('no missing seconds');
});

test('the ingress routes no generator path, though the generator serves them', async ({
  request,
}) => {
  for (const path of ['/v1/servers', '/v1/latest', '/v1/servers/server-1/history']) {
    const direct = await project.generatorGet(path);
    expect(direct.status, `the generator itself answers ${path}`).toBe(200);
    const res = await request.get(path);
    expect(res.status(), `${path} through the ingress`).toBe(404);
  }
});

test('a changed SERVER_COUNT recreates only the generator, and the page follows', async ({
  page,
}) => {
  await page.goto('/');
  await expect(page.locator('.shown')).toHaveText(`${serverCount} servers`);
  const before = await project.containers();
  const changed = serverCount + 3;
  await project.compose(['up', '-d', '--no-build'], { SERVER_COUNT: String(changed) });
  const after = await project.containers();
  expect(after['metric-generator']).not.toBe(before['metric-generator']);
  for (const service of ['metric-broadcaster', 'frontend', 'nginx'] as const) {
    expect(after[service], `${service} kept its container`).toBe(before[service]);
  }
  await expect(page.locator('.shown')).toHaveText(`${changed} servers`, { timeout: 90_000 });
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'live', {
    timeout: 60_000,
  });
  await project.waitHealthy();
});

test('a broadcaster restart shows "reconnecting", then live data again', async ({ page }) => {
  await page.goto('/');
  const conn = page.getByTestId('connection');
  await expect(conn).toHaveAttribute('data-state', 'live');
  const restarted = project.compose(['restart', '--timeout', '20', 'metric-broadcaster']);
  await expect(conn).toHaveAttribute('data-state', 'reconnecting', { timeout: 30_000 });
  await restarted;
  await expect(conn).toHaveAttribute('data-state', 'live', { timeout: 60_000 });
  const values = () => page.locator('.tbody .row:not([hidden])').allInnerTexts();
  const before = (await values()).join('\n');
  await expect.poll(async () => (await values()).join('\n'), { timeout: 15_000 }).not.toBe(before);
  await project.waitHealthy();
});
