/**
 * Issue 16 in Debian's Chromium: a locked ingress asks for credentials, and the dashboard goes
 * live once the browser has them (the same-origin WebSocket upgrade carries them), through
 * nginx and through the embedded fallback; with a certificate the dashboard is served over
 * HTTPS and its socket uses wss: on its own. Each test starts its own stack on free loopback
 * ports (the shared fixture's stack is open).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect, type Browser } from '@playwright/test';
import { startStack, type Stack } from '../../scripts/lib/stack.ts';
import { startPreviewIngress, type IngressHandle } from '../../scripts/lib/vite-ingress.ts';
import { makeAuthFile, makeCertificate, type AuthFile } from '../security/fixtures.ts';

test.describe.configure({ timeout: 180_000 });

let dir: string;
let auth: AuthFile;
test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'security-e2e-'));
  auth = makeAuthFile(dir);
});
test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Opens `url` in a fresh context; resolves with the page and the URLs of its WebSockets. */
async function open(
  browser: Browser,
  url: string,
  options: { httpCredentials?: { username: string; password: string }; https?: boolean } = {},
) {
  const context = await browser.newContext({
    ...(options.httpCredentials ? { httpCredentials: options.httpCredentials } : {}),
    ignoreHTTPSErrors: options.https ?? false,
  });
  const page = await context.newPage();
  const sockets: string[] = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));
  const response = await page.goto(url);
  return { context, page, sockets, status: response?.status() };
}

const RIGHT = () => ({ username: auth.bcrypt.user, password: auth.bcrypt.pass });
const WRONG = () => ({ username: auth.bcrypt.user, password: 'not it' });

async function expectLockedThenLive(browser: Browser, url: string) {
  // Headless Chromium has no prompt: it shows the 401 page, or, once the credentials it had were
  // answered 401 again, gives the navigation up as an authentication failure.
  for (const httpCredentials of [undefined, WRONG()]) {
    const context = await browser.newContext(httpCredentials ? { httpCredentials } : {});
    const page = await context.newPage();
    const outcome = await page.goto(url).then(
      (res) => String(res?.status()),
      (err: Error) => err.message,
    );
    expect(outcome).toMatch(/^401$|ERR_INVALID_AUTH_CREDENTIALS/);
    await expect(page.getByTestId('connection')).toHaveCount(0);
    const res = await context.request.get(url);
    expect(res.status()).toBe(401);
    expect(res.headers()['www-authenticate']).toMatch(/^Basic realm=/);
    await context.close();
  }
  const { context, page, sockets, status } = await open(browser, url, {
    httpCredentials: RIGHT(),
  });
  expect(status).toBe(200);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'live');
  await expect(page.locator('.shown')).toHaveText('3 servers');
  expect(sockets.some((s) => s.startsWith(url.replace(/^http/, 'ws')))).toBe(true);
  await context.close();
}

test.describe('a locked ingress', () => {
  let stack: Stack | undefined;
  let fallback: IngressHandle | undefined;
  test.afterEach(async () => {
    await fallback?.close();
    fallback = undefined;
    await stack?.stop();
    stack = undefined;
  });

  test('nginx asks for credentials and the dashboard goes live with them', async ({ browser }) => {
    stack = await startStack({ serverCount: 3, security: { authFile: auth.path } });
    await expectLockedThenLive(browser, stack.url);
  });

  test('the embedded fallback does the same', async ({ browser }) => {
    stack = await startStack({
      serverCount: 3,
      ingress: 'none',
      security: { authFile: auth.path },
    });
    const port = await (await import('../../scripts/lib/free-port.ts')).freePort();
    fallback = await startPreviewIngress({
      host: '127.0.0.1',
      port,
      broadcasterUrl: stack.broadcaster.url,
      frontendUrl: stack.frontend!.url,
      security: { authFile: auth.path, secret: stack.ingressSecret },
    });
    await expectLockedThenLive(browser, `http://127.0.0.1:${port}`);
  });

  test('nginx with a certificate serves the dashboard over HTTPS, its socket on wss:', async ({
    browser,
  }) => {
    const cert = makeCertificate(dir);
    stack = await startStack({
      serverCount: 3,
      security: { authFile: auth.path, tls: { cert: cert.cert, key: cert.key } },
    });
    const httpsUrl = stack.httpsUrl!;
    const { context, page, sockets, status } = await open(browser, `${stack.url}/`, {
      httpCredentials: RIGHT(),
      https: true,
    });
    expect(status).toBe(200);
    expect(page.url()).toBe(`${httpsUrl}/`);
    await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'live');
    expect(sockets.length).toBeGreaterThan(0);
    for (const url of sockets)
      expect(url).toMatch(new RegExp(`^wss://127\\.0\\.0\\.1:\\d+/socket\\.io/`));
    const hsts = await page.evaluate(async () => {
      const res = await fetch('/', { cache: 'no-store' });
      return res.headers.get('strict-transport-security');
    });
    expect(hsts).toMatch(/^max-age=\d+/);
    await context.close();
  });
});
