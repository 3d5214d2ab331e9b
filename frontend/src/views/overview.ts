/**
 * The fleet overview: summary, heat grid and a virtualized table of every server. Only the rows
 * on screen exist in the DOM (a fixed pool of links reused as the page scrolls), so 10,000
 * servers cost the same as 40. Work happens in one `requestAnimationFrame` per change.
 */
import { FLEET_METRICS, HOT_PCT, type FleetModel, type SortKey } from '../fleet-model.js';
import { h, setAttr, setText } from '../dom.js';
import { formatAge, formatCount, formatPct } from '../format.js';
import { heatCss, heatGradient } from '../heat.js';
import { serverHref, type OverviewRoute } from '../route.js';
import { measure } from '../perf.js';
import { createHeatGrid } from './heat-grid.js';

export const ROW_HEIGHT = 40;
const OVERSCAN = 8;

const LABEL: Record<SortKey, string> = {
  name: 'Server',
  cpuPct: 'CPU',
  memPct: 'Memory',
  diskPct: 'Disk',
};

export interface OverviewOptions {
  model: FleetModel;
  route: OverviewRoute;
  /** Local time (the model's staleness is measured against it). */
  now: () => number;
  /** The query changed (filter, sort, colour): the caller records it in the URL. */
  onRouteChange: (route: OverviewRoute) => void;
  open: (serverId: string) => void;
}

export interface OverviewView {
  readonly el: HTMLElement;
  /** New data: render on the next animation frame. */
  invalidate(): void;
  destroy(): void;
}

interface RowEls {
  row: HTMLAnchorElement;
  name: HTMLElement;
  state: HTMLElement;
  metrics: { fill: HTMLElement; value: HTMLElement; shown: number }[];
  /** What the row shows now, so unchanged parts are not written again. */
  pos: number;
  index: number;
  version: number;
  stale: boolean | undefined;
}

