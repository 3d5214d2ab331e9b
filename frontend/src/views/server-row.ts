/**
 * One recycled row of the overview's table. A row remembers what it shows, so redrawing it
 * writes only what changed: its position when it moved, its name when it shows another server,
 * each value when that value changed. At 1 Hz over a screenful of rows, most writes are skipped.
 *
 * The row is an ARIA row holding cells, and the server's name in it is the link (a link may not
 * be a row); the link's hit area is stretched over the whole row, so the row still opens on a
 * click anywhere, and keyboard focus lands on the link.
 */
import { FLEET_METRICS, type FleetModel } from '../fleet-model.js';
import { h, setText } from '../dom.js';
import { formatPct } from '../format.js';
import { heatCss } from '../heat.js';
import { serverHref } from '../route.js';
import { downText, labelsText } from '../server-filter.js';
import { rowStatus } from './overview-text.js';
import { ROW_HEIGHT } from './row-window.js';

export interface ServerRow {
  readonly row: HTMLElement;
  /** The link to the server's detail; also its name. */
  readonly name: HTMLAnchorElement;
  readonly state: HTMLElement;
  /** `real` for scraped servers and the host, empty for simulated ones. */
  readonly tag: HTMLElement;
  readonly labels: HTMLElement;
  readonly metrics: { fill: HTMLElement; value: HTMLElement; shown: number }[];
  /** What the row shows now, so unchanged parts are not written again; -1 when hidden. */
  pos: number;
  index: number;
  version: number;
  stale: boolean | undefined;
  /** Source, labels and scrape state as last drawn. */
  details: string;
}

/** A blank row; `onFocus` hears the position of the row when it gets keyboard focus. */
export function createServerRow(onFocus: (pos: number) => void): ServerRow {
  const name = h('a', { class: 'name', href: '#/' });
  const tag = h('span', { class: 'tag', hidden: true });
  const labels = h('span', { class: 'labels' });
  const state = h('span', { role: 'cell', class: 'c-state' });
  const metrics = FLEET_METRICS.map(() => ({
    fill: h('span', { class: 'fill' }),
    value: h('span', { class: 'val' }),
    shown: -1,
  }));
  const row = h(
    'div',
    { class: 'row', role: 'row' },
    h('span', { role: 'cell', class: 'c-name' }, h('span', { class: 'dot' }), name, tag, labels),
    ...metrics.map((m, k) =>
      h(
        'span',
        { role: 'cell', class: `c-${FLEET_METRICS[k]}` },
        m.value,
        h('span', { class: 'bar', 'aria-hidden': 'true' }, m.fill),
      ),
    ),
    state,
  );
  name.addEventListener('focus', () => onFocus(Number(row.dataset.pos)));
  return {
    row,
    name,
    state,
    tag,
    labels,
    metrics,
    pos: -1,
    index: -1,
    version: -1,
    stale: undefined,
    details: '',
  };
}

/** Shows server `index` of the model at table position `pos`, as of local time `now`. */
export function fillServerRow(
  r: ServerRow,
  model: FleetModel,
  pos: number,
  index: number,
  now: number,
): void {
  if (r.pos !== pos) {
    r.pos = pos;
    r.row.dataset.pos = String(pos);
    r.row.style.transform = `translateY(${pos * ROW_HEIGHT}px)`;
    r.row.setAttribute('aria-rowindex', String(pos + 2));
  }
  r.row.hidden = false;
  if (r.index !== index || r.version !== model.version) {
    r.index = index;
    r.version = model.version;
    const id = model.ids[index]!;
    r.name.setAttribute('href', serverHref(id));
    setText(r.name, id);
    for (const cell of r.metrics) cell.shown = -1;
  }
  const stale = model.isStale(index, now);
  if (r.stale !== stale) {
    r.stale = stale;
    r.row.classList.toggle('is-stale', stale);
  }
  for (let c = 0; c < FLEET_METRICS.length; c++) {
    const v = model.values[FLEET_METRICS[c]!][index]!;
    const cell = r.metrics[c]!;
    if (Object.is(cell.shown, v)) continue;
    cell.shown = v;
    setText(cell.value, formatPct(v));
    cell.fill.style.transform = `scaleX(${Number.isFinite(v) ? v / 100 : 0})`;
    cell.fill.style.backgroundColor = Number.isFinite(v) ? heatCss(v) : '';
  }
  const info = model.info(index);
  const down = downText(info);
  const source = info?.source ?? 'simulated';
  const details = `${source}|${labelsText(info)}|${down ?? ''}`;
  if (details !== r.details) {
    r.details = details;
    r.tag.hidden = source === 'simulated';
    setText(r.tag, source === 'simulated' ? '' : 'real');
    r.tag.title = source === 'node_exporter' ? 'Scraped from its node_exporter' : 'This machine';
    setText(r.labels, labelsText(info));
    r.row.classList.toggle('is-down', down !== undefined);
    r.state.title = down ?? '';
  }
  setText(r.state, down ?? rowStatus(model.ageOf(index, now), stale));
}

/** Takes a row off screen; it keeps its content for when it is reused. */
export function hideServerRow(r: ServerRow): void {
  r.pos = -1;
  r.row.hidden = true;
}
