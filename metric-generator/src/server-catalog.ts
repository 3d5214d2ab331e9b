import { serverListVersion, type ServerInfo } from '@metrics/protocol';
import type { ServerWorker } from './sampler.js';
import type { ServerRef } from './server-ids.js';

/**
 * The servers as `/v1/servers` lists them: those of the sampler's current tick, in slot order
 * (the order of `/v1/latest` and the fleet frame). Simulated servers are `{ "id" }` only, so a
 * 100,000-server list stays short; `host` and real servers say their `source`, real ones their
 * labels and scrape state, which can change every tick and so are rendered per request.
 */
export interface ServerCatalog {
  servers(): readonly ServerRef[];
  find(id: string): ServerRef | undefined;
  /** The `/v1/servers` body, with the list's `version`. */
  listBody(): string;
}

export function createServerCatalog(workers: () => readonly ServerWorker[]): ServerCatalog {
  let seen: readonly ServerWorker[] | undefined;
  let servers: readonly ServerRef[] = [];
  let byId = new Map<string, ServerRef>();
  /** Entries of the leading workers without `info`, already as JSON. */
  let plainJson = '';
  let plainCount = 0;
  /** `serverListVersion` of the ids: the version the tick's fleet frame names. */
  let version = 0;

  const refresh = () => {
    const current = workers();
    if (current === seen) return current;
    seen = current;
    servers = current.map((w) => w.server);
    byId = new Map(servers.map((s) => [s.id, s]));
    version = serverListVersion(servers.map((s) => s.id));
    plainCount = current.findIndex((w) => w.info !== undefined);
    if (plainCount === -1) plainCount = current.length;
    plainJson = current
      .slice(0, plainCount)
      .map((w) => JSON.stringify({ id: w.server.id }))
      .join(',');
    return current;
  };

  return {
    servers() {
      refresh();
      return servers;
    },
    find(id) {
      refresh();
      return byId.get(id);
    },
    listBody() {
      const current = refresh();
      const rest = current
        .slice(plainCount)
        .map((w) => JSON.stringify(w.info?.() ?? ({ id: w.server.id } satisfies ServerInfo)));
      const parts = plainJson ? [plainJson, ...rest] : rest;
      return `{"servers":[${parts.join(',')}],"version":${version}}`;
    },
  };
}
