/**
 * The journey's compose project as its steps and its Playwright spec drive it: the project's
 * own docker-compose.yml plus standin.override.yml, on the private engine. Everything it needs
 * travels in the environment (DOCKER_HOST, COMPOSE_FILE, COMPOSE_PROJECT_NAME, STANDIN_*,
 * HTTP_BIND, HTTP_PORT), so the spec, started by the journey, sees the same project.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export const SERVICES = ['metric-generator', 'metric-broadcaster', 'frontend', 'nginx'] as const;
export type ComposeService = (typeof SERVICES)[number];
export const NODE_SERVICES = ['metric-generator', 'metric-broadcaster', 'frontend'] as const;

export interface ComposeProject {
  env: NodeJS.ProcessEnv;
  /** `docker-compose <args>` (extra environment merged in); resolves with stdout. */
  compose(args: string[], extraEnv?: NodeJS.ProcessEnv, timeoutMs?: number): Promise<string>;
  docker(args: string[], timeoutMs?: number): Promise<string>;
  /** Container id of each service that has one (running or not). */
  containers(): Promise<Partial<Record<ComposeService, string>>>;
  /** Health of each service's container (`healthy`, `starting`, `unhealthy`, or its state). */
  health(): Promise<Partial<Record<ComposeService, string>>>;
  /** Waits until every service is healthy; throws with their last states after `timeoutMs`. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** GET on the generator from inside its own container (the ingress does not route it). */
  generatorGet(path: string): Promise<{ status: number; body: string }>;
}

export function composeProject(env: NodeJS.ProcessEnv = process.env): ComposeProject {
  const compose = async (args: string[], extraEnv: NodeJS.ProcessEnv = {}, timeoutMs = 300_000) => {
    const { stdout } = await exec('docker-compose', args, {
      env: { ...env, ...extraEnv },
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  };
  const docker = async (args: string[], timeoutMs = 120_000) => {
    const { stdout } = await exec('docker', args, {
      env,
      timeout: timeoutMs,
      maxBuffer: 1024 * 1024 * 1024,
    });
    return stdout;
  };
  const containers = async () => {
    const out: Partial<Record<ComposeService, string>> = {};
    for (const service of SERVICES) {
      const id = (await compose(['ps', '-q', service])).trim();
      if (id) out[service] = id;
    }
    return out;
  };
  const health = async () => {
    const out: Partial<Record<ComposeService, string>> = {};
    for (const [service, id] of Object.entries(await containers())) {
      const state = await docker([
        'inspect',
        '--format',
        '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}',
        id,
      ]);
      out[service as ComposeService] = state.trim();
    }
    return out;
  };
  const waitHealthy = async (timeoutMs = 240_000) => {
    const deadline = Date.now() + timeoutMs;
    let last: Partial<Record<ComposeService, string>> = {};
    while (Date.now() < deadline) {
      last = await health();
      if (SERVICES.every((s) => last[s] === 'healthy')) return;
      await new Promise((r) => setTimeout(r, 2_000));
    }
    throw new Error(
      `not every service healthy after ${timeoutMs / 1000} s: ${JSON.stringify(last)}`,
    );
  };
  const generatorGet = async (path: string) => {
    const script =
      `fetch('http://127.0.0.1:3001${path}').then(async r=>{` +
      `process.stdout.write(JSON.stringify({status:r.status,body:await r.text()}))})` +
      `.catch(e=>{console.error(e);process.exit(1)})`;
    const out = await compose(['exec', '-T', 'metric-generator', 'node', '-e', script]);
    return JSON.parse(out) as { status: number; body: string };
  };
  return { env, compose, docker, containers, health, waitHealthy, generatorGet };
}
