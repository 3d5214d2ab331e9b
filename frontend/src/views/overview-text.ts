/**
 * The overview's words, as pure functions of what it shows, so every wording (plurals,
 * thousands separators, empty states) is testable without a browser.
 */
import type { FleetSummary, SortKey } from '../fleet-model.js';
import { formatAge, formatCount } from '../format.js';

/** Column and colour-button labels. */
export const COLUMN_LABEL: Record<SortKey, string> = {
  name: 'Server',
  cpuPct: 'CPU',
  memPct: 'Memory',
  diskPct: 'Disk',
};

export function overviewTitle(total: number): string {
  return total ? `Fleet · ${formatCount(total)} servers` : 'Fleet · live metrics';
}

/** Under the server count: how many are not reporting. */
export function reportingNote(summary: Pick<FleetSummary, 'total' | 'stale'>): string {
  if (summary.total === 0) return 'waiting for the server list';
  return summary.stale ? `${formatCount(summary.stale)} stale` : 'all reporting';
}

/** Beside the filter: how many rows the table lists. */
export function shownText(filter: string, shown: number, total: number): string {
  return filter.trim()
    ? `${formatCount(shown)} of ${formatCount(total)}`
    : `${formatCount(total)} servers`;
}

/** In place of the table when it has no rows. */
export function emptyText(filter: string, total: number): string {
  if (total === 0) return 'Waiting for the server list…';
  return filter.includes('=')
    ? `No server matches “${filter.trim()}”.`
    : `No server name contains “${filter.trim()}”.`;
}

/** A row's status cell; `age` is Infinity for a server that never reported. */
export function rowStatus(age: number, stale: boolean): string {
  return !Number.isFinite(age) ? 'no data' : stale ? `stale ${formatAge(age)}` : 'live';
}