export function createOverview(options: OverviewOptions): OverviewView {
  const { model, now, open } = options;
  let route = options.route;

  // Summary strip.
  const stat = (label: string) => {
    const value = h('div', { class: 'stat-value' });
    const sub = h('div', { class: 'stat-sub' });
    const el = h('div', { class: 'stat' }, h('div', { class: 'stat-label' }, label), value, sub);
    return { el, value, sub };
  };
  const sServers = stat('Servers');
  const sCpu = stat('Average CPU');
  const sMem = stat('Average memory');
  const sDisk = stat('Average disk');
  const hottestLink = h('a', { class: 'stat-value marked hottest-link', href: '#/' });
  const hottestSub = h('div', { class: 'stat-sub' });
  const sHot = h(
    'div',
    { class: 'stat stat-hot' },
    h('div', { class: 'stat-label' }, 'Busiest server'),
    hottestLink,
    hottestSub,
  );
  const summary = h(
    'section',
    { class: 'stats', 'aria-label': 'Fleet summary' },
    sServers.el,
    sCpu.el,
    sMem.el,
    sDisk.el,
    sHot,
  );

  // Heat grid with its colour control and legend.
  const grid = createHeatGrid(model, open);
  const colorButtons = FLEET_METRICS.map((m) => {
    const b = h('button', { type: 'button', class: 'seg', 'data-metric': m }, LABEL[m]);
    b.addEventListener('click', () => setRoute({ ...route, colorBy: m }));
    return b;
  });
  const legendBar = h('span', { class: 'legend-bar' });
  legendBar.style.background = heatGradient();
  const heatPanel = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'heat-title' },
    h(
      'div',
      { class: 'panel-head' },
      h('h2', { id: 'heat-title' }, 'Heat map'),
      h('div', { class: 'segmented', role: 'group', 'aria-label': 'Colour by' }, ...colorButtons),
      h(
        'div',
        { class: 'legend', 'aria-hidden': 'true' },
        h('span', {}, '0 %'),
        legendBar,
        h('span', {}, '100 %'),
        h('span', { class: 'legend-stale' }, 'stale'),
      ),
    ),
    grid.el,
    h(
      'p',
      { class: 'hint' },
      'One square per server, in name order. Hover to read it, click to open it.',
    ),
  );

  // Table: toolbar, header, virtual rows.
  const filterInput = h('input', {
    type: 'search',
    class: 'filter',
    placeholder: 'Filter by name…',
    'aria-label': 'Filter servers by name',
    autocomplete: 'off',
    spellcheck: 'false',
    value: route.filter,
  });
  filterInput.addEventListener('input', () => setRoute({ ...route, filter: filterInput.value }));
  const shown = h('span', { class: 'shown', 'aria-live': 'polite' });
  const heldNote = h('span', {
    class: 'held',
    title: 'Rows keep their order while the pointer or focus is in the table',
  });
  const sortButtons = new Map<SortKey, HTMLButtonElement>();
  const headerCells = (['name', ...FLEET_METRICS] as SortKey[]).map((key) => {
    const button = h(
      'button',
      { type: 'button', class: 'sort' },
      LABEL[key],
      h('span', { class: 'arrow' }),
    );
    button.addEventListener('click', () => {
      const sortDir =
        route.sortKey === key
          ? route.sortDir === 'asc'
            ? 'desc'
            : 'asc'
          : key === 'name'
            ? 'asc'
            : 'desc';
      setRoute({ ...route, sortKey: key, sortDir });
    });
    sortButtons.set(key, button);
    return h('div', { role: 'columnheader', class: `c-${key}` }, button);
  });
  const head = h(
    'div',
    { class: 'thead', role: 'rowgroup' },
    h(
      'div',
      { class: 'row head', role: 'row' },
      ...headerCells,
      h('div', { role: 'columnheader', class: 'c-state' }, 'Status'),
    ),
  );
  const spacer = h('div', { class: 'tbody', role: 'rowgroup' });
  const empty = h('p', { class: 'empty', hidden: true });
  const table = h(
    'div',
    { class: 'table', role: 'table', 'aria-label': 'Servers', 'aria-rowcount': 0 },
    head,
    spacer,
  );
  const tablePanel = h(
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

  const el = h('div', { class: 'overview' }, summary, heatPanel, tablePanel);

  const pool: RowEls[] = [];
  let order: Uint32Array = new Uint32Array(0);
  let orderQueryKey = '';
  let orderRevision = -1;
  let pointerInTable = false;
  const holding = () => pointerInTable || spacer.contains(document.activeElement);
  let matches: Uint8Array | undefined;
  let matchesKey = '';
  let frame = 0;
  let tableFrame = 0;
  let lastFreshness: boolean | undefined;
  let focusPos = -1;

  function makeRow(): RowEls {
    const name = h('span', { class: 'name' });
    const state = h('span', { role: 'cell', class: 'c-state' });
    const metrics = FLEET_METRICS.map(() => ({
      fill: h('span', { class: 'fill' }),
      value: h('span', { class: 'val' }),
      shown: -1,
    }));
    const row = h(
      'a',
      { class: 'row', role: 'row', href: '#/' },
      h('span', { role: 'cell', class: 'c-name' }, h('span', { class: 'dot' }), name),
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
    row.addEventListener('focus', () => {
      focusPos = Number(row.dataset.pos);
    });
    return { row, name, state, metrics, pos: -1, index: -1, version: -1, stale: undefined };
  }

  function setRoute(next: OverviewRoute): void {
    route = next;
    options.onRouteChange(route);
    invalidate();
  }

  function invalidate(): void {
    if (!frame) frame = requestAnimationFrame(render);
  }

  function render(): void {
    frame = 0;
    if (tableFrame) {
      cancelAnimationFrame(tableFrame);
      tableFrame = 0;
    }
    const started = performance.now();
    const t = now();
    // A new query re-sorts at once; new data re-sorts only while nobody is pointing at or
    // focused in the table, so a row never moves away under the pointer just before a click.
    const queryKey = `${model.version}|${route.filter}|${route.sortKey}|${route.sortDir}`;
    const held = holding() && queryKey === orderQueryKey;
    if (!held && (queryKey !== orderQueryKey || model.revision !== orderRevision)) {
      order = model.view(route);
      orderQueryKey = queryKey;
      orderRevision = model.revision;
    }
    setText(
      heldNote,
      held && model.revision !== orderRevision && route.sortKey !== 'name' ? 'order held' : '',
    );
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
    renderSummary(t);
    for (const b of colorButtons)
      setAttr(b, 'aria-pressed', String(b.dataset.metric === route.colorBy));
    grid.draw(route.colorBy, matches, t);
    renderTable(t);
    measure('overview:render', started);
  }

  function renderSummary(t: number): void {
    const s = model.summary(t);
    document.title = s.total ? `Fleet · ${formatCount(s.total)} servers` : 'Fleet · live metrics';
    setText(sServers.value, formatCount(s.total));
    setText(
      sServers.sub,
      s.total === 0
        ? 'waiting for the server list'
        : s.stale
          ? `${formatCount(s.stale)} stale`
          : 'all reporting',
    );
    sServers.sub.classList.toggle('warn', s.stale > 0);
    setText(sCpu.value, formatPct(s.avg.cpuPct));
    setText(sCpu.sub, `${formatCount(s.hot)} at ≥ ${HOT_PCT} %`);
    sCpu.sub.classList.toggle('warn', s.hot > 0);
    setText(sMem.value, formatPct(s.avg.memPct));
    setText(sMem.sub, 'of reporting servers');
    setText(sDisk.value, formatPct(s.avg.diskPct));
    setText(sDisk.sub, 'of reporting servers');
    const hottest = s.hottest >= 0 ? model.ids[s.hottest] : undefined;
    if (hottest !== undefined) {
      setText(hottestLink, hottest);
      setAttr(hottestLink, 'href', serverHref(hottest));
      setText(hottestSub, `${formatPct(model.values.cpuPct[s.hottest])} CPU`);
      hottestLink.style.setProperty('--heat', heatCss(model.values.cpuPct[s.hottest]!));
    } else {
      setText(hottestLink, '—');
      setText(hottestSub, 'no data yet');
    }
  }

  function renderTable(t: number): void {
    // Read layout before writing anything, so the browser never lays out twice in one frame.
    // Rows on screen: the table scrolls with the page, so the window is what overlaps the viewport.
    const top = spacer.getBoundingClientRect().top;
    const n = order.length;
    const height = `${n * ROW_HEIGHT}px`;
    if (spacer.style.height !== height) spacer.style.height = height;
    setAttr(table, 'aria-rowcount', String(n + 1));
    setText(
      shown,
      route.filter.trim()
        ? `${formatCount(n)} of ${formatCount(model.count)}`
        : `${formatCount(model.count)} servers`,
    );
    empty.hidden = n > 0;
    if (n === 0) {
      setText(
        empty,
        model.count === 0
          ? 'Waiting for the server list…'
          : `No server name contains “${route.filter.trim()}”.`,
      );
    }
    for (const [key, button] of sortButtons) {
      const active = route.sortKey === key;
      const cell = button.parentElement!;
      setAttr(
        cell,
        'aria-sort',
        active ? (route.sortDir === 'asc' ? 'ascending' : 'descending') : 'none',
      );
      setText(button.lastElementChild!, active ? (route.sortDir === 'asc' ? '▲' : '▼') : '');
    }

    const first = Math.max(0, Math.floor(-top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(n, Math.ceil((window.innerHeight - top) / ROW_HEIGHT) + OVERSCAN);
    const count = Math.max(0, last - first);
    if (pool.length < count) {
      while (pool.length < count) pool.push(makeRow());
      spacer.append(...pool.slice(spacer.childElementCount).map((r) => r.row));
    }
    // Position p is always drawn by pool[p % size]: scrolling by three rows rewrites three
    // rows, not all of them.
    const size = pool.length;
    const desired: HTMLAnchorElement[] = [];
    for (let pos = first; pos < last; pos++) {
      const r = pool[pos % size]!;
      desired.push(r.row);
      fillRow(r, pos, t);
    }
    for (const r of pool) {
      if (r.pos >= first && r.pos < last) continue;
      r.pos = -1;
      r.row.hidden = true;
      desired.push(r.row);
    }
    keepDomOrder(desired);
  }

  function fillRow(r: RowEls, pos: number, t: number): void {
    const i = order[pos]!;
    if (r.pos !== pos) {
      r.pos = pos;
      r.row.dataset.pos = String(pos);
      r.row.style.transform = `translateY(${pos * ROW_HEIGHT}px)`;
      r.row.setAttribute('aria-rowindex', String(pos + 2));
    }
    r.row.hidden = false;
    if (r.index !== i || r.version !== model.version) {
      r.index = i;
      r.version = model.version;
      const id = model.ids[i]!;
      r.row.setAttribute('href', serverHref(id));
      setText(r.name, id);
      for (const cell of r.metrics) cell.shown = -1;
    }
    const stale = model.isStale(i, t);
    if (r.stale !== stale) {
      r.stale = stale;
      r.row.classList.toggle('is-stale', stale);
    }
    for (let c = 0; c < FLEET_METRICS.length; c++) {
      const v = model.values[FLEET_METRICS[c]!][i]!;
      const cell = r.metrics[c]!;
      if (Object.is(cell.shown, v)) continue;
      cell.shown = v;
      setText(cell.value, formatPct(v));
      cell.fill.style.transform = `scaleX(${Number.isFinite(v) ? v / 100 : 0})`;
      cell.fill.style.backgroundColor = Number.isFinite(v) ? heatCss(v) : '';
    }
    const age = model.ageOf(i, t);
    setText(
      r.state,
      !Number.isFinite(age) ? 'no data' : stale ? `stale ${formatAge(age)}` : 'live',
    );
  }

  /**
   * Keeps the rows' DOM order equal to their visual order (reading and Tab order), moving as
   * few nodes as possible: a scroll is a rotation of the pool, fixed by moving its ends.
   */
  function keepDomOrder(desired: HTMLAnchorElement[]): void {
    const current = spacer.children;
    const len = desired.length;
    if (current.length !== len) {
      spacer.replaceChildren(...desired);
      return;
    }
    const j = Array.prototype.indexOf.call(current, desired[0]);
    let rotation = j >= 0;
    for (let k = 0; rotation && k < len; k++) rotation = current[(j + k) % len] === desired[k];
    if (!rotation) {
      spacer.replaceChildren(...desired);
    } else if (j > 0 && j <= len / 2) {
      spacer.append(...Array.from(current).slice(0, j));
    } else if (j > len / 2) {
      spacer.prepend(...Array.from(current).slice(j));
    }
  }

  /** Arrow keys, Home/End and Page keys move between rows; Enter follows the link. */
  spacer.addEventListener('keydown', (event) => {
    const n = order.length;
    if (!n || focusPos < 0) return;
    const page = Math.max(1, Math.floor(window.innerHeight / ROW_HEIGHT) - 2);
    const delta: Record<string, number> = {
      ArrowDown: 1,
      ArrowUp: -1,
      PageDown: page,
      PageUp: -page,
      Home: -n,
      End: n,
    };
    const d = delta[event.key];
    if (d === undefined) return;
    event.preventDefault();
    focusRow(Math.min(n - 1, Math.max(0, focusPos + d)));
  });

  function focusRow(pos: number): void {
    const rowTop = spacer.getBoundingClientRect().top + window.scrollY + pos * ROW_HEIGHT;
    const headH = head.getBoundingClientRect().height + 64;
    if (rowTop < window.scrollY + headH) window.scrollTo({ top: rowTop - headH });
    else if (rowTop + ROW_HEIGHT > window.scrollY + window.innerHeight) {
      window.scrollTo({ top: rowTop + ROW_HEIGHT - window.innerHeight + 8 });
    }
    renderTable(now());
    const r = pool.find((p) => p.pos === pos);
    r?.row.focus({ preventScroll: true });
  }

  // Scrolling moves rows only: the summary and the heat grid wait for new data.
  spacer.addEventListener('pointerenter', () => (pointerInTable = true));
  spacer.addEventListener('pointerleave', () => {
    pointerInTable = false;
    invalidate();
  });
  spacer.addEventListener('focusout', () => invalidate());

  const onScroll = () => {
    if (!frame && !tableFrame) tableFrame = requestAnimationFrame(renderTableOnly);
  };
  function renderTableOnly(): void {
    tableFrame = 0;
    const started = performance.now();
    renderTable(now());
    measure('overview:scroll', started);
  }
  window.addEventListener('scroll', onScroll, { passive: true });
  window.addEventListener('resize', onScroll);

  // Staleness of the whole fleet also changes with time alone (no frame for 3 ticks).
  const timer = window.setInterval(() => {
    const fresh = !(now() - model.receivedAt > 3 * model.tickMs);
    if (fresh !== lastFreshness) {
      lastFreshness = fresh;
      invalidate();
    } else if (!fresh) {
      invalidate(); // keep the "stale · 12 s" ages moving
    }
  }, 1000);

  invalidate();

  return {
    el,
    invalidate,
    destroy() {
      if (frame) cancelAnimationFrame(frame);
      if (tableFrame) cancelAnimationFrame(tableFrame);
      window.clearInterval(timer);
      window.removeEventListener('scroll', onScroll);
      window.removeEventListener('resize', onScroll);
      grid.destroy();
    },
  };
}
