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

export const serverName = (key: number): string => (key === HOST_KEY ? HOST_ID : `server-${key}`);

/** The key of a well-formed server id (`server-1` … `server-999999`, `host`), else undefined. */
export function serverKey(id: string): number | undefined {
  if (id === HOST_ID) return HOST_KEY;
  const m = /^server-([1-9][0-9]{0,5})$/.exec(id);
  return m ? Number(m[1]) : undefined;
}

/** The configured fleet in the order it is listed: server-1 … server-N, then `host` if wanted. */
export function fleetServers(serverCount: number, includeHost: boolean): ServerRef[] {
  const servers: ServerRef[] = [];
  for (let n = 1; n <= serverCount; n++) servers.push({ id: `server-${n}`, key: n });
  if (includeHost) servers.push({ id: HOST_ID, key: HOST_KEY });
  return servers;
}
