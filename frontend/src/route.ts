/**
 * Hash routes: `#/` (fleet overview, optional `?q=&sort=&dir=&color=`) and
 * `#/servers/<id>` (server detail). Pure, so links and the back button are testable.
 */
import { FLEET_METRICS, type FleetMetric, type SortDir, type SortKey } from './fleet-model.js';

export interface OverviewRoute {
  view: 'overview';
  filter: string;
  sortKey: SortKey;
  sortDir: SortDir;
  colorBy: FleetMetric;
}

export interface DetailRoute {
  view: 'detail';
  serverId: string;
}

export type Route = OverviewRoute | DetailRoute;

export const DEFAULT_OVERVIEW: OverviewRoute = {
  view: 'overview',
  filter: '',
  // Hottest first: the busiest server is the first row.
  sortKey: 'cpuPct',
  sortDir: 'desc',
  colorBy: 'cpuPct',
};

const SORT_KEYS: readonly SortKey[] = ['name', ...FLEET_METRICS];

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  const detail = /^\/servers\/([^/?#]+)\/?$/.exec(path);
  if (detail) {
    try {
      return { view: 'detail', serverId: decodeURIComponent(detail[1]!) };
    } catch {
      return DEFAULT_OVERVIEW;
    }
  }
  const query = new URLSearchParams(path.split('?')[1] ?? '');
  const sort = query.get('sort');
  const dir = query.get('dir');
  const color = query.get('color');
  return {
    view: 'overview',
    filter: (query.get('q') ?? '').slice(0, 100),
    sortKey: SORT_KEYS.includes(sort as SortKey) ? (sort as SortKey) : DEFAULT_OVERVIEW.sortKey,
    sortDir: dir === 'asc' || dir === 'desc' ? dir : DEFAULT_OVERVIEW.sortDir,
    colorBy: FLEET_METRICS.includes(color as FleetMetric)
      ? (color as FleetMetric)
      : DEFAULT_OVERVIEW.colorBy,
  };
}

export function formatRoute(route: Route): string {
  if (route.view === 'detail') return `#/servers/${encodeURIComponent(route.serverId)}`;
  const query = new URLSearchParams();
  if (route.filter) query.set('q', route.filter);
  if (route.sortKey !== DEFAULT_OVERVIEW.sortKey) query.set('sort', route.sortKey);
  if (route.sortDir !== DEFAULT_OVERVIEW.sortDir) query.set('dir', route.sortDir);
  if (route.colorBy !== DEFAULT_OVERVIEW.colorBy) query.set('color', route.colorBy);
  const q = query.toString();
  return q ? `#/?${q}` : '#/';
}

export const serverHref = (serverId: string): string => formatRoute({ view: 'detail', serverId });
