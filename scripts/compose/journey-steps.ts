/**
 * The compose journey after `up`: each step is timed and named; a step throws to fail.
 * Extend `STEPS` here (a scale check, say).
 */
import { join } from 'node:path';
import type { ComposeProject } from './compose-project.ts';
import { NODE_SERVICES } from './compose-project.ts';
import { assert, imageContains, inspect, storedSamples } from './journey-checks.ts';
import { RESULTS, ROOT } from './journey-paths.ts';
import type { Runner } from './run-command.ts';
import type { Standins } from './standin-images.ts';

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
