/**
 * Geometry of the overview's virtual table, pure so it is testable without a browser: which
 * positions are on screen, how to move the recycled rows into reading order, where the keys
 * move focus and how far to scroll to reveal a row. Positions count rows in table order from 0.
 */

/** Height of one table row in CSS px (the stylesheet sets the same). */
export const ROW_HEIGHT = 40;
/** Rows drawn beyond each edge of the viewport, so a short scroll shows no blank rows. */
export const OVERSCAN = 8;
/**
 * Space above a focused row that sticky bars cover besides the table header: the page's top
 * bar (53 px) and a little air.
 */
const STICKY_ABOVE = 64;

/**
 * Positions `[first, last)` to draw, given the top of the table body relative to the viewport
 * (the table scrolls with the page). `last <= first` means none.
 */
export function visibleRange(
  bodyTop: number,
  viewportHeight: number,
  count: number,
): { first: number; last: number } {
  return {
    first: Math.max(0, Math.floor(-bodyTop / ROW_HEIGHT) - OVERSCAN),
    last: Math.min(count, Math.ceil((viewportHeight - bodyTop) / ROW_HEIGHT) + OVERSCAN),
  };
}

/** How to turn the current child order into the desired one with the fewest node moves. */
export type Reorder =
  | { kind: 'keep' }
  | { kind: 'replace' }
  /** Move the first `count` children to the end. */
  | { kind: 'head-to-end'; count: number }
  /** Move the children from index `from` on to the start. */
  | { kind: 'tail-to-start'; from: number };

/**
 * A scroll is a rotation of the row pool, fixed by moving its shorter end; anything else (the
 * pool grew, rows were hidden) replaces the children in one go.
 */
export function reorderPlan<T>(current: ArrayLike<T>, desired: readonly T[]): Reorder {
  const len = desired.length;
  if (current.length !== len) return { kind: 'replace' };
  const j = Array.prototype.indexOf.call(current, desired[0]);
  let rotation = j >= 0;
  for (let k = 0; rotation && k < len; k++) rotation = current[(j + k) % len] === desired[k];
  if (!rotation) return { kind: 'replace' };
  if (j > 0 && j <= len / 2) return { kind: 'head-to-end', count: j };
  if (j > len / 2) return { kind: 'tail-to-start', from: j };
  return { kind: 'keep' };
}

/**
 * Where a navigation key moves focus from `pos` among `count` rows (arrows by one, Page keys by
 * a screenful, Home/End to the ends); undefined for any other key or when no row has focus.
 */
export function keyTarget(
  key: string,
  pos: number,
  count: number,
  viewportHeight: number,
): number | undefined {
  if (!count || pos < 0) return undefined;
  const page = Math.max(1, Math.floor(viewportHeight / ROW_HEIGHT) - 2);
  const delta: Record<string, number> = {
    ArrowDown: 1,
    ArrowUp: -1,
    PageDown: page,
    PageUp: -page,
    Home: -count,
    End: count,
  };
  const d = delta[key];
  if (d === undefined) return undefined;
  return Math.min(count - 1, Math.max(0, pos + d));
}

/**
 * The page scroll that brings a row (its top at `rowTop`, in page coordinates) fully into view
 * below the sticky headers, or undefined when it is already in view.
 */
export function revealScroll(
  rowTop: number,
  scrollY: number,
  viewportHeight: number,
  headHeight: number,
): number | undefined {
  const covered = headHeight + STICKY_ABOVE;
  if (rowTop < scrollY + covered) return rowTop - covered;
  if (rowTop + ROW_HEIGHT > scrollY + viewportHeight) {
    return rowTop + ROW_HEIGHT - viewportHeight + 8;
  }
  return undefined;
}
