/**
 * The compose journey (`npm test` step `compose`; alone: `npx tsx scripts/compose/journey.ts`):
 * `docker compose up` as a new user runs it, on a real Docker engine, proven end to end.
 *
 * It starts a private dockerd (dockerd.ts), builds stand-ins for the official base images
 * (standin-images.ts), builds the project's images with the project's own docker-compose.yml
 * plus standin.override.yml, through the Dockerfiles' mirror build arguments fed with this
 * machine's npm settings (npm-build-args.ts), brings everything up, and runs the STEPS of
 * journey-steps.ts (their checks in journey-checks.ts), timed by journey-report.ts.
 * Then `down -v`, the project's images and folders removed; the cache (stand-in images, build
 * layers, the debootstrapped rootfs) is kept in COMPOSE_JOURNEY_CACHE for the next run, one
 * journey at a time (cache-lock.ts).
 *
 * Runs where it can: Linux, root, Debian with apt, dockerd, docker-compose and debootstrap
 * installed (scripts/ensure-system-deps.sh installs them). Elsewhere it prints why and exits 77,
 * which `npm test` counts as skipped. COMPOSE_JOURNEY=0 skips it on purpose.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../lib/free-port.ts';
import { lockCache } from './cache-lock.ts';
import { composeProject, SERVICES, type ComposeProject } from './compose-project.ts';
import { startDockerd, type Dockerd } from './dockerd.ts';
import { CACHE, RESULTS, ROOT } from './journey-paths.ts';
import { createJourneyReport } from './journey-report.ts';
import { STEPS, type JourneyContext } from './journey-steps.ts';
import { buildArgFlags, machineNpmBuildArgs, NPMRC_MARKER, pemBlocks } from './npm-build-args.ts';
import { createRunner } from './run-command.ts';
import { buildStandins, nodePrefix } from './standin-images.ts';

export const SKIPPED = 77;
const PROJECT = 'metricsjourney';

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

async function main(): Promise<number> {
  const reason = skipReason();
  if (reason) {
    console.log(`compose journey skipped: ${reason}`);
    return SKIPPED;
  }
  const report = createJourneyReport();
  const { timed } = report;
  rmSync(RESULTS, { recursive: true, force: true });
  mkdirSync(RESULTS, { recursive: true });
  mkdirSync(CACHE, { recursive: true });
  const run = createRunner(join(RESULTS, 'journey.log'));

  // A short run folder: unix socket paths under it must stay below 108 bytes.
  let runDir = resolve(ROOT, `.run/compose-journey-${process.pid}`);
  if (runDir.length > 56) runDir = `/tmp/metrics-journey-${process.pid}`;
  rmSync(runDir, { recursive: true, force: true });
  const unlock = await lockCache(CACHE, run);
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
  return report.finish(failure, RESULTS);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exit(await main());
}
