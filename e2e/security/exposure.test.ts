/**
 * Issue 16 under `npm start` (scripts/start.ts, as `npm start` runs it), once with nginx and once
 * with the embedded fallback ingress (`--no-nginx`), both locked with an htpasswd file and
 * serving HTTPS with a self-signed certificate made here:
 *  - bind addresses read back from the listening sockets of the processes it started: the
 *    services on loopback, only the ingress beyond it; from a second network namespace only the
 *    ingress answers;
 *  - every path is 401 without and with wrong credentials, 200 with right ones (apr1, bcrypt);
 *    socket.io connects over wss: and long-polling with credentials only; a direct handshake to
 *    the broadcaster is refused; repeated failures are slowed;
 *  - plain HTTP redirects to HTTPS (but /healthz answers), HSTS on HTTPS.
 *
 * `npm start` binds the DESIGN ports 3000–3002: when something else holds them, this file is
 * skipped with the reason printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitLines } from '../../scripts/lib/child-process.ts';
import { findNginx } from '../../scripts/lib/nginx.ts';
import { freePort } from '../../scripts/lib/free-port.ts';
import {
  basic,
  get,
  isLoopback,
  listeningSockets,
  makeAuthFile,
  makeCertificate,
  makeNamespace,
  namespaceUnavailable,
  processTree,
  type AuthFile,
  type Certificate,
} from './fixtures.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Free ports, handed to npm start as FRONTEND_PORT, GENERATOR_PORT and BROADCASTER_PORT: the
// defaults 3000–3002 may be held by another stack on a shared machine.
const SERVICE_PORTS = {
  frontend: await freePort(),
  'metric-generator': await freePort(),
  'metric-broadcaster': await freePort(),
};

async function busy(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}
const taken = [];
for (const port of Object.values(SERVICE_PORTS)) if (await busy(port)) taken.push(port);
const skipReason = taken.length
  ? `ports ${taken.join(', ')} were free a moment ago and are in use now`
  : undefined;
if (skipReason) console.warn(`exposure tests skipped: ${skipReason}`);
const nsSkip = namespaceUnavailable();
if (nsSkip) console.warn(`network namespace test skipped: ${nsSkip}`);

interface Run {
  child: ChildProcess;
  output: string[];
  httpPort: number;
  httpsPort: number;
}

const START_TIMEOUT_MS = 240_000;

async function startNpmStart(args: string[], env: Record<string, string>): Promise<Run> {
  const httpPort = await freePort('0.0.0.0');
  let httpsPort = await freePort('0.0.0.0');
  while (httpsPort === httpPort) httpsPort = await freePort('0.0.0.0');
  const tsx = fileURLToPath(import.meta.resolve('tsx/cli'));
  const child = spawn(process.execPath, [tsx, 'scripts/start.ts', ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...env,
      HTTP_PORT: String(httpPort),
      HTTPS_PORT: String(httpsPort),
      FRONTEND_PORT: String(SERVICE_PORTS.frontend),
      GENERATOR_PORT: String(SERVICE_PORTS['metric-generator']),
      BROADCASTER_PORT: String(SERVICE_PORTS['metric-broadcaster']),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own group, as in a terminal: the test stops it with one signal to the group.
    detached: true,
  });
  const output: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`npm start was not ready in time:\n${output.join('\n')}`)),
      START_TIMEOUT_MS,
    );
    const onLine = (line: string) => {
      output.push(line);
      if (line.startsWith('dashboard: ')) {
        clearTimeout(timer);
        resolve();
      }
    };
    splitLines(child.stdout!, onLine);
    splitLines(child.stderr!, onLine);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        new Error(`npm start exited (code ${code}) before it was ready:\n${output.join('\n')}`),
      );
    });
  });
  return { child, output, httpPort, httpsPort };
}

async function stopNpmStart(run: Run | undefined): Promise<void> {
  if (!run || run.child.exitCode !== null) return;
  const exited = new Promise((resolve) => run.child.once('exit', resolve));
  process.kill(-run.child.pid!, 'SIGTERM');
  const timer = setTimeout(() => process.kill(-run.child.pid!, 'SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

function connect(
  url: string,
  options: { transports: ['websocket'] | ['polling']; authorization?: string; ca?: string },
): Promise<{ socket: Socket; servers: Promise<unknown> }> {
  const socket = io(url, {
    transports: options.transports,
    reconnection: false,
    forceNew: true,
    timeout: 20_000,
    ca: options.ca,
    extraHeaders: options.authorization ? { authorization: options.authorization } : {},
  });
  // The broadcaster sends `servers` on connect: listen before the handshake completes.
  const servers = new Promise<unknown>((resolve) => socket.once('servers', resolve));
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve({ socket, servers }));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

const MODES = [
  { name: 'nginx', args: [] as string[], skip: !findNginx() },
  { name: 'the embedded fallback', args: ['--no-nginx'], skip: false },
];

describe.skipIf(skipReason).each(MODES)('npm start, locked and on HTTPS, with $name', (mode) => {
  let dir: string;
  let auth: AuthFile;
  let cert: Certificate;
  let run: Run | undefined;
  let https: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'exposure-'));
    auth = makeAuthFile(dir);
    cert = makeCertificate(dir);
    run = await startNpmStart(mode.args, {
      INGRESS_AUTH_FILE: auth.path,
      INGRESS_TLS_CERT: cert.cert,
      INGRESS_TLS_KEY: cert.key,
      DB_PATH: join(dir, 'metrics.db'),
      SERVER_COUNT: '3',
    });
    https = `https://127.0.0.1:${run.httpsPort}`;
  }, START_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    await stopNpmStart(run);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it.skipIf(mode.skip)('binds every service to loopback and only the ingress beyond it', () => {
    const sockets = listeningSockets(processTree(run!.child.pid!));
    for (const [service, port] of Object.entries(SERVICE_PORTS)) {
      const bound = sockets.filter((s) => s.port === port);
      expect(bound.length, `${service} listens on ${port}`).toBeGreaterThan(0);
      for (const s of bound) expect(s.address, `${service} :${port}`).toBe('127.0.0.1');
    }
    const exposed = sockets.filter((s) => !isLoopback(s.address));
    expect([...new Set(exposed.map((s) => `${s.address}:${s.port}`))].sort()).toEqual(
      [`0.0.0.0:${run!.httpPort}`, `0.0.0.0:${run!.httpsPort}`].sort(),
    );
  });

  it.skipIf(mode.skip || nsSkip)(
    'is reached from another network namespace at the ingress and nowhere else',
    () => {
      const ns = makeNamespace();
      try {
        const ports = [run!.httpPort, run!.httpsPort, ...Object.values(SERVICE_PORTS)];
        const script = `
          const net = require('node:net');
          const probe = (port) => new Promise((resolve) => {
            const s = net.connect({ host: ${JSON.stringify(ns.hostAddress)}, port, timeout: 5000 });
            s.once('connect', () => { s.destroy(); resolve('open'); });
            s.once('timeout', () => { s.destroy(); resolve('timeout'); });
            s.once('error', (e) => resolve(e.code));
          });
          (async () => {
            const out = {};
            for (const port of ${JSON.stringify(ports)}) out[port] = await probe(port);
            const res = await fetch('http://${ns.hostAddress}:${run!.httpPort}/healthz');
            out.healthz = res.status;
            process.stdout.write(JSON.stringify(out));
          })();`;
        const seen = JSON.parse(ns.node(script)) as Record<string, string | number>;
        expect(seen[run!.httpPort]).toBe('open');
        expect(seen[run!.httpsPort]).toBe('open');
        expect(seen.healthz).toBe(200);
        for (const port of Object.values(SERVICE_PORTS)) {
          expect(seen[port], `port ${port} from the namespace`).not.toBe('open');
        }
      } finally {
        ns.remove();
      }
    },
    30_000,
  );

  it.skipIf(mode.skip)('redirects plain HTTP to HTTPS, but answers /healthz itself', async () => {
    const redirect = await get(`http://127.0.0.1:${run!.httpPort}/some/where?x=1`);
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe(`https://127.0.0.1:${run!.httpsPort}/some/where?x=1`);
    const health = await get(`http://127.0.0.1:${run!.httpPort}/healthz`);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: 'ok' });
  });

  it.skipIf(mode.skip)(
    'answers 401 on every path without or with wrong credentials, 200 with right ones, over HTTPS with HSTS',
    async () => {
      const ca = cert.ca;
      const right = [basic(auth.apr1), basic(auth.bcrypt)];
      const index = await get(`${https}/`, { ca, headers: { authorization: right[0]! } });
      expect(index.status).toBe(200);
      expect(index.headers['strict-transport-security']).toMatch(/^max-age=\d{7,}/);
      const asset = /\/assets\/[^"']+\.js/.exec(index.body)?.[0];
      expect(asset, 'index.html names a script under /assets/').toBeDefined();
      const paths = ['/', asset!, '/socket.io/?EIO=4&transport=polling'];
      const wrong = [
        undefined,
        basic({ user: auth.apr1.user, pass: 'wrong' }),
        basic({ user: auth.bcrypt.user, pass: auth.apr1.pass }),
        basic({ user: 'nobody', pass: auth.bcrypt.pass }),
        'Basic !!!not-base64',
      ];
      for (const path of paths) {
        for (const authorization of wrong) {
          const res = await get(`${https}${path}`, {
            ca,
            headers: authorization ? { authorization } : {},
          });
          expect(res.status, `${path} with ${authorization ?? 'no credentials'}`).toBe(401);
          expect(res.headers['www-authenticate']).toMatch(/^Basic realm="Metrics dashboard"/);
        }
        for (const authorization of right) {
          const res = await get(`${https}${path}`, { ca, headers: { authorization } });
          expect(res.status, `${path} with right credentials`).toBe(200);
        }
      }
      expect((await get(`${https}/healthz`, { ca })).status).toBe(200);
    },
    120_000,
  );

  it.skipIf(mode.skip)(
    'lets socket.io connect over wss: and long-polling with credentials, and not without',
    async () => {
      const ca = cert.ca;
      for (const transports of [['websocket'], ['polling']] as const) {
        await expect(
          connect(https, { transports: [...transports] as ['websocket'], ca }),
        ).rejects.toThrow();
        const { socket, servers } = await connect(https, {
          transports: [...transports] as ['websocket'],
          ca,
          authorization: basic(auth.bcrypt),
        });
        try {
          expect(socket.io.engine.transport.name).toBe(transports[0]);
          expect(await servers).toMatchObject({ servers: expect.any(Array) });
        } finally {
          socket.close();
        }
      }
    },
    120_000,
  );

  it.skipIf(mode.skip)('refuses a handshake that goes to the broadcaster directly', async () => {
    const broadcaster = `http://127.0.0.1:${SERVICE_PORTS['metric-broadcaster']}`;
    const polling = await get(`${broadcaster}/socket.io/?EIO=4&transport=polling`);
    expect(polling.status).toBe(403);
    expect(polling.body).toMatch(/through the ingress only/);
    await expect(connect(broadcaster, { transports: ['websocket'] })).rejects.toThrow();
    // Credentials are the ingress's business: they do not open the broadcaster either.
    await expect(
      connect(broadcaster, { transports: ['websocket'], authorization: basic(auth.apr1) }),
    ).rejects.toThrow();
  });

  it.skipIf(mode.skip)(
    'slows down repeated failures from one address, and still lets the right password in',
    async () => {
      const wrong = basic({ user: auth.apr1.user, pass: 'guess' });
      const replies = await Promise.all(
        Array.from({ length: 12 }, () =>
          get(`${https}/`, { ca: cert.ca, headers: { authorization: wrong }, timeoutMs: 60_000 }),
        ),
      );
      expect(replies.map((r) => r.status)).toEqual(Array(12).fill(401));
      // 1 failure per second past the first few: the last of 12 at once waits ≥ 6 s. A lower
      // bound only, which a loaded machine can only make longer.
      expect(Math.max(...replies.map((r) => r.ms))).toBeGreaterThanOrEqual(3_000);
      const right = await get(`${https}/`, {
        ca: cert.ca,
        headers: { authorization: basic(auth.apr1) },
      });
      expect(right.status).toBe(200);
    },
    120_000,
  );
});
