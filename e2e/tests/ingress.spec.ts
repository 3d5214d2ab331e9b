/**
 * The ingress as a browser and an outside client meet it: real nginx rendered from
 * nginx/templates/default.conf.template, in front of the real services, on loopback.
 */
import { expandServerIds, type FleetFramePayload, type ServersPayload } from '@metrics/protocol';
import { test, expect } from '../fixtures/stack.ts';
import { recordSocketTraffic } from '../fixtures/socket-frames.ts';

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** The CSP directives the dashboard's security rests on. */
function expectStrictCsp(csp: string | undefined): void {
  expect(csp, 'Content-Security-Policy header').toBeDefined();
  const directives = new Map(
    csp!
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0])
      .map(([name, ...values]) => [name!, values]),
  );
  expect(directives.get('script-src')).toEqual(["'self'"]);
  expect(directives.get('connect-src')).toEqual(["'self'"]);
  expect(directives.get('default-src')).toEqual(["'self'"]);
  expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
  expect(directives.get('object-src')).toEqual(["'none'"]);
}

test('answers its own health check without touching an upstream', async ({ request }) => {
  const res = await request.get('/healthz');
  expect(res.status()).toBe(200);
  expect(await res.json()).toEqual({ status: 'ok' });
});

test('sends the security headers and hides its version on every kind of response', async ({
  request,
}) => {
  for (const path of ['/', '/healthz', '/no-such-page']) {
    const res = await request.get(path);
    const headers = res.headers();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      expect(headers[name], `${name} on ${path} (${res.status()})`).toBe(value);
    }
    expectStrictCsp(headers['content-security-policy']);
    expect(headers.server, `server header on ${path}`).toBe('nginx');
  }
});

test('does not route any generator path, though the generator serves them', async ({
  request,
  stack,
}) => {
  const paths = [
    '/v1/servers',
    '/v1/latest',
    '/v1/servers/server-1/latest',
    '/v1/servers/server-1/history',
  ];
  for (const path of paths) {
    const direct = await fetch(`${stack.generator.url}${path}`);
    expect(direct.status, `generator itself answers ${path}`).toBe(200);
    await direct.arrayBuffer();
    const viaIngress = await request.get(path);
    expect(viaIngress.status(), `${path} through the ingress`).toBe(404);
    expect(await viaIngress.text()).not.toContain('server-1"');
  }
});

test('serves hashed assets gzip-compressed with a year-long immutable cache', async ({ stack }) => {
  const index = await fetch(`${stack.url}/`);
  expect(index.status).toBe(200);
  expect(index.headers.get('cache-control') ?? '').not.toContain('immutable');
  const html = await index.text();
  const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.(?:js|css))"/g)].map(
    (m) => m[1]!,
  );
  expect(assets.length, 'index.html references hashed assets').toBeGreaterThan(0);
  for (const asset of assets) {
    const res = await fetch(`${stack.url}${asset}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.status, asset).toBe(200);
    expect(res.headers.get('cache-control'), asset).toBe('public, max-age=31536000, immutable');
    const size = (await res.arrayBuffer()).byteLength;
    if (size >= 1024) expect(res.headers.get('content-encoding'), asset).toBe('gzip');
  }
  const missing = await fetch(`${stack.url}/assets/no-such-file-0123abcd.js`);
  expect(missing.status).toBe(404);
  expect(missing.headers.get('cache-control') ?? '').not.toContain('immutable');
});

test('the dashboard streams the whole fleet over a WebSocket through nginx, never polling', async ({
  page,
  stack,
}) => {
  const traffic = recordSocketTraffic(page);
  const blocked: string[] = [];
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) blocked.push(msg.text());
  });

  await page.goto('/');

  // The server list the broadcaster announces names every simulated server.
  await expect.poll(() => traffic.named('servers').length).toBeGreaterThan(0);
  const announced = traffic.named('servers').at(-1)!.payload as ServersPayload;
  expect(expandServerIds(announced.servers).sort()).toEqual(
    Array.from({ length: stack.serverCount }, (_, i) => `server-${i + 1}`).sort(),
  );

  // Live updates keep arriving: at least three distinct ticks of fleet frames.
  await expect
    .poll(
      () => new Set(traffic.named('fleet').map((e) => (e.payload as FleetFramePayload).tick)).size,
      {
        timeout: 15_000,
      },
    )
    .toBeGreaterThanOrEqual(3);
  for (const event of traffic.named('fleet')) {
    expect((event.payload as FleetFramePayload).count).toBe(stack.serverCount);
  }
  // What the user sees: the servers table lists every server (ARIA counts the header row too).
  await expect(page.getByRole('table', { name: 'Servers' })).toHaveAttribute(
    'aria-rowcount',
    String(stack.serverCount + 1),
  );

  expect(traffic.websockets.length).toBeGreaterThan(0);
  for (const url of traffic.websockets) {
    expect(new URL(url).host, 'the socket goes through the ingress').toBe(new URL(stack.url).host);
    expect(url).toContain('transport=websocket');
  }
  expect(traffic.pollingRequests, 'no long-polling requests').toEqual([]);
  expect(blocked, 'nothing blocked by the Content-Security-Policy').toEqual([]);
});

test('a restarted broadcaster is reachable again through the same nginx upstream', async ({
  page,
  stack,
}) => {
  const traffic = recordSocketTraffic(page);
  await page.goto('/');
  await expect.poll(() => traffic.named('fleet').length, { timeout: 15_000 }).toBeGreaterThan(0);

  await stack.restart('metric-broadcaster');
  const before = traffic.websockets.length;
  const framesBefore = traffic.named('fleet').length;

  // socket.io reconnects by itself; the new socket must again be a WebSocket through nginx.
  await expect.poll(() => traffic.websockets.length, { timeout: 20_000 }).toBeGreaterThan(before);
  await expect
    .poll(() => traffic.named('fleet').length, { timeout: 20_000 })
    .toBeGreaterThan(framesBefore);
  expect(traffic.pollingRequests).toEqual([]);
});
