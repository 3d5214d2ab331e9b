/**
 * The ports `npm start` binds, from its environment: the generator, N broadcaster replicas on
 * consecutive ports, the frontend server and the ingress. Every one is validated, no two may be
 * the same, and each is checked free before anything starts, so a taken port is reported with
 * the variable that moves it instead of surfacing as a service's `cannot listen` half-way.
 */
import { once } from 'node:events';
import { createServer } from 'node:net';

export const MAX_BROADCASTER_REPLICAS = 16;

export interface PortUse {
  port: number;
  /** What binds it, e.g. `broadcaster replica 2 of 3`. */
  what: string;
  /** The variable that moves it. */
  variable: string;
}

export interface StartPorts {
  generator: number;
  /** First replica's port; replica i listens on `broadcaster + i`. */
  broadcaster: number;
  replicas: number;
  frontend: number;
  http: number;
  /** Every port in the plan with its owner (the frontend's only when it is started). */
  uses: PortUse[];
}

/** One variable per line: name, default, and how it is read. */
const PORT_VARS = {
  GENERATOR_PORT: 3001,
  BROADCASTER_PORT: 3002,
  FRONTEND_PORT: 3000,
  HTTP_PORT: 8080,
  HTTPS_PORT: 8443,
} as const;

function integer(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
): number {
  // Empty counts as unset, as in the services' own configuration.
  const text = env[name] || String(fallback);
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
    problems.push(`${name}: expected an integer ${min}–${max}, got "${text}"`);
    return fallback;
  }
  return value;
}

/**
 * Reads and checks the ports of `npm start`; throws one error listing every problem (bad values
 * and ports that two parts would share).
 */
export function planPorts(
  env: Record<string, string | undefined>,
  { frontend = true, https = false }: { frontend?: boolean; https?: boolean } = {},
): StartPorts {
  const problems: string[] = [];
  const replicas = integer(env, 'BROADCASTER_REPLICAS', 1, 1, MAX_BROADCASTER_REPLICAS, problems);
  const generator = integer(env, 'GENERATOR_PORT', PORT_VARS.GENERATOR_PORT, 1, 65535, problems);
  const broadcaster = integer(
    env,
    'BROADCASTER_PORT',
    PORT_VARS.BROADCASTER_PORT,
    1,
    65536 - replicas,
    problems,
  );
  const front = integer(env, 'FRONTEND_PORT', PORT_VARS.FRONTEND_PORT, 1, 65535, problems);
  const http = integer(env, 'HTTP_PORT', PORT_VARS.HTTP_PORT, 1, 65535, problems);
  const httpsPort = https
    ? integer(env, 'HTTPS_PORT', PORT_VARS.HTTPS_PORT, 1, 65535, problems)
    : undefined;

  const uses: PortUse[] = [
    { port: generator, what: 'generator', variable: 'GENERATOR_PORT' },
    ...Array.from({ length: replicas }, (_, i) => ({
      port: broadcaster + i,
      what: replicas === 1 ? 'broadcaster' : `broadcaster replica ${i + 1} of ${replicas}`,
      variable: 'BROADCASTER_PORT',
    })),
    ...(frontend ? [{ port: front, what: 'frontend', variable: 'FRONTEND_PORT' }] : []),
    { port: http, what: 'ingress', variable: 'HTTP_PORT' },
    ...(httpsPort !== undefined
      ? [{ port: httpsPort, what: 'ingress (HTTPS)', variable: 'HTTPS_PORT' }]
      : []),
  ];
  const seen = new Map<number, PortUse>();
  for (const use of uses) {
    const first = seen.get(use.port);
    if (first) {
      problems.push(
        `port ${use.port} would be both the ${first.what} (${first.variable}) and the ` +
          `${use.what} (${use.variable}${use.variable === 'BROADCASTER_PORT' ? ` + replica` : ''}); ` +
          `move one of them`,
      );
    } else seen.set(use.port, use);
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return { generator, broadcaster, replicas, frontend: front, http, uses };
}

/** Whether something already listens on `port` (any address: a bind of the wildcard fails). */
export async function portInUse(port: number): Promise<boolean> {
  const server = createServer();
  server.listen({ port, exclusive: true });
  try {
    // `once` rejects with the 'error' event's error (EADDRINUSE) instead of resolving.
    await once(server, 'listening');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') return true;
    throw err;
  }
  await new Promise((resolve) => server.close(resolve));
  return false;
}

/** The plan's ports that are taken, each as a message naming it and the variable that moves it. */
export async function takenPorts(uses: readonly PortUse[]): Promise<string[]> {
  const taken: string[] = [];
  for (const use of uses) {
    if (await portInUse(use.port)) {
      taken.push(
        `port ${use.port} (${use.what}) is already in use by another program: ` +
          `free it or move it with ${use.variable}=<port>` +
          (use.variable === 'BROADCASTER_PORT'
            ? ' (the replicas take that port and the ones after it)'
            : ''),
      );
    }
  }
  return taken;
}
