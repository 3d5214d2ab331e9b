/**
 * The access-control and TLS pieces of the ingress that need no running stack: the container's
 * envsh and `ingressSecurityVars()` agree, the rendered template passes `nginx -t` with auth and
 * TLS on, and the fallback's htpasswd reader, failure limiter and basic-auth gate behave as the
 * nginx template does. The running behaviour is in e2e/security/exposure.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcryptjs';
import { afterAll, describe, expect, it } from 'vitest';
import { createBasicAuthGate } from '../../scripts/lib/basic-auth-gate.ts';
import { createFailureLimiter, NGINX_FAILURE_LIMITS } from '../../scripts/lib/failure-limiter.ts';
import { parseHtpasswd } from '../../scripts/lib/htpasswd.ts';
import {
  findNginx,
  ingressSecurityVars,
  NGINX_TEMPLATE,
  removeAuthCopy,
  testNginxConfig,
  writeNginxConfig,
} from '../../scripts/lib/nginx.ts';
import { readFileSync } from 'node:fs';
import { basic, makeAuthFile, makeCertificate } from '../security/fixtures.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENVSH = join(ROOT, 'nginx/docker-entrypoint.d/15-ingress-security.envsh');
const dir = mkdtempSync(join(tmpdir(), 'ingress-security-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const auth = makeAuthFile(dir);
const cert = makeCertificate(dir);
const OUTPUTS = ['INGRESS_AUTH', 'INGRESS_AUTH_USER_FILE', 'INGRESS_TLS', 'INGRESS_SECRET'];

/** Sources the envsh with `files` in its directory, as the nginx image's entrypoint does. */
function envsh(files: string[], env: Record<string, string> = {}) {
  const filesDir = mkdtempSync(join(dir, 'files-'));
  for (const name of ['htpasswd', 'tls.crt', 'tls.key']) {
    // Compose mounts /dev/null for what is not configured: an empty file.
    const source = { htpasswd: auth.path, 'tls.crt': cert.cert, 'tls.key': cert.key }[name]!;
    writeFileSync(join(filesDir, name), files.includes(name) ? readFileSync(source) : '');
  }
  const script = `. "${ENVSH}" && printf '%s\\0' ${OUTPUTS.map((v) => `"$${v}"`).join(' ')}`;
  const run = spawnSync('sh', ['-c', script], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, INGRESS_FILES_DIR: filesDir, ...env },
  });
  const values = run.stdout.split('\0');
  return {
    status: run.status,
    stderr: run.stderr,
    dir: filesDir,
    vars: Object.fromEntries(OUTPUTS.map((name, i) => [name, values[i]])),
  };
}

describe('the container envsh and ingressSecurityVars()', () => {
  const env = { NGINX_TLS_LISTEN: '8443', HTTPS_PORT: '443', INGRESS_SECRET: 'x'.repeat(32) };

  it.each([
    { files: [], name: 'nothing configured: open, plain HTTP' },
    { files: ['htpasswd'], name: 'an htpasswd file: locked' },
    { files: ['tls.crt', 'tls.key'], name: 'a certificate: HTTPS' },
    { files: ['htpasswd', 'tls.crt', 'tls.key'], name: 'both' },
  ])('derive the same template variables with $name', ({ files }) => {
    const shell = envsh(files, env);
    expect(shell.status).toBe(0);
    expect(shell.vars).toEqual(
      ingressSecurityVars({
        authUserFile: files.includes('htpasswd') ? join(shell.dir, 'htpasswd') : undefined,
        tls: files.includes('tls.crt')
          ? { cert: join(shell.dir, 'tls.crt'), key: join(shell.dir, 'tls.key') }
          : undefined,
        tlsListen: '8443',
        httpsPort: 443,
        secret: env.INGRESS_SECRET,
      }),
    );
  });

  it('stops the container when only one of certificate and key is given', () => {
    const shell = envsh(['tls.crt'], env);
    expect(shell.status).toBe(1);
    expect(shell.stderr).toMatch(/INGRESS_TLS_CERT and INGRESS_TLS_KEY go together/);
  });

  it('warns when the ingress is locked but the broadcaster has no secret', () => {
    const shell = envsh(['htpasswd'], { ...env, INGRESS_SECRET: '' });
    expect(shell.status).toBe(0);
    expect(shell.stderr).toMatch(/INGRESS_SECRET is not/);
  });
});

