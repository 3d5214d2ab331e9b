/**
 * Runs the system's nginx (Debian's `nginx` package) as a foreground child process with its own
 * prefix directory, from the same template the official nginx image renders
 * (`nginx/templates/default.conf.template`). Used by `npm start`, the Playwright stack and the
 * compose/nginx contract test.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  chownSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exitOf, splitLines, stopper, type ExitResult } from './child-process.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const NGINX_TEMPLATE = join(ROOT, 'nginx/templates/default.conf.template');

/** The variables the template reads; every other `$name` in it belongs to nginx. */
export const TEMPLATE_VARIABLES = [
  'NGINX_LISTEN',
  'NGINX_RESOLVER',
  'FRONTEND_UPSTREAM',
  'BROADCASTER_SERVERS',
  ...(['INGRESS_AUTH', 'INGRESS_AUTH_USER_FILE', 'INGRESS_TLS', 'INGRESS_SECRET'] as const),
] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

// ---- access control and TLS (issue 16; docs/security.md) ------------------------------------

/** The realm browsers show in their login prompt. */
export const AUTH_REALM = 'Metrics dashboard';
/** `Strict-Transport-Security` the ingress sends over HTTPS (two years, as hstspreload asks). */
export const HSTS = 'max-age=63072000';

/** What turns the ingress's lock and TLS on; everything absent leaves it open on plain HTTP. */
export interface IngressSecurity {
  /** htpasswd file (apr1, bcrypt entries) as nginx reads it: basic auth on all but /healthz. */
  authUserFile?: string;
  /** Certificate chain and key (PEM): HTTPS on `tlsListen`, plain HTTP redirects to it. */
  tls?: { cert: string; key: string };
  /** `port` or `address:port` of the HTTPS listener (with `tls`). */
  tlsListen?: string;
  /** The HTTPS port browsers are redirected to (what is published, with `tls`). */
  httpsPort?: number;
  /** Added as `X-Ingress-Secret` to proxied `/socket.io/` requests; the broadcaster checks it. */
  secret?: string;
}

/**
 * The template's access-control and TLS variables. The container derives the same values in
 * nginx/docker-entrypoint.d/15-ingress-security.envsh (a contract test runs both).
 */
export function ingressSecurityVars(
  security: IngressSecurity = {},
): Record<'INGRESS_AUTH' | 'INGRESS_AUTH_USER_FILE' | 'INGRESS_TLS' | 'INGRESS_SECRET', string> {
  const { authUserFile, tls } = security;
  let tlsDirectives = '# TLS off: no certificate given';
  if (tls) {
    if (!security.tlsListen || !security.httpsPort) {
      throw new Error('TLS needs tlsListen and httpsPort');
    }
    tlsDirectives =
      `listen ${security.tlsListen} ssl http2; ` +
      `ssl_certificate ${tls.cert}; ssl_certificate_key ${tls.key}; ` +
      `add_header Strict-Transport-Security "${HSTS}" always; ` +
      `if ($ingress_plain_http) { return 301 https://$host:${security.httpsPort}$request_uri; }`;
  }
  return {
    INGRESS_AUTH: authUserFile ? AUTH_REALM : 'off',
    INGRESS_AUTH_USER_FILE: authUserFile ?? '/dev/null',
    INGRESS_TLS: tlsDirectives,
    INGRESS_SECRET: security.secret ?? '',
  };
}

/**
 * Where nginx's workers read the htpasswd copy of the prefix `dir`: a directory of its own under
 * the system's temporary directory, because workers read the file on every request and, when
 * nginx starts as root, run as `nobody`, who cannot pass through a user's home or a 0700
 * temporary directory (where the prefix and the user's file may well be). Removed when nginx
 * exits (`startNginx`); `removeAuthCopy` for a config that was only tested.
 */
export function authCopyDir(dir: string): string {
  const id = createHash('sha256').update(resolve(dir)).digest('hex').slice(0, 16);
  return join(tmpdir(), `metrics-ingress-auth-${id}`);
}

export function removeAuthCopy(dir: string): void {
  rmSync(authCopyDir(dir), { recursive: true, force: true });
}

/** Copies the htpasswd file where the workers, and only they, can read it (see `authCopyDir`). */
function workerReadableCopy(source: string, dir: string): string {
  const copyDir = authCopyDir(dir);
  mkdirSync(copyDir, { recursive: true, mode: 0o711 });
  chmodSync(copyDir, 0o711);
  const copy = join(copyDir, 'htpasswd');
  rmSync(copy, { force: true });
  copyFileSync(source, copy);
  chmodSync(copy, 0o600);
  if (process.getuid?.() === 0) {
    const id = (flag: string) =>
      Number(spawnSync('id', [flag, 'nobody'], { encoding: 'utf8' }).stdout.trim());
    const [uid, gid] = [id('-u'), id('-g')];
    if (Number.isInteger(uid) && Number.isInteger(gid)) chownSync(copy, uid, gid);
  }
  return copy;
}
// ---- end of access control and TLS ------------------------------------------------------------

