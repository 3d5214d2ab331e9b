import type { Logger } from 'pino';
import type { ServerInfo, ServersResponse } from '@metrics/protocol';
import { asGeneratorError, type GeneratorClient, type GeneratorError } from './generator-client.js';
import { createServerList, EMPTY_SERVER_LIST, sameList, type ServerList } from './server-list.js';

/** The entries that say more than their id, as one string: what a change of details compares. */
export function detailsKey(entries: readonly ServerInfo[]): string {
  let key = '';
  for (const e of entries) if (e.source !== undefined) key += JSON.stringify(e);
  return key;
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
  let current = EMPTY_SERVER_LIST;
  let details = '';
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
    let answer: ServersResponse;
    try {
      answer = await opts.client.servers(opts.timeoutMs);
    } catch (err) {
      if (closed) return;
      failing = true;
      const error = asGeneratorError(err);
      opts.log.warn({ err: error.message, kind: error.kind }, 'discovery failed');
      opts.onGenerator(false, error);
      return;
    }
    if (closed) return;
    failing = false;
    opts.onGenerator(true);
    const nextDetails = detailsKey(answer.servers);
    if (sameList(answer, current)) {
      if (nextDetails === details) return;
      // Same servers, new details (a real server went down or came back): same version.
      details = nextDetails;
      current = createServerList(answer.servers, answer.version);
      opts.onServers(current);
      return;
    }
    details = nextDetails;
    const next = createServerList(answer.servers, answer.version);
    current = next;
    opts.log.info({ servers: next.ids.length, version: next.version }, 'server list changed');
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
      return current.has(id);
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
