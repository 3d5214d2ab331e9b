import {
  compactServerList,
  serverListVersion,
  type ServerInfo,
  type ServersPayload,
  type ServersResponse,
} from '@metrics/protocol';

/**
 * One version of the generator's server list, as discovery last saw it: the ids in the
 * generator's order (the fleet frame's column order), the version the generator gave them, and
 * the `servers` event built once for this version (compact: ranges plus explicit entries), so a
 * connecting client costs neither a 100,000-entry encode nor 2 MB on the wire.
 */
export interface ServerList {
  readonly ids: readonly string[];
  /** The generator's `serverListVersion` of `ids`: what fleet frames name. */
  readonly version: number;
  has(id: string): boolean;
  /** The `servers` event's `servers` field as JSON, encoded once. */
  readonly entriesJson: string;
  payload(timestamp: number): ServersPayload;
}

export function createServerList(servers: readonly ServerInfo[], version: number): ServerList {
  const ids = servers.map((s) => s.id);
  const known = new Set(ids);
  const entries = compactServerList(servers);
  return {
    ids,
    version,
    has: (id) => known.has(id),
    entriesJson: JSON.stringify(entries),
    payload: (timestamp) => ({ servers: entries, count: ids.length, version, timestamp }),
  };
}

/** Before the first discovery: no server. */
export const EMPTY_SERVER_LIST: ServerList = createServerList([], serverListVersion([]));

/** Whether the generator's answer is the list already known (checked before building one). */
export function sameList(answer: ServersResponse, known: ServerList): boolean {
  const { servers } = answer;
  if (answer.version !== known.version || servers.length !== known.ids.length) return false;
  for (let i = 0; i < servers.length; i++) if (servers[i]!.id !== known.ids[i]) return false;
  return true;
}
