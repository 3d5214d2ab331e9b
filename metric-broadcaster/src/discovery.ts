import type { Logger } from 'pino';
import type { ServerInfo } from '@metrics/protocol';
import { GeneratorError, type GeneratorClient } from './generator-client.js';

export interface ServerList {
  ids: readonly string[];
  /** FNV-1a hash of the ids in order: equal lists have equal versions, on every replica. */
  version: number;
  /**
   * Each server's entry as the generator lists it: `{ id }` for simulated ones; `source`,
   * `labels` and scrape state for `host` and real servers (relayed to clients as they are).
   */
  entries: readonly ServerInfo[];
}

/** The entries that say more than their id, as one string: what a change of details compares. */
export function detailsKey(entries: readonly ServerInfo[]): string {
  let key = '';
  for (const e of entries) if (e.source !== undefined) key += JSON.stringify(e);
  return key;
}

/** The version of a server id list (32-bit FNV-1a over the ids joined by commas). */
export function serverListVersion(ids: readonly string[]): number {
  let h = 0x811c9dc5;
  const text = ids.join(',');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function sameIds(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface DiscoveryOptions {
  client: GeneratorClient;
  intervalMs: number;
  timeoutMs: number;
  log: Logger;
  /** The server set or an entry's details changed (also called once for the first list). */
  onServers(list: ServerList): void;
  onGenerator(ok: boolean, error?: GeneratorError): void;
  /** While the generator is down discovery retries this often (at most `intervalMs`). */
  downIntervalMs?: number;
}

export interface Discovery {
  /** Fetches the list now; resolves when done (failures are reported, never thrown). */
  refresh(): Promise<void>;
  /** Starts the periodic refresh. */
  start(): void;
  readonly current: ServerList;
  has(id: string): boolean;
  close(): void;
}

/**
 * `GET /v1/servers` at start and every `intervalMs` (every `downIntervalMs` while it fails, so a
 * restarted generator is noticed quickly even when nobody is polling).
 */
export function createDiscovery(opts: DiscoveryOptions): Discovery {
  const downIntervalMs = Math.min(opts.intervalMs, opts.downIntervalMs ?? 1000);
  let current: ServerList = { ids: [], version: serverListVersion([]), entries: [] };
  let details = '';
  let known = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let started = false;
  let closed = false;
  let failing = false;

  function arm(): void {
    if (closed || !started) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void refresh(), failing ? downIntervalMs : opts.intervalMs);
  }

  function refresh(): Promise<void> {
    running ??= fetchOnce().finally(() => {
      running = undefined;
      arm();
    });
    return running;
  }

  async function fetchOnce(): Promise<void> {
    let servers: ServerInfo[];
    try {
      servers = await opts.client.servers(opts.timeoutMs);
    } catch (err) {
      if (closed) return;
      failing = true;
      const error =
        err instanceof GeneratorError ? err : new GeneratorError('network', String(err));
      opts.log.warn({ err: error.message, kind: error.kind }, 'discovery failed');
      opts.onGenerator(false, error);
      return;
    }
    if (closed) return;
    failing = false;
    opts.onGenerator(true);
    const ids = servers.map((s) => s.id);
    const nextDetails = detailsKey(servers);
    if (sameIds(ids, current.ids)) {
      if (nextDetails === details) return;
      // Same servers, new details (a real server went down or came back): same version.
      details = nextDetails;
      current = { ids: current.ids, version: current.version, entries: servers };
      opts.onServers(current);
      return;
    }
    details = nextDetails;
    current = { ids, version: serverListVersion(ids), entries: servers };
    known = new Set(ids);
    opts.log.info({ servers: ids.length, version: current.version }, 'server list changed');
    opts.onServers(current);
  }

  return {
    refresh,
    start() {
      started = true;
      arm();
    },
    get current() {
      return current;
    },
    has(id) {
      return known.has(id);
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
