/**
 * The compose journey (`npm test` step `compose`; alone: `npx tsx scripts/compose/journey.ts`):
 * `docker compose up` as a new user runs it, on a real Docker engine, proven end to end.
 *
 * It starts a private dockerd (dockerd.ts), builds stand-ins for the official base images
 * (standin-images.ts), builds the project's images with the project's own docker-compose.yml
 * plus standin.override.yml, through the Dockerfiles' mirror build arguments fed with this
 * machine's npm settings (npm-build-args.ts), brings everything up, and runs STEPS below.
 * Then `down -v`, the project's images and folders removed; the cache (stand-in images, build
 * layers, the debootstrapped rootfs) is kept in COMPOSE_JOURNEY_CACHE for the next run.
 *
 * Runs where it can: Linux, root, Debian with apt, dockerd, docker-compose and debootstrap
 * installed (scripts/ensure-system-deps.sh installs them). Elsewhere it prints why and exits 77,
 * which `npm test` counts as skipped. COMPOSE_JOURNEY=0 skips it on purpose.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../lib/free-port.ts';
import { composeProject, NODE_SERVICES, SERVICES, type ComposeProject } from './compose-project.ts';
import { startDockerd, type Dockerd } from './dockerd.ts';
import { buildArgFlags, machineNpmBuildArgs, NPMRC_MARKER, pemBlocks } from './npm-build-args.ts';
import { createRunner, type Runner } from './run-command.ts';
import { buildStandins, nodePrefix, type Standins } from './standin-images.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SKIPPED = 77;
const PROJECT = 'metricsjourney';
const CACHE = process.env.COMPOSE_JOURNEY_CACHE ?? '/var/cache/metrics-pipeline-docker';
const RESULTS = process.env.COMPOSE_JOURNEY_RESULTS ?? join(ROOT, 'test-results/compose-journey');

/** What every step gets. */
export interface JourneyContext {
  run: Runner;
  project: ComposeProject;
  standins: Standins;
  /** The published ingress, `http://127.0.0.1:<port>`. */
  url: string;
  /** When the engine started: `docker events --since`. */
  startedAt: Date;
  /** Strings no runtime image may contain (the mirror build arguments' content). */
  secrets: string[];
}

export interface JourneyStep {
  name: string;
  run(ctx: JourneyContext): Promise<void>;
}

/** Why the journey cannot run here, or undefined when it can. */
export function skipReason(env = process.env): string | undefined {
  if (env.COMPOSE_JOURNEY === '0') return 'COMPOSE_JOURNEY=0';
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root (it starts its own dockerd)';
  if (!existsSync('/etc/debian_version') || !has('apt-get')) return 'needs Debian with apt';
  const missing = ['dockerd', 'docker', 'docker-compose', 'debootstrap'].filter((c) => !has(c));
  if (missing.length > 0) {
    return `missing ${missing.join(', ')} (bash scripts/ensure-system-deps.sh installs them)`;
  }
  return undefined;
}

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Every runtime image's saved form (layers, config, history) searched for `needles`. */
async function imageContains(env: NodeJS.ProcessEnv, image: string, needles: string[]) {
  const wanted = needles.map((n) => Buffer.from(n));
  const overlap = Math.max(...wanted.map((n) => n.length));
  const found = new Set<string>();
  const child = spawn('docker', ['save', image], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let tail = Buffer.alloc(0);
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    const window = Buffer.concat([tail, chunk]);
    wanted.forEach((needle, i) => {
      if (window.includes(needle)) found.add(needles[i]!);
    });
    tail = window.subarray(Math.max(0, window.length - overlap));
  }
  const code = await new Promise<number | null>((r) => child.on('close', r));
  if (code !== 0) throw new Error(`docker save ${image}: exit ${code}`);
  return [...found];
}

