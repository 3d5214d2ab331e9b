import type { ServerInfo } from './http.js';

/**
 * The `servers` event's compact id list. At 100,000 servers `[{"id":"server-1"},…]` is about
 * 2 MB, the largest thing a page downloads before its first values; a run of numbered ids
 * (`server-1` … `server-100000`) is sent as one range instead. Entries keep the list's order
 * (the fleet frame's columns follow it): a range stands for `${prefix}${from}` …
 * `${prefix}${to}` (decimal, no leading zeros); any other entry is the server's own
 * `ServerInfo` object, which is also where per-server fields beyond `id` go.
 * docs/architecture.md "Fleet frame" documents the encoding.
 */
export interface ServerIdRange {
  prefix: string;
  from: number;
  to: number;
}

export type ServerListEntry = ServerIdRange | ServerInfo;

/** Most ids a compact list may stand for (the generator's largest fleet is 100,000). */
export const MAX_LISTED_SERVERS = 1_000_000;

export function isServerIdRange(entry: ServerListEntry): entry is ServerIdRange {
  return (entry as ServerIdRange).prefix !== undefined;
}

const NUMBERED = /^(.*?)([1-9][0-9]{0,14})$/;

/** The ids of `servers` as entries: consecutive numbered ids with nothing but an id become ranges. */
export function compactServerList(servers: readonly ServerInfo[]): ServerListEntry[] {
  const out: ServerListEntry[] = [];
  let run: ServerIdRange | undefined;
  const close = () => {
    if (!run) return;
    // A range of one id is no shorter than the id itself.
    out.push(run.from === run.to ? { id: `${run.prefix}${run.from}` } : run);
    run = undefined;
  };
  for (const server of servers) {
    const m = Object.keys(server).length === 1 ? NUMBERED.exec(server.id) : null;
    if (!m) {
      close();
      out.push(server);
      continue;
    }
    const prefix = m[1]!;
    const n = Number(m[2]);
    if (run && run.prefix === prefix && run.to + 1 === n) {
      run.to = n;
      continue;
    }
    close();
    run = { prefix, from: n, to: n };
  }
  close();
  return out;
}

/** Number of ids a compact list stands for. */
export function serverListSize(entries: readonly ServerListEntry[]): number {
  let n = 0;
  for (const e of entries) n += isServerIdRange(e) ? e.to - e.from + 1 : 1;
  return n;
}

/** Every id of a compact list, in order. */
export function expandServerIds(entries: readonly ServerListEntry[]): string[] {
  const size = serverListSize(entries);
  if (!(size <= MAX_LISTED_SERVERS)) {
    throw new RangeError(`server list: ${size} ids, at most ${MAX_LISTED_SERVERS}`);
  }
  const ids = new Array<string>(size);
  let i = 0;
  for (const e of entries) {
    if (!isServerIdRange(e)) ids[i++] = e.id;
    else for (let n = e.from; n <= e.to; n++) ids[i++] = `${e.prefix}${n}`;
  }
  return ids;
}

/**
 * Every server's entry of a compact list, in order: `{ id }` for the ids of a range, explicit
 * entries (a real server's `source`, `labels`, `scrape`) as they came.
 */
export function expandServerInfos(entries: readonly ServerListEntry[]): ServerInfo[] {
  const ids = expandServerIds(entries);
  const out = new Array<ServerInfo>(ids.length);
  let i = 0;
  for (const e of entries) {
    if (!isServerIdRange(e)) out[i++] = e;
    else for (let n = e.from; n <= e.to; n++) out[i] = { id: ids[i++]! };
  }
  return out;
}

/** Whether a compact list holds `id`, without expanding it. */
export function serverListHas(entries: readonly ServerListEntry[], id: string): boolean {
  const m = NUMBERED.exec(id);
  const n = m ? Number(m[2]) : NaN;
  return entries.some((e) =>
    isServerIdRange(e) ? m !== null && e.prefix === m[1] && n >= e.from && n <= e.to : e.id === id,
  );
}

/**
 * The version of a server id list: 32-bit FNV-1a over the ids joined by commas. The generator
 * serves it with `/v1/servers` and writes it into each fleet frame; equal lists have equal
 * versions on every process, so a frame is never read against another list.
 */
export function serverListVersion(ids: readonly string[]): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < ids.length; k++) {
    if (k > 0) h = Math.imul(h ^ 44 /* , */, 0x01000193);
    const id = ids[k]!;
    for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  }
  return h >>> 0;
}
