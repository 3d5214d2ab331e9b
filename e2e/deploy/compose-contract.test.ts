/**
 * The container deployment checked without a Docker engine (the unit suite needs none): the
 * compose file against the compose-spec schema, and every cross-file fact a `docker compose up`
 * depends on — upstreams, ports, env vars, COPY sources, healthchecks — against the services'
 * own code and the README.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DCLinter } from 'dclint';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  BROADCASTER_SERVER_PARAMS,
  findNginx,
  ingressSecurityVars,
  renderTemplate,
  templateHeaders,
  TEMPLATE_VARIABLES,
  testNginxConfig,
  writeNginxConfig,
} from '../../scripts/lib/nginx.ts';
import { planPorts } from '../../scripts/lib/start-ports.ts';
import {
  copies,
  dockerignore,
  interpolation,
  parseDockerfile,
  parseNginxTemplate,
  readmeConfigTable,
  type DockerStage,
} from './parse.ts';
import { defaultPort, load, NODE_SERVICES, variablesRead } from './service-config.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface ComposeService {
  build?: { context: string; dockerfile: string };
  deploy?: { replicas?: string | number };
  container_name?: string;
  image?: string;
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  read_only?: boolean;
  security_opt?: string[];
  cap_drop?: string[];
  cap_add?: string[];
  tmpfs?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[]; interval?: string; timeout?: string; retries?: number };
  restart?: string;
  stop_grace_period?: string;
  profiles?: string[];
  network_mode?: string;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const COMPOSE_PATH = join(ROOT, 'docker-compose.yml');
/** Sourced by the nginx image before it renders the template (access control and TLS). */
const ENVSH = 'nginx/docker-entrypoint.d/15-ingress-security.envsh';
/** The variables an envsh script exports (`export A B C`). */
const envshExports = (text: string) =>
  [...text.matchAll(/^export\s+(.+)$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/)).sort();
const compose = parse(readFileSync(COMPOSE_PATH, 'utf8'), { merge: true }) as ComposeFile;
const template = read('nginx/templates/default.conf.template');
const nginxTemplate = parseNginxTemplate(template);
type TemplateVars = Record<(typeof TEMPLATE_VARIABLES)[number], string>;
/**
 * What the nginx image fills the template with: compose's environment, and the access-control
 * variables its entrypoint script derives (here: all off).
 */
const composeTemplateVars = {
  ...ingressSecurityVars(),
  ...Object.fromEntries(
    TEMPLATE_VARIABLES.flatMap((name) => {
      const value = compose.services.nginx!.environment?.[name];
      return value === undefined ? [] : [[name, value]];
    }),
  ),
} as TemplateVars;
/** The template as the nginx image renders it with compose's environment. */
const composeNginx = parseNginxTemplate(renderTemplate(composeTemplateVars, template));
const readmeTable = readmeConfigTable(read('README.md'));
const isIgnored = dockerignore(read('.dockerignore'));

/** Compose's value for a variable, with `${NAME:-default}` resolved to its default. */
function resolved(value: string): string {
  const ref = interpolation(value);
  return ref ? (ref.fallback ?? '') : value;
}

/** Docker duration (`10s`, `1m30s`) in seconds. */
function seconds(duration: string | undefined): number {
  if (!duration) return NaN;
  let total = 0;
  const rest = duration.replace(/(\d+(?:\.\d+)?)(ms|s|m|h)/g, (_, n: string, unit: string) => {
    total += Number(n) * { ms: 0.001, s: 1, m: 60, h: 3600 }[unit as 'ms' | 's' | 'm' | 'h'];
    return '';
  });
  return rest === '' ? total : NaN;
}

/** `host:port` → { host, port }. */
function hostPort(value: string): { host: string; port: number } {
  const match = /^([\w.-]+):(\d+)$/.exec(value);
  if (!match) throw new Error(`not host:port: ${value}`);
  return { host: match[1]!, port: Number(match[2]) };
}

