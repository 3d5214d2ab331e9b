/**
 * The overview's table panel: a name filter, the count of rows shown, a sortable header and the
 * virtual rows, with keyboard navigation between rows. It reads the row order and the query,
 * and reports filter and sort changes; the overview owns both.
 */
import type { FleetModel, SortKey } from '../fleet-model.js';
import { h, setAttr, setText } from '../dom.js';
import type { OverviewRoute } from '../route.js';
import { emptyText, shownText } from './overview-text.js';
import { sortAfterClick, type RowOrder } from './row-order.js';
import { keyTarget, revealScroll, ROW_HEIGHT } from './row-window.js';
import { createSortHeader } from './sort-header.js';
import { createVirtualRows } from './virtual-rows.js';

export interface ServerTableOptions {
  model: FleetModel;
  rows: RowOrder;
  /** The query as it is now. */
  route: () => OverviewRoute;
  now: () => number;
  /** The filter was typed or a column header clicked. */
  onQuery: (
    change: Pick<OverviewRoute, 'filter'> | Pick<OverviewRoute, 'sortKey' | 'sortDir'>,
  ) => void;
  /** The pointer or the focus left the rows: an order held for them may change now. */
  onRelease: () => void;
}

export interface ServerTable {
  readonly el: HTMLElement;
  /** True while the pointer or the focus is in the rows: new data must not reorder them. */
  holding(): boolean;
  /** Says whether newer data waits behind a held order. */
  showHeld(held: boolean): void;
  /** Draws the rows on screen and the counts for the current query. */
  render(now: number): void;
}

export function createServerTable(options: ServerTableOptions): ServerTable {
  const { model, rows, route, now } = options;

  const filterInput = h('input', {
    type: 'search',
    class: 'filter',
    placeholder: 'Filter by name or label (role=db)…',
    'aria-label': 'Filter servers by name or label',
    autocomplete: 'off',
    spellcheck: 'false',
    value: route().filter,
  });
  filterInput.addEventListener('input', () => options.onQuery({ filter: filterInput.value }));
  const shown = h('span', { class: 'shown', 'aria-live': 'polite' });
  const heldNote = h('span', {
    class: 'held',
    title: 'Rows keep their order while the pointer or focus is in the table',
  });
  const header = createSortHeader((key: SortKey) => options.onQuery(sortAfterClick(route(), key)));
  const body = createVirtualRows(model);
  const empty = h('p', { class: 'empty', hidden: true });
  const table = h(
    'div',
    { class: 'table', role: 'table', 'aria-label': 'Servers', 'aria-rowcount': 0 },
    header.el,
    body.el,
  );
  const el = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'table-title' },
    h(
      'div',
      { class: 'panel-head' },
      h('h2', { id: 'table-title' }, 'Servers'),
      filterInput,
      heldNote,
      shown,
    ),
    table,
    empty,
  );

  function render(t: number): void {
    const { filter } = route();
    const order = rows.order;
    const n = order.length;
    body.render(order, t);
    setAttr(table, 'aria-rowcount', String(n + 1));
    setText(shown, shownText(filter, n, model.count));
    empty.hidden = n > 0;
    if (n === 0) setText(empty, emptyText(filter, model.count));
    header.update(route());
  }

  /** Arrow keys, Home/End and Page keys move between rows; Enter follows the link. */
  body.el.addEventListener('keydown', (event) => {
    const pos = keyTarget(event.key, body.focusPos, rows.order.length, window.innerHeight);
    if (pos === undefined) return;
    event.preventDefault();
    focusRow(pos);
  });

  function focusRow(pos: number): void {
    const rowTop = body.el.getBoundingClientRect().top + window.scrollY + pos * ROW_HEIGHT;
    const headHeight = header.el.getBoundingClientRect().height;
    const top = revealScroll(rowTop, window.scrollY, window.innerHeight, headHeight);
    if (top !== undefined) window.scrollTo({ top });
    render(now());
    body.focus(pos);
  }

  let pointerInside = false;
  body.el.addEventListener('pointerenter', () => (pointerInside = true));
  body.el.addEventListener('pointerleave', () => {
    pointerInside = false;
    options.onRelease();
  });
  body.el.addEventListener('focusout', () => options.onRelease());

  return {
    el,
    holding: () => pointerInside || body.el.contains(document.activeElement),
    showHeld(held) {
      setText(heldNote, held ? 'order held' : '');
    },
    render,
  };
}
