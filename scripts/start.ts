/**
 * `npm start`: builds what is stale, then runs generator, broadcaster, frontend server and the
 * ingress as processes with the configuration of docs/architecture.md, streams their logs with a prefix, and stops
 * them in order on Ctrl-C (a second Ctrl-C kills them at once).
 *
 * `npm run dev`: the same services under `tsx watch` and Vite's dev server (HMR) as the ingress.
 *
 * Environment (see README "Configuration"): HTTP_PORT (8080), SERVER_COUNT, TICK_MS, DB_PATH,
 * RETENTION_SECONDS, SEED, NODE_EXPORTER_TARGETS, NODE_EXPORTER_TARGETS_FILE,
 * NODE_EXPORTER_TIMEOUT_MS, NODE_EXPORTER_MOUNT, POLL_INTERVAL_MS, DISCOVERY_INTERVAL_MS,
 * CORS_ORIGINS, LOG_LEVEL reach the services unchanged (the children inherit the environment);
 * each service validates its own and a bad value stops the start.
 * BROADCASTER_REPLICAS (1–16, default 1) runs that many broadcasters on BROADCASTER_PORT (3002)
 * and the ports after it, all behind the ingress; one that dies is restarted with backoff.
 * GENERATOR_PORT (3001), FRONTEND_PORT (3000) move the other internal ports; every port is
 * checked free before anything starts (scripts/lib/start-ports.ts).
 *
 * Exposure (docs/security.md): the services listen on 127.0.0.1 only; the ingress on HTTP_BIND
 * (all interfaces) : HTTP_PORT. INGRESS_AUTH_FILE locks it with basic auth (and a per-run
 * INGRESS_SECRET keeps the broadcaster from being reached around it); INGRESS_TLS_CERT and
 * INGRESS_TLS_KEY serve HTTPS on HTTPS_PORT (8443) and redirect HTTP_PORT there.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatLogLine, levelValue, LEVELS } from './lib/log-format.ts';
import { readHtpasswd } from './lib/htpasswd.ts';
import { findNginx } from './lib/nginx.ts';
import type { RestartEvent } from './lib/broadcaster-replicas.ts';
import { startStack, type Stack } from './lib/stack.ts';
import type { StackPartName } from './lib/stack-options.ts';
import { planPorts, takenPorts } from './lib/start-ports.ts';
import { startBalancer, type Balancer } from './lib/tcp-balancer.ts';
import { startDevIngress, startPreviewIngress, type IngressHandle } from './lib/vite-ingress.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const dev = process.argv.includes('--dev');
/** `npm start -- --no-nginx`: the embedded fallback ingress even when nginx is installed. */
const noNginx = process.argv.includes('--no-nginx');

const LABELS: Record<StackPartName | 'ingress', string> = {
  'metric-generator': 'generator',
  'metric-broadcaster': 'broadcaster',
  frontend: 'frontend',
  nginx: 'nginx',
  ingress: 'ingress',
};
const COLOR_INDEX: Record<string, number> = {
  generator: 0,
  broadcaster: 1,
  frontend: 2,
  nginx: 3,
  ingress: 4,
};

function fail(message: string): never {
  console.error(`npm start: ${message}`);
  process.exit(1);
}