/**
 * Passive health of each local broadcaster replica: none (`max_fails=0`). On loopback a replica
 * that is down refuses at once, and `proxy_next_upstream` takes the handshake to the next one in
 * microseconds, so marking it failed saves nothing. It would cost: nginx clears a failure mark
 * only when a request sent after `fail_timeout` *finishes*, and a WebSocket finishes when it
 * closes, so a restarted replica would get one new client per `fail_timeout` until its first
 * client leaves (measured: 1 of 6 new clients; docs/scaling.md). Compose passes its own
 * parameters (`BROADCASTER_SERVERS`), where a vanished container can cost a connect timeout.
 */
export const BROADCASTER_SERVER_PARAMS = 'max_fails=0';

/**
 * The broadcaster upstream's `server` lines for replicas at fixed addresses (`host:port` each),
 * as the template's `${BROADCASTER_SERVERS}` takes them.
 */
export function broadcasterServers(addresses: readonly string[]): string {
  if (addresses.length === 0) throw new Error('the broadcaster upstream needs at least one server');
  return addresses
    .map((address) => `server ${address} ${BROADCASTER_SERVER_PARAMS};`)
    .join('\n    ');
}

/**
 * Fills the template exactly as `envsubst '${NGINX_LISTEN} ${FRONTEND_UPSTREAM} …'` does (the
 * official image passes the same explicit list of defined variables): `$NAME` and `${NAME}` of
 * the listed names are replaced, nginx's own `$host`, `$http_upgrade`, … are left alone.
 */
export function renderTemplate(
  vars: Record<TemplateVariable, string>,
  template: string = readFileSync(NGINX_TEMPLATE, 'utf8'),
): string {
  return template.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (all, a, b) => {
      const name = (a ?? b) as string;
      return (TEMPLATE_VARIABLES as readonly string[]).includes(name)
        ? vars[name as TemplateVariable]
        : all;
    },
  );
}

/** Path of the nginx binary: `nginx` on PATH, else Debian's /usr/sbin/nginx; undefined if absent. */
export function findNginx(): string | undefined {
  const dirs = [
    ...(process.env.PATH ?? '').split(':').filter(Boolean),
    '/usr/sbin',
    '/usr/local/sbin',
  ];
  for (const dir of dirs) {
    const candidate = join(dir, 'nginx');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface NginxConfigOptions {
  /** Prefix directory: holds nginx.conf, the rendered server config, pid, logs and temp files. */
  dir: string;
  /** `port` or `address:port`, as nginx's `listen` takes it. */
  listen: string;
  frontendUpstream: string;
  /** `host:port` of each broadcaster replica (one string: a single replica). */
  broadcasterUpstream: string | readonly string[];
  /**
   * Access log: a file path or `off`; default `<dir>/logs/access.log`. Not /dev/stdout: under
   * Node the child's stdout is a socket, which nginx cannot open by path.
   */
  accessLog?: string;
  /**
   * `worker_connections` (default 4096). A proxied WebSocket holds two: the bench's thousands
   * of clients need more.
   */
  workerConnections?: number;
  /** `worker_processes` (default 1). */
  workerProcesses?: number;
  /**
   * Overrides the template's `limit_conn` per client address. Only for a bench, whose thousands
   * of load clients all come from 127.0.0.1; throws if the template has no such line.
   */
  connectionsPerAddress?: number;
  /** Basic auth, TLS and the broadcaster's secret (issue 16); absent: open, plain HTTP. */
  security?: Omit<IngressSecurity, 'authUserFile'> & { authFile?: string };
}

/**
 * Writes `<dir>/nginx.conf`, a minimal main config that does what the official image's does for
 * its conf.d files: include the rendered template inside `http {}`.
 */
export function writeNginxConfig(options: NginxConfigOptions): string {
  const { dir } = options;
  mkdirSync(join(dir, 'logs'), { recursive: true });
  mkdirSync(join(dir, 'temp'), { recursive: true });
  // Workers run as `nobody` when nginx starts as root: they must be able to reach the temp paths.
  chmodSync(dir, 0o755);
  const { authFile, ...security } = options.security ?? {};
  let rendered = renderTemplate({
    NGINX_LISTEN: options.listen,
    // Loopback addresses only: nothing to resolve at run time.
    NGINX_RESOLVER: '',
    FRONTEND_UPSTREAM: options.frontendUpstream,
    BROADCASTER_SERVERS: broadcasterServers(
      typeof options.broadcasterUpstream === 'string'
        ? [options.broadcasterUpstream]
        : options.broadcasterUpstream,
    ),
    ...ingressSecurityVars({
      ...security,
      authUserFile: authFile ? workerReadableCopy(authFile, dir) : undefined,
    }),
  });
  if (options.connectionsPerAddress !== undefined) {
    const limit = /^(\s*limit_conn ingress_conn_per_ip )\d+;/m;
    if (!limit.test(rendered))
      throw new Error('the template has no limit_conn ingress_conn_per_ip');
    rendered = rendered.replace(limit, `$1${options.connectionsPerAddress};`);
  }
  writeFileSync(join(dir, 'default.conf'), rendered);
  const mimeTypes = [
    '/etc/nginx/mime.types',
    '/usr/local/etc/nginx/mime.types',
    '/opt/homebrew/etc/nginx/mime.types',
  ].find((path) => existsSync(path));
  const accessLog = options.accessLog ?? join(dir, 'logs/access.log');
  const workerConnections = options.workerConnections ?? 4096;
  const conf = [
    '# Generated by scripts/lib/nginx.ts; the server block is nginx/templates/default.conf.template.',
    `worker_processes ${options.workerProcesses ?? 1};`,
    `pid ${join(dir, 'nginx.pid')};`,
    'error_log stderr warn;',
    ...(options.workerConnections ? [`worker_rlimit_nofile ${2 * workerConnections + 64};`] : []),
    `events { worker_connections ${workerConnections}; }`,
    'http {',
    mimeTypes ? `    include ${mimeTypes};` : '    # no mime.types found: nginx only proxies here',
    '    default_type application/octet-stream;',
    '    sendfile on;',
    '    keepalive_timeout 65;',
    `    access_log ${accessLog === 'off' ? 'off' : accessLog};`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
      (kind) => `    ${kind}_temp_path ${join(dir, 'temp', kind)};`,
    ),
    `    include ${join(dir, 'default.conf')};`,
    '}',
    '',
  ].join('\n');
  const path = join(dir, 'nginx.conf');
  writeFileSync(path, conf);
  return path;
}

/** `nginx -t` on a written config: resolves with nginx's message, rejects with it on failure. */
export function testNginxConfig(dir: string, nginx = findNginx()): string {
  if (!nginx) throw new Error('nginx is not installed (Debian: apt-get install -y nginx)');
  const run = spawnSync(nginx, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr'], {
    encoding: 'utf8',
  });
  const output = `${run.stdout}${run.stderr}`.trim();
  if (run.status !== 0) throw new Error(`nginx -t failed:\n${output}`);
  return output;
}

