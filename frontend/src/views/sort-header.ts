/**
 * The overview table's header row: one sort button per column, marked with `aria-sort` and an
 * arrow on the column the table is sorted by.
 */
import { FLEET_METRICS, type SortKey } from '../fleet-model.js';
import { h, setAttr, setText } from '../dom.js';
import type { OverviewRoute } from '../route.js';
import { COLUMN_LABEL } from './overview-text.js';

export interface SortHeader {
  /** The `.thead` row group. */
  readonly el: HTMLElement;
  /** Marks the column `route` sorts by. */
  update(route: OverviewRoute): void;
}

export function createSortHeader(onSort: (key: SortKey) => void): SortHeader {
  const buttons = new Map<SortKey, HTMLButtonElement>();
  const cells = (['name', ...FLEET_METRICS] as SortKey[]).map((key) => {
    const button = h(
      'button',
      { type: 'button', class: 'sort' },
      COLUMN_LABEL[key],
      h('span', { class: 'arrow' }),
    );
    button.addEventListener('click', () => onSort(key));
    buttons.set(key, button);
    return h('div', { role: 'columnheader', class: `c-${key}` }, button);
  });
  const el = h(
    'div',
    { class: 'thead', role: 'rowgroup' },
    h(
      'div',
      { class: 'row head', role: 'row' },
      ...cells,
      h('div', { role: 'columnheader', class: 'c-state' }, 'Status'),
    ),
  );

  return {
    el,
    update(route) {
      for (const [key, button] of buttons) {
        const active = route.sortKey === key;
        const ascending = route.sortDir === 'asc';
        setAttr(
          button.parentElement!,
          'aria-sort',
          active ? (ascending ? 'ascending' : 'descending') : 'none',
        );
        setText(button.lastElementChild!, active ? (ascending ? '▲' : '▼') : '');
      }
    },
  };
}