describe.skipIf(!findNginx())('the template with auth and TLS on', () => {
  it('passes `nginx -t`, with HTTP/2 on the TLS listener', () => {
    const prefix = mkdtempSync(join(dir, 'nginx-'));
    writeNginxConfig({
      dir: prefix,
      listen: '127.0.0.1:8080',
      frontendUpstream: '127.0.0.1:3000',
      broadcasterUpstream: '127.0.0.1:3002',
      security: {
        authFile: auth.path,
        tls: { cert: cert.cert, key: cert.key },
        tlsListen: '127.0.0.1:8443',
        httpsPort: 8443,
        secret: 'y'.repeat(32),
      },
    });
    try {
      expect(testNginxConfig(prefix)).toMatch(/syntax is ok/);
    } finally {
      removeAuthCopy(prefix);
    }
    const rendered = readFileSync(join(prefix, 'default.conf'), 'utf8');
    expect(rendered).toMatch(/listen 127\.0\.0\.1:8443 ssl http2;/);
    expect(rendered).toMatch(/auth_basic "Metrics dashboard";/);
    expect(rendered).toMatch(/proxy_set_header X-Ingress-Secret "y{32}";/);
  });

  it('keeps /healthz open and sends every 401 through the failure limiter', () => {
    const template = readFileSync(NGINX_TEMPLATE, 'utf8');
    expect(template).toMatch(/location = \/healthz \{\s*auth_basic off;/);
    expect(template).toMatch(/error_page 401 = @ingress_auth_failed;/);
    const { ratePerSecond, burst, delay } = NGINX_FAILURE_LIMITS;
    expect(template).toContain(`zone=ingress_auth_fail:10m rate=${ratePerSecond}r/s;`);
    expect(template).toContain(`limit_req zone=ingress_auth_fail burst=${burst} delay=${delay};`);
    // The burst must exceed the connections one address may hold, or a guesser is told 429.
    const perAddress = Number(/limit_conn ingress_conn_per_ip (\d+);/.exec(template)?.[1]);
    expect(burst).toBeGreaterThan(perAddress);
  });
});

describe('parseHtpasswd', () => {
  const file = parseHtpasswd(readFileSync(auth.path, 'utf8'));

  it('verifies apr1 ($apr1$, openssl) and bcrypt ($2y$, $2b$) entries', async () => {
    expect(file.users).toEqual([auth.apr1.user, auth.bcrypt.user]);
    expect(await file.verify(auth.apr1.user, auth.apr1.pass)).toBe(true);
    expect(await file.verify(auth.bcrypt.user, auth.bcrypt.pass)).toBe(true);
    const b = parseHtpasswd(`b:${bcrypt.hashSync('pw', 4)}\n`);
    expect(await b.verify('b', 'pw')).toBe(true);
  });

  it('refuses wrong passwords, swapped passwords and unknown users', async () => {
    expect(await file.verify(auth.apr1.user, 'wrong')).toBe(false);
    expect(await file.verify(auth.apr1.user, auth.bcrypt.pass)).toBe(false);
    expect(await file.verify(auth.bcrypt.user, auth.apr1.pass)).toBe(false);
    expect(await file.verify('nobody', auth.apr1.pass)).toBe(false);
  });

  it.each([
    ['a {SHA} entry', 'u:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n'],
    ['a crypt(3) entry', 'u:rl0uE0lgxTaWs\n'],
    ['a plain password', 'u:secret\n'],
    ['a line without a colon', 'just-a-user\n'],
    ['no users', '# only a comment\n\n'],
  ])('refuses a file with %s, naming the line', (_, text) => {
    expect(() => parseHtpasswd(text, 'users.htpasswd')).toThrow(/^users\.htpasswd/);
  });
});

describe('createFailureLimiter (the template: 1 r/s, burst 200, delay 5)', () => {
  it('answers the first failures at once, then one second more per failure', () => {
    const limiter = createFailureLimiter();
    const delays = Array.from({ length: 9 }, () => limiter.fail('10.0.0.1', 0));
    expect(delays.map((v) => (v.kind === 'delay' ? v.ms : v.kind))).toEqual([
      0, 0, 0, 0, 0, 0, 1000, 2000, 3000,
    ]);
  });

  it('drains at the rate, per address', () => {
    const limiter = createFailureLimiter();
    for (let i = 0; i < 9; i++) limiter.fail('10.0.0.1', 0);
    expect(limiter.fail('10.0.0.2', 0)).toEqual({ kind: 'delay', ms: 0 });
    // 8 in the bucket at t=0; 5 s later 3 are left, +1 for this failure.
    expect(limiter.fail('10.0.0.1', 5_000)).toEqual({ kind: 'delay', ms: 0 });
    expect(limiter.fail('10.0.0.1', 60_000)).toEqual({ kind: 'delay', ms: 0 });
  });

  it('refuses past the burst without counting the refusal', () => {
    const limiter = createFailureLimiter({ ratePerSecond: 1, burst: 3, delay: 1 });
    expect(limiter.full('a', 0)).toBe(false);
    const verdicts = Array.from({ length: 6 }, () => limiter.fail('a', 0).kind);
    expect(verdicts).toEqual(['delay', 'delay', 'delay', 'delay', 'reject', 'reject']);
    expect(limiter.full('a', 0)).toBe(true);
    expect(limiter.full('b', 0)).toBe(false);
    expect(limiter.full('a', 1_000)).toBe(false);
    expect(limiter.fail('a', 1_000).kind).toBe('delay');
  });
});

describe('createBasicAuthGate', () => {
  const request = (authorization?: string, address = '10.1.1.1') =>
    ({
      headers: authorization ? { authorization } : {},
      socket: { remoteAddress: address },
    }) as unknown as IncomingMessage;
  const htpasswd = parseHtpasswd(readFileSync(auth.path, 'utf8'));

  it('challenges without credentials and with wrong ones, lets the right ones in', async () => {
    const gate = createBasicAuthGate({ htpasswd, realm: 'R' });
    for (const header of [
      undefined,
      basic({ user: 'ops', pass: 'x' }),
      'Bearer abc',
      'Basic ???',
    ]) {
      expect(await gate.check(request(header))).toEqual({
        ok: false,
        status: 401,
        headers: { 'WWW-Authenticate': 'Basic realm="R", charset="UTF-8"' },
      });
    }
    expect(await gate.check(request(basic(auth.bcrypt)))).toEqual({ ok: true, user: 'viewer' });
  });

  it('checks a header once and remembers it for a while', async () => {
    let now = 0;
    let checks = 0;
    const counting = {
      users: htpasswd.users,
      verify: (user: string, pass: string) => (checks++, htpasswd.verify(user, pass)),
    };
    const gate = createBasicAuthGate({
      htpasswd: counting,
      realm: 'R',
      now: () => now,
      cacheMs: 1_000,
    });
    for (let i = 0; i < 3; i++) expect((await gate.check(request(basic(auth.apr1)))).ok).toBe(true);
    expect(checks).toBe(1);
    now = 2_000;
    expect((await gate.check(request(basic(auth.apr1)))).ok).toBe(true);
    expect(checks).toBe(2);
  });

  it('answers 429 once an address is past the burst, before checking any password', async () => {
    let checks = 0;
    const counting = { users: [], verify: async () => (checks++, false) };
    const gate = createBasicAuthGate({
      htpasswd: counting,
      realm: 'R',
      limiter: createFailureLimiter({ ratePerSecond: 1, burst: 1, delay: 5 }),
      now: () => 0,
    });
    expect((await gate.check(request(basic(auth.apr1)))).ok).toBe(false);
    expect((await gate.check(request(basic(auth.apr1)))).ok).toBe(false);
    expect(await gate.check(request(basic(auth.apr1)))).toMatchObject({ status: 429 });
    expect(await gate.check(request(basic(auth.apr1), '10.9.9.9'))).toMatchObject({ status: 401 });
    expect(checks).toBe(3);
  });
});
