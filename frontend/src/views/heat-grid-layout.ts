import { blockSizeFor } from '../heat-aggregate.js';

/** Cell sizes of the heat grid, in CSS pixels with the gap included. */
export const MIN_CELL = 4;
export const MAX_CELL = 40;

/** Largest cell (CSS px, gap included) that fits `count` cells in `width` × `maxHeight`. */
export function gridLayout(
  count: number,
  width: number,
  maxHeight: number,
  maxCell = MAX_CELL,
): { cell: number; cols: number; rows: number } {
  const w = Math.max(width, MIN_CELL);
  for (let cell = maxCell; cell > MIN_CELL; cell--) {
    const cols = Math.max(1, Math.floor(w / cell));
    const rows = Math.ceil(count / cols);
    if (rows * cell <= maxHeight) return { cell, cols, rows };
  }
  const cols = Math.max(1, Math.floor(w / MIN_CELL));
  return { cell: MIN_CELL, cols, rows: Math.ceil(count / cols) };
}

/**
 * Below this cell size (CSS px, gap included) one square per server stops being readable: the
 * grid switches to blocks of servers instead.
 */
export const MIN_SERVER_CELL = 5;
/** The cell size blocks are planned for; the grid then grows them to fill the area. */
export const BLOCK_CELL = 12;
/**
 * The overview lets a small fleet's squares grow this large (CSS px): from `LABEL_CELL` on, a
 * square is a tile that prints its server's name and value, so a handful of servers fills the
 * area with something to read rather than a row of swatches.
 */
export const TILE_CELL = 120;
export const LABEL_CELL = 64;

export interface OverviewLayout {
  /** Servers per cell: 1 is today's one square per server. */
  blockSize: number;
  /** Cells drawn: `count` servers, or the number of blocks. */
  cells: number;
  cell: number;
  cols: number;
  rows: number;
}

/**
 * The heat grid for `count` servers in `width` × `height`: one cell per server while cells of at
 * least `MIN_SERVER_CELL` fit, else blocks of a round number of servers sized so cells of about
 * `BLOCK_CELL` fit.
 */
export function overviewLayout(count: number, width: number, height: number): OverviewLayout {
  const single = gridLayout(count, width, height, TILE_CELL);
  if (single.cell >= MIN_SERVER_CELL && single.rows * single.cell <= height) {
    return { blockSize: 1, cells: count, ...single };
  }
  const capacity =
    Math.max(1, Math.floor(width / BLOCK_CELL)) * Math.max(1, Math.floor(height / BLOCK_CELL));
  const blockSize = blockSizeFor(count, capacity);
  const cells = Math.ceil(count / blockSize);
  return { blockSize, cells, ...gridLayout(cells, width, height) };
}
