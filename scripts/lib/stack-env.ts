/**
 * The environment each process of a stack starts with: defaults (free port, loopback, the
 * generator's size and database, the broadcaster's generator and ingress secret), then the
 * caller's extra variables, then the port the process was first bound to, so a restart comes
 * back where nginx's upstreams and the broadcaster's GENERATOR_URL expect it.
 */
import type { ServiceName } from './service-process.ts';
import type { Env } from './stack-options.ts';

export interface ServiceEnvInput {
  name: ServiceName;
  /** Which broadcaster replica, from 0 (0 for the other services). */
  replica: number;
  /** The port this process (or replica) was bound to before, if it ran already. */
  bound: number | undefined;
  /** The caller's variables for this service (`StackOptions.env`). */
  extra: Env;
  serviceHost: string;
  serverCount: number;
  dbPath: string;
  generatorUrl: string | undefined;
  ingressSecret: string | undefined;
}

export function serviceEnv(i: ServiceEnvInput): Env {
  const { name, replica, bound, extra } = i;
  const base: Env = { PORT: '0', HOST: i.serviceHost };
  if (name === 'metric-generator') {
    base.SERVER_COUNT = String(i.serverCount);
    base.DB_PATH = i.dbPath;
  }
  if (name === 'metric-broadcaster') {
    base.GENERATOR_URL = i.generatorUrl;
    if (i.ingressSecret) base.INGRESS_SECRET = i.ingressSecret;
  }
  // An explicit PORT applies to the first start (replica i: PORT + i); a restart must come
  // back on the bound port.
  const firstPort =
    name === 'metric-broadcaster' && extra.PORT && Number(extra.PORT) > 0
      ? String(Number(extra.PORT) + replica)
      : extra.PORT;
  return {
    ...base,
    ...extra,
    ...(firstPort !== undefined ? { PORT: firstPort } : {}),
    ...(bound !== undefined ? { PORT: String(bound) } : {}),
  };
}