/** The port of the first `http://…:<port>/healthz` or `||<port>` in a healthcheck command. */
function healthcheckPort(command: string): number | undefined {
  const match = /127\.0\.0\.1:(\d+)\/healthz/.exec(command) ?? /\|\|\s*(\d+)\)/.exec(command);
  return match ? Number(match[1]) : undefined;
}

const SHUTDOWN_DEADLINE_S = 10;

describe('docker-compose.yml', () => {
  it('validates against the compose-spec schema (dclint, opinion rules off)', () => {
    const { context, messages } = DCLinter.validateFile(COMPOSE_PATH);
    expect(messages).toEqual([]);
    expect(context).not.toBeNull();
  });

  it.skipIf(spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status !== 0)(
    'is accepted by `docker-compose config` (Debian docker-compose 1.29, no engine needed)',
    () => {
      const run = spawnSync('docker-compose', ['-f', COMPOSE_PATH, 'config', '-q'], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
    },
  );

  it('runs the three services and nginx, and only nginx publishes ports on HTTP_BIND: HTTP_PORT, 8080 and HTTPS_PORT, 8443', () => {
    const byDefault = Object.entries(compose.services).filter(([, s]) => !s.profiles);
    expect(byDefault.map(([name]) => name).sort()).toEqual(
      ['frontend', 'metric-broadcaster', 'metric-generator', 'nginx'].sort(),
    );
    for (const [name, service] of Object.entries(compose.services)) {
      if (name !== 'nginx') expect(service.ports, `${name} publishes no port`).toBeUndefined();
    }
    expect(compose.services.nginx!.ports).toEqual([
      `\${HTTP_BIND:-0.0.0.0}:\${HTTP_PORT:-8080}:${compose.services.nginx!.environment!.NGINX_LISTEN}`,
      `\${HTTP_BIND:-0.0.0.0}:\${HTTPS_PORT:-8443}:${compose.services.nginx!.environment!.NGINX_TLS_LISTEN}`,
    ]);
  });

  it('gives every service a healthcheck with explicit timing, a restart policy and a stop grace period beyond the 10 s shutdown deadline', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      const check = service.healthcheck;
      expect(check?.test?.[0], `${name} healthcheck`).toBe('CMD');
      expect(seconds(check?.interval), `${name} interval`).toBeGreaterThan(0);
      expect(seconds(check?.timeout), `${name} timeout`).toBeGreaterThan(0);
      expect(check?.retries, `${name} retries`).toBeGreaterThan(0);
      expect(['always', 'unless-stopped', 'on-failure'], `${name} restart`).toContain(
        service.restart,
      );
      expect(seconds(service.stop_grace_period), `${name} stop_grace_period`).toBeGreaterThan(
        SHUTDOWN_DEADLINE_S,
      );
    }
  });

  it('starts each service only after what it calls is healthy', () => {
    const healthyDeps = (name: string) =>
      Object.entries(compose.services[name]!.depends_on ?? {})
        .filter(([, dep]) => dep.condition === 'service_healthy')
        .map(([dep]) => dep)
        .sort();
    const generatorHost = new URL(
      compose.services['metric-broadcaster']!.environment!.GENERATOR_URL!,
    ).hostname;
    expect(generatorHost).toBe('metric-generator');
    expect(healthyDeps('metric-broadcaster')).toEqual(['metric-generator']);
    const upstreamServices = [...composeNginx.upstreams.values()]
      .flat()
      .map((server) => hostPort(server).host)
      .sort();
    expect(healthyDeps('nginx')).toEqual(upstreamServices);
  });

  it('adds a pinned node_exporter for the host only with the node-exporter profile, reachable by the generator', () => {
    const exporter = compose.services['node-exporter']!;
    expect(exporter.profiles).toEqual(['node-exporter']);
    expect(exporter.image).toMatch(/^prom\/node-exporter:v\d+\.\d+\.\d+(@sha256:[0-9a-f]{64})?$/);
    expect(exporter.network_mode).toBe('host');
    expect(exporter.ports).toBeUndefined();
    const generator = compose.services['metric-generator'] as ComposeService & {
      extra_hosts?: string[];
    };
    expect(generator.extra_hosts).toContain('host.docker.internal:host-gateway');
    // What the docs tell users to set is a valid target list.
    expect(() =>
      load('metric-generator', { NODE_EXPORTER_TARGETS: 'docker-host=host.docker.internal:9100' }),
    ).not.toThrow();
  });

  it('mounts the file_sd directory read-only where NODE_EXPORTER_TARGETS_FILE may point', () => {
    const generator = compose.services['metric-generator']!;
    expect(generator.volumes).toContain('${FILE_SD_DIR:-./file_sd}:/etc/metrics/file_sd:ro');
    expect(existsSync(join(ROOT, 'file_sd/targets.example.json'))).toBe(true);
  });
  it('scales the broadcaster: deploy.replicas from BROADCASTER_REPLICAS (npm start’s default), no fixed name or port', () => {
    const broadcaster = compose.services['metric-broadcaster']!;
    expect(broadcaster.deploy?.replicas).toBe('${BROADCASTER_REPLICAS:-1}');
    expect(planPorts({}).replicas).toBe(1);
    expect(broadcaster.container_name).toBeUndefined();
    expect(broadcaster.ports).toBeUndefined();
    // Only the broadcaster scales: SQLite has one writer, and nginx owns the host port.
    for (const name of ['metric-generator', 'nginx']) {
      expect(compose.services[name]!.deploy?.replicas, name).toBeUndefined();
    }
  });

  it.skipIf(spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status !== 0)(
    'hands BROADCASTER_REPLICAS to docker-compose 1.29 as an integer replica count',
    () => {
      const run = spawnSync('docker-compose', ['-f', COMPOSE_PATH, 'config'], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, BROADCASTER_REPLICAS: '3' },
      });
      expect(run.status, run.stderr).toBe(0);
      const config = parse(run.stdout) as ComposeFile;
      expect(config.services['metric-broadcaster']!.deploy?.replicas).toBe(3);
    },
  );

  it('keeps the SQLite file on a named volume', () => {
    const generator = compose.services['metric-generator']!;
    const dbDir = posix.dirname(generator.environment!.DB_PATH!);
    const mount = generator.volumes?.find((v) => v.split(':')[1] === dbDir);
    expect(mount, `a volume mounted at ${dbDir}`).toBeDefined();
    const volumeName = mount!.split(':')[0]!;
    expect(Object.keys(compose.volumes ?? {})).toContain(volumeName);
  });

  it('passes SERVER_COUNT to the generator with its default of 5', () => {
    expect(compose.services['metric-generator']!.environment!.SERVER_COUNT).toBe(
      '${SERVER_COUNT:-5}',
    );
    expect((load('metric-generator', {}) as { serverCount: number }).serverCount).toBe(5);
  });

  it('.env.example lists exactly the variables compose reads, with compose defaults', () => {
    const fromCompose = new Map<string, string>();
    const text = readFileSync(COMPOSE_PATH, 'utf8');
    for (const match of text.matchAll(/\$\{(\w+)(?::-([^}]*))?\}/g)) {
      fromCompose.set(match[1]!, match[2] ?? '');
    }
    const example = new Map(
      read('.env.example')
        .split('\n')
        .filter((line) => /^[A-Z]/.test(line))
        .map((line) => {
          const [name, ...value] = line.split('=');
          return [name!, value.join('=')] as const;
        }),
    );
    expect(Object.fromEntries(example)).toEqual(Object.fromEntries(fromCompose));
  });
});

