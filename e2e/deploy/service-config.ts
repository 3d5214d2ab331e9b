/**
 * The three Node services as the deployment contract tests see them: where each lives, its name
 * in the README's configuration table, and its pure `loadConfig`, run to learn every variable it
 * reads and its defaults (docker-compose.yml and deploy/kubernetes/ are both held to these).
 */
import { loadConfig as broadcasterConfig } from '../../metric-broadcaster/src/config.ts';
import { loadConfig as frontendConfig } from '../../frontend/server/config.ts';
import { loadConfig as generatorConfig } from '../../metric-generator/src/config.ts';

type Loader = (env: Record<string, string | undefined>, randomSeed?: () => number) => unknown;

/** The three Node services: where they live and how their configuration is read. */
export const NODE_SERVICES: Record<string, { load: Loader; readme: string; workspace: string }> = {
  'metric-generator': { load: generatorConfig, readme: 'generator', workspace: 'metric-generator' },
  'metric-broadcaster': {
    load: broadcasterConfig,
    readme: 'broadcaster',
    workspace: 'metric-broadcaster',
  },
  frontend: { load: frontendConfig, readme: 'frontend', workspace: 'frontend' },
};

/** Runs a service's pure `loadConfig` (fixed seed, so two calls compare equal). */
export const load = (service: string, env: Record<string, string | undefined>) =>
  NODE_SERVICES[service]!.load(env, () => 7);

/** Every variable `loadConfig` looks up, recorded through a Proxy: no grepping of its source. */
export function variablesRead(service: string): string[] {
  const seen = new Set<string>();
  const env = new Proxy({} as Record<string, string | undefined>, {
    get(_, key) {
      if (typeof key === 'string') seen.add(key);
      return undefined;
    },
    has(_, key) {
      if (typeof key === 'string') seen.add(key);
      return false;
    },
  });
  load(service, env);
  return [...seen].filter((name) => /^[A-Z][A-Z0-9_]*$/.test(name)).sort();
}

export const defaultPort = (service: string) => (load(service, {}) as { port: number }).port;