async function inspect(project: ComposeProject, id: string) {
  const [info] = JSON.parse(await project.docker(['inspect', id])) as Array<{
    Config: { User: string; Image: string };
    Image: string;
    HostConfig: {
      ReadonlyRootfs: boolean;
      SecurityOpt: string[] | null;
      CapDrop: string[] | null;
      CapAdd: string[] | null;
      PortBindings: Record<string, Array<{ HostIp: string; HostPort: string }>> | null;
    };
  }>;
  return info!;
}

/** Oldest and newest stored sample of server-1, asked of the generator itself. */
async function storedSamples(project: ComposeProject) {
  const res = await project.generatorGet('/v1/servers/server-1/history?from=0&limit=10000');
  if (res.status !== 200) throw new Error(`history: HTTP ${res.status} ${res.body}`);
  const { samples } = JSON.parse(res.body) as { samples: Array<{ timestamp: string }> };
  return {
    count: samples.length,
    oldest: samples[0]?.timestamp,
    newest: samples.at(-1)?.timestamp,
  };
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** The journey after `up`: extend it here (a scale check, say) — each step is timed and named. */
export const STEPS: JourneyStep[] = [
  {
    name: 'every Node container runs as a non-root user on a read-only root; nginx is hardened',
    async run({ project }) {
      const ids = await project.containers();
      for (const service of NODE_SERVICES) {
        const info = await inspect(project, ids[service]!);
        assert(info.HostConfig.ReadonlyRootfs, `${service}: root filesystem is not read-only`);
        assert(!['', 'root', '0'].includes(info.Config.User), `${service}: runs as root`);
        const uid = (await project.compose(['exec', '-T', service, 'id', '-u'])).trim();
        assert(uid !== '0' && /^\d+$/.test(uid), `${service}: id -u is ${uid}`);
        const write = await project
          .compose(['exec', '-T', service, 'sh', '-c', 'touch /app/probe 2>&1 || echo refused'])
          .catch((e: Error) => e.message);
        assert(/refused|Read-only/i.test(write), `${service}: could write to /app: ${write}`);
      }
      const nginx = await inspect(project, ids.nginx!);
      assert(nginx.HostConfig.ReadonlyRootfs, 'nginx: root filesystem is not read-only');
      assert(
        (nginx.HostConfig.SecurityOpt ?? []).some((o) => /^no-new-privileges(:true)?$/.test(o)),
        'nginx: no-new-privileges is not set',
      );
      assert((nginx.HostConfig.CapDrop ?? []).includes('ALL'), 'nginx: capabilities not dropped');
      const bindings = Object.values(nginx.HostConfig.PortBindings ?? {}).flat();
      assert(
        bindings.length === 2 && bindings.every((b) => b.HostIp === '127.0.0.1'),
        `nginx: published on ${JSON.stringify(bindings)}, not only HTTP_PORT and HTTPS_PORT on HTTP_BIND=127.0.0.1`,
      );
    },
  },
  {
    name: 'the runtime images hold none of the mirror build arguments (history, config, files)',
    async run({ project, secrets }) {
      const ids = await project.containers();
      for (const service of NODE_SERVICES) {
        const image = (await inspect(project, ids[service]!)).Image;
        const leaked = await imageContains(project.env, image, secrets);
        assert(leaked.length === 0, `${service} image contains: ${leaked.join(' | ')}`);
      }
    },
  },
  {
    name: 'Playwright through the published port: overview, detail, no generator route, SERVER_COUNT, broadcaster restart',
    async run({ project, url, run }) {
      const result = await run(
        'npx',
        ['playwright', 'test', '--config', 'e2e/compose/playwright.config.ts'],
        {
          cwd: ROOT,
          env: {
            ...project.env,
            COMPOSE_JOURNEY_URL: url,
            COMPOSE_JOURNEY_RESULTS: RESULTS,
            PLAYWRIGHT_JSON_OUTPUT_NAME: join(RESULTS, 'playwright.json'),
          },
          timeoutMs: 600_000,
          allowFailure: true,
        },
      );
      assert(result.code === 0, `the Playwright journey failed (exit ${result.code})`);
    },
  },
  {
    name: '`down` then `up` keeps the stored samples (named volume)',
    async run({ project }) {
      const before = await storedSamples(project);
      assert(before.count > 0 && before.oldest, 'no samples stored before down');
      await project.compose(['down', '--timeout', '30']);
      assert(Object.keys(await project.containers()).length === 0, 'containers left after down');
      await project.compose(['up', '-d', '--no-build']);
      await project.waitHealthy();
      const after = await storedSamples(project);
      assert(
        after.oldest === before.oldest && after.count > before.count,
        `samples before down ${JSON.stringify(before)}, after up ${JSON.stringify(after)}`,
      );
    },
  },
  {
    name: 'no image was pulled at any point (the engine saw no pull)',
    async run({ project, startedAt }) {
      const events = await project.docker([
        'events',
        '--since',
        startedAt.toISOString(),
        '--until',
        new Date().toISOString(),
        '--filter',
        'type=image',
        '--filter',
        'event=pull',
        '--format',
        '{{.Actor.ID}}',
      ]);
      assert(events.trim() === '', `images pulled: ${events.trim()}`);
    },
  },
];

/** Whether the process that took the lock still runs (a lock just taken counts as held). */
function lockHeld(lock: string): { held: boolean; holder: string } {
  const pidFile = join(lock, 'pid');
  const holder = existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim() : '';
  if (!/^\d+$/.test(holder)) {
    // Its taker writes the pid right after mkdir: only an old lock without one is stale.
    const age = existsSync(lock) ? Date.now() - statSync(lock).mtimeMs : Infinity;
    return { held: age < 60_000, holder: 'unknown' };
  }
  try {
    process.kill(Number(holder), 0);
    return { held: true, holder };
  } catch {
    return { held: false, holder };
  }
}

/** A lock on the cache: one journey (one dockerd on the data root) at a time on this machine. */
async function lockCache(run: Runner): Promise<() => void> {
  const lock = join(CACHE, 'lock');
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return () => rmSync(lock, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const { held, holder } = lockHeld(lock);
    if (!held) {
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`${lock} held by pid ${holder} for 30 min`);
    console.log(`  waiting for ${lock} (held by pid ${holder})`);
    run.log(`waiting for ${lock} (pid ${holder})`);
    await sleep(10_000);
  }
}

async function main(): Promise<number> {
  const reason = skipReason();
  if (reason) {
    console.log(`compose journey skipped: ${reason}`);
    return SKIPPED;
  }
  const started = Date.now();
  rmSync(RESULTS, { recursive: true, force: true });
  mkdirSync(RESULTS, { recursive: true });
  mkdirSync(CACHE, { recursive: true });
  const run = createRunner(join(RESULTS, 'journey.log'));
  const times: Array<[string, number]> = [];
  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    console.log(`\n--- ${name}`);
    try {
      return await fn();
    } finally {
      times.push([name, (Date.now() - t0) / 1000]);
      console.log(`--- ${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  };

  // A short run folder: unix socket paths under it must stay below 108 bytes.
  let runDir = resolve(ROOT, `.run/compose-journey-${process.pid}`);
  if (runDir.length > 56) runDir = `/tmp/metrics-journey-${process.pid}`;
  rmSync(runDir, { recursive: true, force: true });
  const unlock = await lockCache(run);
  let dockerd: Dockerd | undefined;
  let project: ComposeProject | undefined;
  let failure: unknown;
  // Ctrl-C or a cancelled CI job: the engine runs detached (its own process group), so stop the
  // project and the engine here, or they would outlive the journey.
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.error(`\ncompose journey: ${signal}, stopping the project and the engine`);
    void (async () => {
      await project?.compose(['down', '-v', '--timeout', '10'], {}, 60_000).catch(() => '');
      await dockerd?.stop();
      rmSync(runDir, { recursive: true, force: true });
      unlock();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    })();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    dockerd = await timed('private dockerd', () =>
      startDockerd({ dataRoot: join(CACHE, 'data-root'), runDir }),
    );
    const startedAt = new Date(Date.now() - 1_000);
    const dockerEnv = { ...process.env, DOCKER_HOST: dockerd.host, DOCKER_BUILDKIT: '0' };
    const standins = await timed('stand-in base images', () =>
      buildStandins({ run, env: dockerEnv, cacheDir: CACHE, workDir: runDir }),
    );
    const port = await freePort();
    let httpsPort = await freePort();
    while (httpsPort === port) httpsPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...dockerEnv,
      COMPOSE_DOCKER_CLI_BUILD: '0',
      COMPOSE_PROJECT_NAME: PROJECT,
      COMPOSE_FILE: [
        join(ROOT, 'docker-compose.yml'),
        join(ROOT, 'scripts/compose/standin.override.yml'),
      ].join(':'),
      STANDIN_NODE_IMAGE: standins.node,
      STANDIN_NGINX_IMAGE: standins.nginx,
      HTTP_BIND: '127.0.0.1',
      HTTP_PORT: String(port),
      // Published too, though TLS is off here (docs/security.md): a free port, never a fixed one.
      HTTPS_PORT: String(httpsPort),
      SERVER_COUNT: '5',
      TICK_MS: '1000',
    };
    project = composeProject(env);
    const npmArgs = machineNpmBuildArgs(nodePrefix());
    const secrets = [
      NPMRC_MARKER,
      ...pemBlocks(npmArgs.NPM_CA ?? '').map((c) => c.split('\n')[1]!),
    ];
    await timed(
      'docker-compose build (mirror build arguments from this machine’s npm settings)',
      () =>
        run('docker-compose', ['build', ...buildArgFlags(npmArgs)], { env, timeoutMs: 2_700_000 }),
    );
    await timed('docker-compose up -d, every service healthy', async () => {
      await run('docker-compose', ['up', '-d', '--no-build'], { env, timeoutMs: 300_000 });
      await project!.waitHealthy();
    });
    const ctx: JourneyContext = {
      run,
      project,
      standins,
      url: `http://127.0.0.1:${port}`,
      startedAt,
      secrets,
    };
    for (const step of STEPS) await timed(step.name, () => step.run(ctx));
  } catch (error) {
    failure = error;
  } finally {
    if (project) {
      await timed('down -v, project images removed (build layers kept)', async () => {
        const logs = await project!.compose(['logs', '--no-color']).catch(() => '');
        writeFileSync(join(RESULTS, 'containers.log'), logs);
        await project!.compose(['down', '-v', '--timeout', '30']).catch((e: Error) => {
          failure ??= e;
        });
        for (const service of SERVICES.filter((s) => s !== 'nginx')) {
          await project!
            .docker(['image', 'rm', '--no-prune', `${PROJECT}_${service}`])
            .catch(() => '');
        }
        // Keep a week of build layers; older ones are what a changed source left behind.
        await project!.docker(['image', 'prune', '-f', '--filter', 'until=168h']).catch(() => '');
      });
    }
    if (dockerd) await dockerd.stop();
    if (dockerd && existsSync(dockerd.logFile)) {
      writeFileSync(join(RESULTS, 'dockerd.log'), readFileSync(dockerd.logFile));
    }
    rmSync(runDir, { recursive: true, force: true });
    unlock();
  }
  console.log('\n=== compose journey');
  for (const [name, seconds] of times) console.log(`${seconds.toFixed(1).padStart(7)} s  ${name}`);
  console.log(`${((Date.now() - started) / 1000).toFixed(1).padStart(7)} s  total`);
  if (failure) {
    console.error(`\ncompose journey FAILED: ${(failure as Error).stack ?? String(failure)}`);
    console.error(`logs: ${RESULTS}`);
    return 1;
  }
  console.log('compose journey passed');
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exit(await main());
}