/** Variables the last stage of a service's Dockerfile sets with `ENV` (e.g. `HOST=0.0.0.0`). */
function imageEnv(service: string): Record<string, string> {
  const runtime = parseDockerfile(read(compose.services[service]!.build!.dockerfile)).stages.at(
    -1,
  )!;
  const env: Record<string, string> = {};
  for (const { keyword, args } of runtime.instructions) {
    if (keyword !== 'ENV') continue;
    for (const match of args.matchAll(/([A-Z_][A-Z0-9_]*)=(\S*)/g)) env[match[1]!] = match[2]!;
  }
  return env;
}

describe.each(Object.keys(NODE_SERVICES))('environment of %s', (service) => {
  const environment = { ...imageEnv(service), ...(compose.services[service]!.environment ?? {}) };
  const readme = NODE_SERVICES[service]!.readme;

  it('listens on every interface in its image, where the compose network is the boundary', () => {
    expect(imageEnv(service).HOST).toBe('0.0.0.0');
    expect((load(service, {}) as { host: string }).host).toBe('127.0.0.1');
  });

  it('passes every variable the service reads (compose or the image), and the README documents each one', () => {
    const names = variablesRead(service);
    expect(names).toContain('PORT');
    expect(names).toContain('HOST');
    expect(names).toContain('LOG_LEVEL');
    const documented = new Set([
      ...(readmeTable.get(readme) ?? []),
      ...(readmeTable.get('all') ?? []),
    ]);
    const notPassed = names.filter((name) => !(name in environment));
    const undocumented = names.filter((name) => !documented.has(name));
    expect(notPassed, `variables compose does not pass to ${service}`).toEqual([]);
    expect(undocumented, `variables missing from README's table (service "${readme}")`).toEqual([]);
  });

  it("compose's defaults are the service's own defaults, and the whole env is valid", () => {
    for (const [name, value] of Object.entries(environment)) {
      const ref = interpolation(value);
      if (!ref) continue;
      expect(ref.name, `${name} interpolates its own name`).toBe(name);
      expect(ref.fallback, `${name} has a default`).toBeDefined();
      expect(load(service, { [name]: ref.fallback }), `${name}=${ref.fallback}`).toEqual(
        load(service, {}),
      );
    }
    const env = Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, resolved(v)]));
    expect(() => load(service, env)).not.toThrow();
    expect(Number(environment.PORT)).toBe(defaultPort(service));
  });
});