// --- configuration this script itself reads --------------------------------------------------
/** A port variable (empty counts as unset, as in the services' own configuration). */
function portVar(name: string, fallback: string): number {
  const text = process.env[name] || fallback;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    fail(`${name}: expected an integer 1–65535, got "${text}"`);
  }
  return port;
}
const httpPort = portVar('HTTP_PORT', '8080');
const httpsPort = portVar('HTTPS_PORT', '8443');
// Only the ingress listens beyond loopback; the services always bind 127.0.0.1 (stack.ts).
const httpBind = process.env.HTTP_BIND || '0.0.0.0';
if (isIP(httpBind) === 0) {
  fail(`HTTP_BIND: expected an IP address such as 0.0.0.0 or 127.0.0.1, got "${httpBind}"`);
}
/** A file variable: unset, or a file this process can read. */
function fileVar(name: string): string | undefined {
  const path = process.env[name] || undefined;
  if (path === undefined) return undefined;
  try {
    accessSync(path, constants.R_OK);
  } catch {
    fail(`${name}: expected a readable file, got "${path}"`);
  }
  return resolve(path);
}
const authFile = fileVar('INGRESS_AUTH_FILE');
if (authFile) {
  try {
    readHtpasswd(authFile);
  } catch (err) {
    fail(`INGRESS_AUTH_FILE: ${(err as Error).message}`);
  }
}
const tlsCert = fileVar('INGRESS_TLS_CERT');
const tlsKey = fileVar('INGRESS_TLS_KEY');
if (Boolean(tlsCert) !== Boolean(tlsKey)) {
  fail('INGRESS_TLS_CERT and INGRESS_TLS_KEY go together: set both or neither');
}
if (tlsCert && httpsPort === httpPort) fail(`HTTPS_PORT: must differ from HTTP_PORT (${httpPort})`);
const tls = tlsCert && tlsKey ? { cert: tlsCert, key: tlsKey } : undefined;
// One per run, unless given: nginx (or the fallback) adds it, the broadcaster requires it.
const ingressSecret = authFile
  ? process.env.INGRESS_SECRET || randomBytes(32).toString('hex')
  : undefined;
let plan: ReturnType<typeof planPorts>;
try {
  plan = planPorts(process.env, { frontend: !dev, https: Boolean(tls) });
} catch (err) {
  fail((err as Error).message.split('\n').join('\nnpm start: '));
}
const PORTS = {
  'metric-generator': plan.generator,
  'metric-broadcaster': plan.broadcaster,
  frontend: plan.frontend,
} as const;
/** Log prefix of broadcaster replica `i`: plain `broadcaster` when there is only one. */
const replicaLabel = (i: number) => (plan.replicas === 1 ? 'broadcaster' : `broadcaster-${i + 1}`);
const userLevel = process.env.LOG_LEVEL ?? 'info';
const shownLevel = levelValue(userLevel);
if (shownLevel === undefined) {
  fail(`LOG_LEVEL: expected one of ${Object.keys(LEVELS).join(', ')}, silent, got "${userLevel}"`);
}
// Every service must log its `listening` line (info), so children never run quieter than info;
// entries below the chosen level are filtered here instead.
const childLevel = shownLevel > LEVELS.info ? 'info' : userLevel;
const serverCountText = process.env.SERVER_COUNT ?? '5';

const print = (part: string, line: string) => {
  const out = formatLogLine(part, line, {
    minLevel: shownLevel,
    color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
    width: plan.replicas === 1 ? 11 : 14,
    colorIndex: COLOR_INDEX[part.startsWith('broadcaster') ? 'broadcaster' : part],
  });
  if (out !== undefined) process.stdout.write(`${out}\n`);
};
const say = (text: string) => process.stdout.write(`${text}\n`);

// --- build -----------------------------------------------------------------------------------
/** Newest modification time under `path` (a file or a directory tree); 0 if it does not exist. */
function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = 0;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules') continue;
    max = Math.max(max, newest(join(path, entry)));
  }
  return max;
}

const SOURCES = [
  'protocol/src',
  'service-kit/src',
  'metric-generator/src',
  'metric-broadcaster/src',
  'frontend/src',
  'frontend/server',
  'frontend/index.html',
  'frontend/vite.config.ts',
  'frontend/public',
].map((path) => resolve(ROOT, path));
const OUTPUTS = [
  'protocol/dist/index.js',
  'service-kit/dist/index.js',
  'metric-generator/dist/main.js',
  'metric-broadcaster/dist/main.js',
  'frontend/dist/index.html',
  'frontend/dist-server/main.js',
].map((path) => resolve(ROOT, path));

