/**
 * The hottest servers of the whole fleet by the chosen metric, highest first, each a link to its
 * detail. A fixed number of rows is always laid out (blank until data comes) so nothing moves.
 */
import { STALE_TICKS, type FleetMetric, type FleetModel } from '../fleet-model.js';
import { h, setAttr, setText } from '../dom.js';
import { formatPct } from '../format.js';
import { fleetColumn, hottest } from '../heat-aggregate.js';
import { heatCss } from '../heat.js';
import { serverHref } from '../route.js';
import { COLUMN_LABEL } from './overview-text.js';

/** Rows in the list. */
export const HOTTEST_N = 8;

export interface HottestList {
  readonly el: HTMLElement;
  render(metric: FleetMetric, now: number): void;
}

export function createHottestList(model: FleetModel): HottestList {
  const title = h('h3', { class: 'side-title', id: 'hottest-title' });
  const rows = Array.from({ length: HOTTEST_N }, () => {
    const name = h('span', { class: 'hot-name' });
    const value = h('span', { class: 'hot-val' });
    const link = h('a', { class: 'hot-link', href: '#/' }, name, value);
    const item = h('li', { class: 'hot-item' }, link);
    return { item, link, name, value, id: '', shown: NaN };
  });
  const list = h(
    'ol',
    { class: 'hot-list', 'aria-labelledby': 'hottest-title', 'data-testid': 'hottest' },
    ...rows.map((r) => r.item),
  );
  const el = h('div', { class: 'hottest' }, title, list);

  function render(metric: FleetMetric, now: number): void {
    setText(title, `Hottest by ${COLUMN_LABEL[metric]}`);
    const col = model.values[metric];
    const top = hottest(fleetColumn(model, metric, now, STALE_TICKS), HOTTEST_N);
    rows.forEach((r, k) => {
      const i = top[k];
      r.item.classList.toggle('is-empty', i === undefined);
      if (i === undefined) {
        setText(r.name, k === 0 ? 'no live data' : '');
        setText(r.value, '');
        r.link.removeAttribute('href');
        r.id = '';
        return;
      }
      const id = model.ids[i]!;
      if (r.id !== id) {
        r.id = id;
        r.shown = -1;
        setText(r.name, id);
        setAttr(r.link, 'href', serverHref(id));
      }
      const v = col[i]!;
      if (!Object.is(r.shown, v)) {
        r.shown = v;
        setText(r.value, formatPct(v));
        r.link.style.setProperty('--heat', heatCss(v));
      }
    });
  }

  return { el, render };
}