export interface NginxProcess {
  name: 'nginx';
  /** Prefix directory: nginx.conf, the rendered default.conf, logs/, temp/. */
  dir: string;
  port: number;
  url: string;
  /** With TLS: `https://<probe host>:<httpsPort>`, where plain HTTP redirects to. */
  httpsUrl: string | undefined;
  pid: number;
  child: ChildProcess;
  output: string[];
  exited: Promise<ExitResult>;
  /** SIGQUIT drains connections gracefully; the default SIGTERM closes them at once. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitResult>;
}

export interface StartNginxOptions extends NginxConfigOptions {
  /** The port inside `listen`, used to probe `/healthz`. */
  port: number;
  /** Host to probe (default 127.0.0.1). */
  probeHost?: string;
  timeoutMs?: number;
  /** Called with each line nginx writes to stderr (its error log). */
  onLine?: (line: string) => void;
  /** Own process group, like the services under `npm start` (see `StartOptions.detached`). */
  detached?: boolean;
}

/** Starts nginx in the foreground and resolves once its `/healthz` answers 200. */
export async function startNginx(options: StartNginxOptions): Promise<NginxProcess> {
  const nginx = findNginx();
  if (!nginx) throw new Error('nginx is not installed (Debian: apt-get install -y nginx)');
  const conf = writeNginxConfig(options);
  const child = spawn(nginx, ['-p', options.dir, '-c', conf, '-e', 'stderr', '-g', 'daemon off;'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  const output: string[] = [];
  const exited = exitOf(child);
  if (options.security?.authFile) void exited.then(() => removeAuthCopy(options.dir));
  for (const stream of [child.stdout!, child.stderr!]) {
    splitLines(stream, (line) => {
      output.push(line);
      options.onLine?.(line);
    });
  }

  const url = `http://${options.probeHost ?? '127.0.0.1'}:${options.port}`;
  const stop = stopper(child, exited);

  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let exitedEarly: ExitResult | undefined;
  void exited.then((result) => (exitedEarly = result));
  for (;;) {
    if (exitedEarly) {
      throw new Error(
        `nginx exited before serving (code ${exitedEarly.code}, signal ${exitedEarly.signal})\n` +
          `--- nginx output ---\n${output.join('\n')}`,
      );
    }
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop('SIGKILL');
      throw new Error(
        `nginx did not answer ${url}/healthz in time\n--- nginx output ---\n${output.join('\n')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  return {
    name: 'nginx',
    dir: options.dir,
    port: options.port,
    url,
    httpsUrl: options.security?.tls
      ? `https://${options.probeHost ?? '127.0.0.1'}:${options.security.httpsPort}`
      : undefined,
    pid: child.pid!,
    child,
    output,
    exited,
    stop,
  };
}

/**
 * The fixed response headers the template adds (`add_header Name "value" always;`), so an
 * ingress other than nginx (the Vite fallback of `npm start`) sends exactly the same ones.
 */
export function templateHeaders(
  template: string = readFileSync(NGINX_TEMPLATE, 'utf8'),
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const match of template.matchAll(/^\s*add_header\s+([A-Za-z-]+)\s+"([^"]*)"\s+always;/gm)) {
    headers[match[1]!] = match[2]!;
  }
  return headers;
}
