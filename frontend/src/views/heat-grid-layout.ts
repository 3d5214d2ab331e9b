/** Cell sizes of the heat grid, in CSS pixels with the gap included. */
export const MIN_CELL = 4;
export const MAX_CELL = 40;

/** Largest cell (CSS px, gap included) that fits `count` cells in `width` × `maxHeight`. */
export function gridLayout(
  count: number,
  width: number,
  maxHeight: number,
): { cell: number; cols: number; rows: number } {
  const w = Math.max(width, MIN_CELL);
  for (let cell = MAX_CELL; cell > MIN_CELL; cell--) {
    const cols = Math.max(1, Math.floor(w / cell));
    const rows = Math.ceil(count / cols);
    if (rows * cell <= maxHeight) return { cell, cols, rows };
  }
  const cols = Math.max(1, Math.floor(w / MIN_CELL));
  return { cell: MIN_CELL, cols, rows: Math.ceil(count / cols) };
}
