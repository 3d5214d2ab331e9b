/**
 * The body of the overview's table: only the rows on screen exist, a fixed pool of rows reused
 * as the page scrolls, so 10,000 servers cost the same as 40. Position p is always drawn by
 * pool[p % size]: scrolling by three rows rewrites three rows, not all of them.
 */
import type { FleetModel } from '../fleet-model.js';
import { h } from '../dom.js';
import { reorderPlan, ROW_HEIGHT, visibleRange } from './row-window.js';
import { createServerRow, fillServerRow, hideServerRow, type ServerRow } from './server-row.js';

export interface VirtualRows {
  /** The `.tbody` spacer, as tall as every row together. */
  readonly el: HTMLElement;
  /** Table position of the row that last had keyboard focus; -1 before any. */
  readonly focusPos: number;
  /** Draws the rows of `order` that overlap the viewport. */
  render(order: Uint32Array, now: number): void;
  /** Focuses the row at a position that `render` has drawn. */
  focus(pos: number): void;
}

export function createVirtualRows(model: FleetModel): VirtualRows {
  const el = h('div', { class: 'tbody', role: 'rowgroup' });
  const pool: ServerRow[] = [];
  let focusPos = -1;
  const onFocus = (pos: number) => (focusPos = pos);

  function render(order: Uint32Array, now: number): void {
    // Read layout before writing anything, so the browser never lays out twice in one frame.
    // The table scrolls with the page, so the window is what overlaps the viewport.
    const top = el.getBoundingClientRect().top;
    const n = order.length;
    const height = `${n * ROW_HEIGHT}px`;
    if (el.style.height !== height) el.style.height = height;

    const { first, last } = visibleRange(top, window.innerHeight, n);
    const count = Math.max(0, last - first);
    if (pool.length < count) {
      while (pool.length < count) pool.push(createServerRow(onFocus));
      el.append(...pool.slice(el.childElementCount).map((r) => r.row));
    }
    const size = pool.length;
    const desired: HTMLElement[] = [];
    for (let pos = first; pos < last; pos++) {
      const r = pool[pos % size]!;
      desired.push(r.row);
      fillServerRow(r, model, pos, order[pos]!, now);
    }
    for (const r of pool) {
      if (r.pos >= first && r.pos < last) continue;
      hideServerRow(r);
      desired.push(r.row);
    }
    keepDomOrder(desired);
  }

  /** Keeps the rows' DOM order equal to their visual order (reading and Tab order). */
  function keepDomOrder(desired: HTMLElement[]): void {
    const current = el.children;
    const plan = reorderPlan(current, desired);
    if (plan.kind === 'replace') el.replaceChildren(...desired);
    else if (plan.kind === 'head-to-end') el.append(...Array.from(current).slice(0, plan.count));
    else if (plan.kind === 'tail-to-start') el.prepend(...Array.from(current).slice(plan.from));
  }

  return {
    el,
    get focusPos() {
      return focusPos;
    },
    render,
    focus(pos) {
      pool.find((p) => p.pos === pos)?.name.focus({ preventScroll: true });
    },
  };
}
