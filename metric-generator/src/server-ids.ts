/**
 * Server names and their integer keys in the database: `server-N` is key N, `host` is key 0.
 * Integer keys keep every row and the primary key short (see migrations/001_init.sql).
 */
export const HOST_ID = 'host';
export const HOST_KEY = 0;

export interface ServerRef {
  /** Name as served: `server-3`, `host`. */
  id: string;
  /** Key in the database. */
  key: number;
}

/** The configured fleet in the order it is listed: server-1 … server-N, then `host` if wanted. */
export function fleetServers(serverCount: number, includeHost: boolean): ServerRef[] {
  const servers: ServerRef[] = [];
  for (let n = 1; n <= serverCount; n++) servers.push({ id: `server-${n}`, key: n });
  if (includeHost) servers.push({ id: HOST_ID, key: HOST_KEY });
  return servers;
}