describe('nginx template', () => {
  const nginxEnv = compose.services.nginx!.environment!;

  it('reads exactly the variables compose gives the nginx image (or its envsh derives) and the local runner fills', () => {
    const derived = envshExports(read(ENVSH));
    const given = Object.keys(nginxEnv).filter((name) => nginxTemplate.variables.includes(name));
    expect([...new Set([...given, ...derived])].sort()).toEqual(nginxTemplate.variables);
    expect(nginxTemplate.variables).toEqual([...TEMPLATE_VARIABLES].sort());
    // What compose gives nginx beyond the template's variables is read by the envsh.
    for (const name of Object.keys(nginxEnv).filter((n) => !given.includes(n))) {
      expect(read(ENVSH), `${name} read by ${ENVSH}`).toContain(`\${${name}`);
    }
  });

  it('mounts the envsh where the image sources it, and the files it reads, /dev/null when unset', () => {
    const volumes = compose.services.nginx!.volumes ?? [];
    expect(volumes).toContain(`./${ENVSH}:/docker-entrypoint.d/15-ingress-security.envsh:ro`);
    expect(volumes).toContain('${INGRESS_AUTH_FILE:-/dev/null}:/etc/nginx/ingress/htpasswd:ro');
    expect(volumes).toContain('${INGRESS_TLS_CERT:-/dev/null}:/etc/nginx/ingress/tls.crt:ro');
    expect(volumes).toContain('${INGRESS_TLS_KEY:-/dev/null}:/etc/nginx/ingress/tls.key:ro');
    expect(compose.services.nginx!.environment!.INGRESS_SECRET).toBe('${INGRESS_SECRET:-}');
    expect(compose.services['metric-broadcaster']!.environment!.INGRESS_SECRET).toBe(
      '${INGRESS_SECRET:-}',
    );
  });

  it('has upstreams that each name a compose service on its port', () => {
    expect(composeNginx.upstreams.size).toBeGreaterThan(0);
    for (const [upstream, servers] of composeNginx.upstreams) {
      expect(servers.length, `upstream ${upstream}`).toBe(1);
      const { host, port } = hostPort(servers[0]!);
      expect(Object.keys(NODE_SERVICES), `upstream ${upstream} → ${host}`).toContain(host);
      expect(port, `${host} port`).toBe(Number(compose.services[host]!.environment!.PORT));
      expect(port, `${host} default port`).toBe(defaultPort(host));
    }
  });

  it('routes / to the frontend and /socket.io/ to the broadcaster, and nothing to the generator', () => {
    const serviceOf = (location: string) => {
      const upstream = composeNginx.locations.get(location);
      const server = upstream && composeNginx.upstreams.get(upstream)?.[0];
      return server ? hostPort(server).host : undefined;
    };
    expect(serviceOf('/')).toBe('frontend');
    expect(serviceOf('/socket.io/')).toBe('metric-broadcaster');
    expect(serviceOf('/assets/')).toBe('frontend');
    expect(nginxTemplate.locations.get('= /healthz')).toBeUndefined();
    const reachable = [...nginxTemplate.locations.keys()].map(serviceOf);
    expect(reachable).not.toContain('metric-generator');
  });

  it('listens on the container port compose publishes and probes', () => {
    const listen = nginxEnv.NGINX_LISTEN!;
    expect(compose.services.nginx!.ports![0]!.split(':').at(-1)).toBe(listen);
    expect(healthcheckPort(compose.services.nginx!.healthcheck!.test.join(' '))).toBe(
      Number(listen),
    );
  });

  it('declares the WebSocket upgrade map and connection limit in http context', () => {
    expect(template).toMatch(/map \$http_upgrade \$connection_upgrade \{/);
    expect(template).toMatch(/limit_conn_zone \$binary_remote_addr/);
    expect(template).toMatch(/server_tokens off;/);
  });

  it.skipIf(spawnSync('envsubst', ['--version'], { stdio: 'ignore' }).status !== 0)(
    'renders exactly as envsubst with the explicit variable list (what the nginx image does)',
    () => {
      const vars = {
        ...composeTemplateVars,
        ...ingressSecurityVars({
          authUserFile: '/etc/nginx/ingress/htpasswd',
          tls: { cert: '/c.pem', key: '/k.pem' },
          tlsListen: '8443',
          httpsPort: 443,
          secret: 's3cr3t',
        }),
      };
      const run = spawnSync('envsubst', [TEMPLATE_VARIABLES.map((v) => `\${${v}}`).join(' ')], {
        input: template,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, ...vars },
      });
      expect(run.status).toBe(0);
      expect(renderTemplate(vars, template)).toBe(run.stdout);
      expect(run.stdout).toContain('$http_upgrade');
      expect(run.stdout).not.toContain('${');
    },
  );

  it.skipIf(!findNginx())('passes `nginx -t` once rendered', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nginx-contract-'));
    try {
      writeNginxConfig({
        dir,
        listen: '127.0.0.1:8080',
        frontendUpstream: '127.0.0.1:3000',
        broadcasterUpstream: ['127.0.0.1:3002', '127.0.0.1:3003', '127.0.0.1:3004'],
      });
      expect(testNginxConfig(dir)).toMatch(/syntax is ok/);
      const rendered = parseNginxTemplate(readFileSync(join(dir, 'default.conf'), 'utf8'));
      expect(rendered.upstreams.get('broadcaster')).toEqual([
        '127.0.0.1:3002',
        '127.0.0.1:3003',
        '127.0.0.1:3004',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('balances broadcaster replicas by least connections and retries a refused handshake on the next', () => {
    const upstream = /upstream broadcaster \{([\s\S]*?)\n\}/.exec(template)![1]!;
    expect(upstream).toMatch(/^\s*least_conn;/m);
    expect(upstream).toMatch(/^\s*zone broadcaster \d+k;/m);
    const socketIo = /location \/socket\.io\/ \{([\s\S]*?)\n {4}\}/.exec(template)![1]!;
    expect(socketIo).toMatch(/proxy_next_upstream error timeout;/);
    expect(socketIo).toMatch(/proxy_connect_timeout \d+s;/);
  });

  it('follows compose replicas: every upstream server re-resolved through Docker DNS, in a zone', () => {
    // nginx >= 1.27.3 resolves `server … resolve` at run time (before, only nginx Plus did).
    const [major, minor, patch] = /^nginx:(\d+)\.(\d+)\.(\d+)/
      .exec(compose.services.nginx!.image!)!
      .slice(1)
      .map(Number) as [number, number, number];
    expect(major * 1e6 + minor * 1e3 + patch).toBeGreaterThanOrEqual(1_027_003);
    expect(nginxEnv.NGINX_RESOLVER).toMatch(/^resolver 127\.0\.0\.11 valid=\d+s( ipv6=off)?;$/);
    for (const upstream of composeNginx.upstreams.keys()) {
      const block = new RegExp(`upstream ${upstream} \\{([\\s\\S]*?)\\n\\}`).exec(template)![1]!;
      expect(block, `upstream ${upstream} has a zone`).toMatch(/^\s*zone \w+ \d+k;/m);
    }
    expect(nginxEnv.FRONTEND_UPSTREAM).toMatch(/^frontend:\d+ resolve$/);
    expect(nginxEnv.BROADCASTER_SERVERS).toMatch(
      /^server metric-broadcaster:\d+ resolve max_fails=1 fail_timeout=\d+s;$/,
    );
    // Locally the replicas are fixed loopback addresses: no resolver, no `resolve`.
    expect(BROADCASTER_SERVER_PARAMS).not.toMatch(/resolve/);
  });

  it('gives the fallback ingress the same security headers', () => {
    const headers = templateHeaders(template);
    expect(Object.keys(headers).sort()).toEqual(
      [
        'Content-Security-Policy',
        'Cross-Origin-Opener-Policy',
        'Permissions-Policy',
        'Referrer-Policy',
        'X-Content-Type-Options',
        'X-Frame-Options',
      ].sort(),
    );
    expect(headers['Content-Security-Policy']).toMatch(/script-src 'self';/);
  });
});

describe.each(Object.keys(NODE_SERVICES))('%s Dockerfile', (service) => {
  const build = compose.services[service]!.build!;
  const { workspace } = NODE_SERVICES[service]!;
  const dockerfile = parseDockerfile(read(build.dockerfile));
  const runtime = dockerfile.stages.at(-1)!;
  const args = (stage: DockerStage, keyword: string) =>
    stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
  const port = defaultPort(service);

  it('is what compose builds, from the repository root', () => {
    expect(build.context).toBe('.');
    expect(build.dockerfile).toBe(`${workspace}/Dockerfile`);
  });

  it('builds every stage from a pinned official Node 20 image', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of dockerfile.stages) {
      expect(stage.image).toMatch(/^node:20\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
    }
  });

  it('copies only sources that exist and that .dockerignore lets through', () => {
    const stageNames = new Set<string>();
    for (const stage of dockerfile.stages) {
      for (const copy of copies(stage)) {
        if (copy.from) {
          expect(stageNames, `COPY --from=${copy.from} (line ${copy.line})`).toContain(copy.from);
          continue;
        }
        for (const source of copy.sources) {
          expect(existsSync(join(ROOT, build.context, source)), `${source} exists`).toBe(true);
          expect(isIgnored(source), `${source} is not in .dockerignore`).toBe(false);
        }
      }
      if (stage.name) stageNames.add(stage.name);
    }
  });

  it('installs with npm ci for its own workspace and builds native code only before runtime', () => {
    const runs = dockerfile.stages.flatMap((stage) => args(stage, 'RUN'));
    expect(runs.some((run) => /npm ci\b/.test(run) && run.includes(`-w ${workspace}`))).toBe(true);
    expect(runs.some((run) => /npm ci\b.*--omit=dev/.test(run))).toBe(true);
    for (const run of args(runtime, 'RUN')) {
      expect(run).not.toMatch(/apt-get|npm (ci|install|rebuild)|g\+\+|node-gyp/);
    }
    const nativeDeps = JSON.stringify(JSON.parse(read(`${workspace}/package.json`)).dependencies);
    if (nativeDeps.includes('better-sqlite3')) {
      const nativeStage = dockerfile.stages.find((stage) =>
        args(stage, 'RUN').some((run) => run.includes('npm rebuild better-sqlite3')),
      );
      expect(nativeStage, 'a stage builds better-sqlite3').toBeDefined();
      expect(nativeStage).not.toBe(runtime);
    }
  });

  it('runs the compiled entry point as a non-root user with a healthcheck', () => {
    const user = args(runtime, 'USER').at(-1);
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    const healthcheck = args(runtime, 'HEALTHCHECK').at(-1);
    expect(healthcheck).toMatch(/--interval=\d+s/);
    const cmd = JSON.parse(args(runtime, 'CMD').at(-1)!) as string[];
    const start = JSON.parse(read(`${workspace}/package.json`)).scripts.start as string;
    expect(cmd.join(' ')).toBe(start);
    // The entry point file is copied from the build stage into the runtime's working directory.
    const workdir = args(runtime, 'WORKDIR').at(-1)!;
    const entry = posix.join(workdir, cmd[1]!);
    const copied = copies(runtime).some(
      (copy) => copy.from && entry.startsWith(posix.join('/app', copy.destination)),
    );
    expect(copied, `${entry} is copied into the runtime image`).toBe(true);
  });

  it("exposes and probes the service's default port, as compose does", () => {
    expect(args(runtime, 'EXPOSE')).toEqual([String(port)]);
    expect(healthcheckPort(args(runtime, 'HEALTHCHECK').at(-1)!)).toBe(port);
    expect(healthcheckPort(compose.services[service]!.healthcheck!.test.join(' '))).toBe(port);
  });
});

describe('nginx image', () => {
  it('runs hardened like the Node services: read-only root, no new privileges, only the capabilities nginx uses', () => {
    const nginx = compose.services.nginx!;
    expect(nginx.read_only).toBe(true);
    expect(nginx.security_opt).toContain('no-new-privileges:true');
    expect(nginx.cap_drop).toEqual(['ALL']);
    // Workers switch to the `nginx` user; the master owns its temp directories to them. It
    // listens above 1024, so NET_BIND_SERVICE stays dropped.
    expect([...(nginx.cap_add ?? [])].sort()).toEqual(['CHOWN', 'SETGID', 'SETUID']);
    expect(Number(nginx.environment!.NGINX_LISTEN)).toBeGreaterThan(1024);
    // Writable only where the image writes: rendered templates, temp files, pid file.
    expect([...(nginx.tmpfs ?? [])].sort()).toEqual(
      ['/etc/nginx/conf.d', '/run', '/var/cache/nginx'].sort(),
    );
  });

  it('publishes on HTTP_BIND, every interface unless told otherwise', () => {
    const [published] = compose.services.nginx!.ports!;
    const bind = interpolation(/^(\$\{[^}]+\}):/.exec(published!)?.[1] ?? '');
    expect(bind).toEqual({ name: 'HTTP_BIND', fallback: '0.0.0.0' });
    expect(readmeTable.get('ingress') ?? []).toContain('HTTP_BIND');
  });

  it('is the pinned official image and gets the template unchanged', () => {
    const nginx = compose.services.nginx!;
    expect(nginx.image).toMatch(/^nginx:1\.\d+\.\d+-alpine(@sha256:[0-9a-f]{64})?$/);
    expect(nginx.volumes).toContain('./nginx/templates:/etc/nginx/templates:ro');
    expect(existsSync(join(ROOT, 'nginx/templates/default.conf.template'))).toBe(true);
    expect(dirname('nginx/templates/default.conf.template')).toBe('nginx/templates');
  });
});
