import type { SampleRow } from './db.js';

/**
 * The JSON bodies of the history endpoints, built as strings (never `JSON.stringify` of an
 * object per row): the same bytes on the tick's thread and in a history reader worker.
 */

/** Serializes a stored row exactly like the latest cache does (`Sample` key order). */
export function rowJson(id: string, row: SampleRow): string {
  return (
    `{"serverId":${JSON.stringify(id)},"timestamp":"${new Date(row.ts).toISOString()}",` +
    `"cpuPct":${row.cpuPct},"memPct":${row.memPct},"diskPct":${row.diskPct},` +
    `"netRxBps":${row.netRxBps},"netTxBps":${row.netTxBps},"load1":${row.load1}}`
  );
}

/** `{ "serverId", "samples": [ … ] }`: one server's history (`GET /v1/servers/:id/history`). */
export function seriesJson(id: string, rows: readonly SampleRow[]): string {
  return `{"serverId":${JSON.stringify(id)},"samples":[${rows.map((r) => rowJson(id, r)).join(',')}]}`;
}
