/**
 * Which servers the overview's table lists, in which order, and when that order may change.
 * A new query re-sorts at once; new data re-sorts only while nobody is pointing at or focused
 * in the table, so a row never moves away under the pointer just before a click.
 */
import type { FleetModel, SortDir, SortKey } from '../fleet-model.js';
import type { OverviewRoute } from '../route.js';

export interface RowOrder {
  /** Server indices in table order. */
  readonly order: Uint32Array;
  /** 1 for each server the filter keeps, for the heat grid; undefined when there is no filter. */
  readonly matches: Uint8Array | undefined;
  /**
   * Re-sorts if the query or the data changed, unless `holding` keeps the order for new data.
   * Returns true when newer data waits behind a held order that it would change.
   */
  update(route: OverviewRoute, holding: boolean): boolean;
}

export function createRowOrder(model: FleetModel): RowOrder {
  let order: Uint32Array = new Uint32Array(0);
  let orderQueryKey = '';
  let orderRevision = -1;
  let matches: Uint8Array | undefined;
  let matchesKey = '';

  function update(route: OverviewRoute, holding: boolean): boolean {
    const queryKey = `${model.version}|${route.filter}|${route.sortKey}|${route.sortDir}`;
    const held = holding && queryKey === orderQueryKey;
    if (!held && (queryKey !== orderQueryKey || model.revision !== orderRevision)) {
      order = model.view(route);
      orderQueryKey = queryKey;
      orderRevision = model.revision;
    }
    const fKey = `${model.version}|${route.filter}`;
    if (fKey !== matchesKey) {
      matchesKey = fKey;
      if (route.filter.trim()) {
        matches = new Uint8Array(model.count);
        for (const i of order) matches[i] = 1;
      } else {
        matches = undefined;
      }
    }
    // Name order does not depend on the data, so nothing is held back from it.
    return held && model.revision !== orderRevision && route.sortKey !== 'name';
  }

  return {
    get order() {
      return order;
    },
    get matches() {
      return matches;
    },
    update,
  };
}

/**
 * The sort after a click on a column header: the same column flips direction; another column
 * starts with names A–Z and values highest first.
 */
export function sortAfterClick(
  route: Pick<OverviewRoute, 'sortKey' | 'sortDir'>,
  key: SortKey,
): { sortKey: SortKey; sortDir: SortDir } {
  const sortDir: SortDir =
    route.sortKey === key
      ? route.sortDir === 'asc'
        ? 'desc'
        : 'asc'
      : key === 'name'
        ? 'asc'
        : 'desc';
  return { sortKey: key, sortDir };
}