function buildIfStale(): void {
  const oldestOutput = Math.min(
    ...OUTPUTS.map((path) => (existsSync(path) ? statSync(path).mtimeMs : 0)),
  );
  const newestSource = Math.max(...SOURCES.map(newest));
  if (oldestOutput > 0 && newestSource <= oldestOutput) {
    say('build: up to date');
    return;
  }
  say(
    oldestOutput === 0
      ? 'build: first build (npm run build)…'
      : 'build: sources changed (npm run build)…',
  );
  const started = Date.now();
  const run = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  if (run.status !== 0) fail('the build failed (output above)');
  say(`build: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

// --- run -------------------------------------------------------------------------------------
async function main(): Promise<void> {
  const taken = await takenPorts(plan.uses);
  if (taken.length > 0) fail(taken.join('\nnpm start: '));
  if (!dev) buildIfStale();
  if (dev && (authFile || tls)) {
    fail(
      'npm run dev serves through Vite’s dev server, which neither locks nor encrypts: ' +
        'unset INGRESS_AUTH_FILE / INGRESS_TLS_* or use npm start',
    );
  }
  const nginxPath = dev || noNginx ? undefined : findNginx();
  const ingressKind = dev ? 'vite-dev' : nginxPath ? 'nginx' : 'vite-preview';

  const serviceEnv = (name: keyof typeof PORTS) => ({
    PORT: String(PORTS[name]),
    LOG_LEVEL: childLevel,
  });

  const broadcasterPorts =
    plan.replicas === 1
      ? `broadcaster :${plan.broadcaster}`
      : `${plan.replicas} broadcasters :${plan.broadcaster}–${plan.broadcaster + plan.replicas - 1}`;
  say(
    `starting: generator :${PORTS['metric-generator']}, ${broadcasterPorts}` +
      `${dev ? '' : `, frontend :${PORTS.frontend}`}, SERVER_COUNT=${serverCountText}` +
      `${process.env.NODE_EXPORTER_TARGETS ? `, NODE_EXPORTER_TARGETS=${process.env.NODE_EXPORTER_TARGETS}` : ''}` +
      `${process.env.NODE_EXPORTER_TARGETS_FILE ? `, NODE_EXPORTER_TARGETS_FILE=${process.env.NODE_EXPORTER_TARGETS_FILE}` : ''}` +
      `${dev ? ' (tsx watch)' : ''}`,
  );
  let stack: Stack;
  try {
    stack = await startStack({
      serverCount: Number(serverCountText) || 5,
      mode: dev ? 'watch' : 'dist',
      ingress: ingressKind === 'nginx' ? 'nginx' : 'none',
      frontend: !dev,
      host: httpBind,
      port: httpPort,
      serviceHost: '127.0.0.1',
      security: { authFile, tls, httpsPort, secret: ingressSecret },
      dataDir: resolve(ROOT, '.run'),
      dbPath: process.env.DB_PATH ?? resolve(ROOT, 'data/metrics.db'),
      detached: true,
      broadcasterReplicas: plan.replicas,
      superviseBroadcasters: true,
      onRestart: (event) => say(restartMessage(event)),
      env: {
        // SERVER_COUNT is passed as given, so the generator's own validation reports a bad value.
        'metric-generator': { ...serviceEnv('metric-generator'), SERVER_COUNT: serverCountText },
        'metric-broadcaster': serviceEnv('metric-broadcaster'),
        frontend: serviceEnv('frontend'),
      },
      onLine: (name, line, replica) =>
        print(replica === undefined ? LABELS[name] : replicaLabel(replica), line),
    });
  } catch (err) {
    fail(`could not start the services:\n${(err as Error).message}`);
  }

  let ingress: IngressHandle | undefined;
  // Without nginx, several replicas get a least-connections TCP balancer in front of them.
  let balancer: Balancer | undefined;
  let broadcasterUrl = stack.broadcaster.url;
  if (ingressKind !== 'nginx' && plan.replicas > 1) {
    balancer = await startBalancer(
      stack.broadcasters.map((b) => ({ host: '127.0.0.1', port: b.port })),
    );
    broadcasterUrl = balancer.url;
  }
  try {
    if (ingressKind === 'vite-preview') {
      ingress = await startPreviewIngress({
        host: httpBind,
        port: httpPort,
        broadcasterUrl,
        frontendUrl: stack.frontend!.url,
        security: { authFile, tls, httpsPort, secret: ingressSecret },
      });
    } else if (ingressKind === 'vite-dev') {
      ingress = await startDevIngress({
        host: httpBind,
        port: httpPort,
        broadcasterUrl,
      });
    }
  } catch (err) {
    await stack.stop();
    fail(`could not start the ingress on port ${httpPort}: ${(err as Error).message}`);
  }

  const url = tls ? `https://localhost:${httpsPort}` : `http://localhost:${httpPort}`;
  say('');
  if (ingressKind === 'nginx') {
    say(`ingress: nginx (${nginxPath}), rendered from nginx/templates/default.conf.template`);
    // nginx cannot open /dev/stdout when it is a socket (as under Node): the access log is a file.
    say(`         access log: ${relative(ROOT, join(stack.nginx.dir, 'logs/access.log'))}`);
  } else if (ingressKind === 'vite-preview') {
    say(
      noNginx
        ? 'ingress: --no-nginx, so the embedded fallback serves the same routes:'
        : 'ingress: nginx is not installed, so the embedded fallback serves the same routes:',
    );
    say('         Vite preview proxy (/socket.io/ → broadcaster, / → frontend server).');
    say('         For the production ingress: sudo apt-get install -y nginx');
  } else {
    say(
      'ingress: Vite dev server with hot module reload (no CSP in dev); services under tsx watch',
    );
  }
  say(
    `exposed:   ${httpBind}:${httpPort}${tls ? ` (redirects to HTTPS), ${httpBind}:${httpsPort} (HTTPS)` : ''}` +
      `; services on 127.0.0.1 only; ${authFile ? 'locked: basic auth from INGRESS_AUTH_FILE' : 'open: anyone who reaches the port sees the dashboard (INGRESS_AUTH_FILE locks it)'}`,
  );
  say(`dashboard: ${url}   (Ctrl-C stops everything)`);
  say('');

  let stopping = false;
  let firstSignalAt = 0;
  const shutdown = async (signal: NodeJS.Signals) => {
    // One Ctrl-C arrives more than once: from the terminal to the whole process group, and
    // relayed again by npm and tsx. Only a second press, well after the first, forces a kill.
    if (stopping && Date.now() - firstSignalAt < 1_000) return;
    if (stopping) {
      say(`\n${signal} again: killing every process now`);
      for (const name of ['nginx', 'frontend', 'metric-broadcaster', 'metric-generator'] as const) {
        await stack.stopPart(name, 'SIGKILL').catch(() => undefined);
      }
      process.exit(1);
    }
    stopping = true;
    firstSignalAt = Date.now();
    say(`\n${signal}: stopping ingress, frontend, broadcaster, generator…`);
    await ingress?.close();
    await balancer?.close();
    await stack.stop();
    say('stopped');
    process.exit(0);
  };
  process.on('SIGINT', (signal) => void shutdown(signal));
  process.on('SIGTERM', (signal) => void shutdown(signal));

  // A service that dies on its own takes the whole run down: a half-running stack only confuses.
  // Broadcaster replicas are the exception: the stack restarts them (see restartMessage).
  for (const name of ['metric-generator', 'frontend', 'nginx'] as const) {
    const part = {
      'metric-generator': () => stack.generator,
      frontend: () => stack.frontend,
      nginx: () => (ingressKind === 'nginx' ? stack.nginx : undefined),
    }[name]();
    void part?.exited.then(async ({ code, signal }) => {
      if (stopping) return;
      stopping = true;
      say(`\n${LABELS[name]} exited (code ${code}, signal ${signal}); stopping the rest`);
      await ingress?.close();
      await balancer?.close();
      await stack.stop();
      process.exit(1);
    });
  }
}

/** The supervisor's account of a broadcaster replica that died, for the log. */
function restartMessage(event: RestartEvent): string {
  const who = `${replicaLabel(event.replica)} (:${event.port})`;
  if (event.kind === 'restarted') return `${who} restarted`;
  const why = event.exit
    ? `exited (code ${event.exit.code}, signal ${event.exit.signal})`
    : `did not start: ${event.error ?? 'no listening line'}`;
  return event.delayMs === undefined
    ? `${who} ${why}`
    : `${who} ${why}; restarting in ${event.delayMs} ms (failure ${event.attempt} in a row)`;
}

void main();
