/**
 * One server: current values with units and five live uPlot charts over the last five minutes.
 * Each chart says how many seconds it holds and whether any are missing, so a gap the generator
 * never recorded is shown as one, never papered over.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { SampleMetric, ServerInfo } from '@metrics/protocol';
import type { DetailSession } from '../detail-session.js';
import { cssVar, h, setAttr, setText } from '../dom.js';
import {
  formatClock,
  formatCount,
  formatLoad,
  formatPct,
  formatRange,
  formatRate,
} from '../format.js';
import { createFrameTask } from '../frame-task.js';
import { heatCss, parseColor } from '../heat.js';
import { downText, labelsText, sourceText } from '../server-filter.js';
import { chartColumn, toChartColumns, WINDOW_MS, type Point } from '../series-buffer.js';
import type { ServerClock } from '../server-clock.js';

export interface DetailView {
  readonly el: HTMLElement;
  invalidate(): void;
  destroy(): void;
}

interface ChartSpec {
  id: string;
  title: string;
  unit: string;
  metrics: { key: SampleMetric; label: string; color: string }[];
  format: (v: number | null) => string;
  /** Fixed y range (percentages) or auto from zero. */
  fixed?: [number, number];
}

/** The three percentage charts differ only in metric, title and colour. */
const percentChart = (id: string, title: string, key: SampleMetric, color: string): ChartSpec => ({
  id,
  title,
  unit: '%',
  metrics: [{ key, label: title, color }],
  format: (v) => formatPct(v),
  fixed: [0, 100],
});

const CHARTS: ChartSpec[] = [
  percentChart('cpu', 'CPU', 'cpuPct', '--c-cpu'),
  percentChart('memory', 'Memory', 'memPct', '--c-mem'),
  percentChart('disk', 'Disk', 'diskPct', '--c-disk'),
  {
    id: 'network',
    title: 'Network',
    unit: 'bytes/s',
    metrics: [
      { key: 'netRxBps', label: 'In (rx)', color: '--c-rx' },
      { key: 'netTxBps', label: 'Out (tx)', color: '--c-tx' },
    ],
    format: (v) => formatRate(v),
  },
  {
    id: 'load',
    title: 'Load average (1 min)',
    unit: '',
    metrics: [{ key: 'load1', label: 'Load', color: '--c-load' }],
    format: (v) => formatLoad(v),
  },
];

interface Tile {
  key: SampleMetric;
  value: HTMLElement;
  sub: HTMLElement;
}

export interface DetailOptions {
  session: DetailSession;
  clock: ServerClock;
  /** The server's entry in the `servers` list, as of now (source, labels, scrape state). */
  info?: () => ServerInfo | undefined;
}

/** The detail header's line about where the samples come from, and why they stopped. */
export function sourceLine(info: ServerInfo | undefined): string {
  const parts = [sourceText(info)];
  const labels = labelsText(info);
  if (labels) parts.push(labels);
  const down = downText(info);
  if (down) parts.push(down);
  else if (info?.scrape) parts.push('up');
  return parts.join(' · ');
}

export function createDetailView({ session, clock, info }: DetailOptions): DetailView {
  const id = session.serverId;
  const status = h('p', { class: 'detail-status', role: 'status' });
  const source = h('p', { class: 'detail-source' });
  const tiles: Tile[] = [];
  const tile = (key: SampleMetric, label: string) => {
    const value = h('div', { class: key.endsWith('Pct') ? 'stat-value marked' : 'stat-value' });
    const sub = h('div', { class: 'stat-sub' });
    tiles.push({ key, value, sub });
    return h(
      'div',
      { class: 'stat', 'data-metric': key },
      h('div', { class: 'stat-label' }, label),
      value,
      sub,
    );
  };
  const current = h(
    'section',
    { class: 'stats stats-6', 'aria-label': 'Current values' },
    tile('cpuPct', 'CPU'),
    tile('memPct', 'Memory'),
    tile('diskPct', 'Disk'),
    tile('netRxBps', 'Network in'),
    tile('netTxBps', 'Network out'),
    tile('load1', 'Load (1 min)'),
  );

  const charts = CHARTS.map((spec) => createChart(spec, clock));
  const grid = h(
    'section',
    { class: 'charts', 'aria-label': 'Last five minutes' },
    ...charts.map((c) => c.el),
  );
  const el = h(
    'div',
    { class: 'detail' },
    h(
      'div',
      { class: 'detail-head' },
      h('a', { class: 'back', href: '#/' }, '← All servers'),
      h('h1', {}, id),
      source,
      status,
    ),
    current,
    grid,
  );

  const frame = createFrameTask(render);
  const invalidate = () => frame.request();

  function render(): void {
    const points = session.buffer.points;
    const latest = session.buffer.latest;
    switch (session.status) {
      case 'loading':
        setText(status, 'Loading the last five minutes…');
        break;
      case 'unknown-server':
        setText(status, `No server named “${id}” is known to the broadcaster.`);
        break;
      case 'error':
        setText(status, `Could not load this server: ${session.error ?? 'unknown error'}`);
        break;
      case 'ready':
        setText(
          status,
          latest ? `Last sample ${formatClock(latest.t)}` : 'No samples in the last five minutes',
        );
        break;
    }
    el.dataset.status = session.status;
    const entry = info?.();
    setText(source, sourceLine(entry));
    source.classList.toggle('is-down', downText(entry) !== undefined);
    renderTiles(points, latest);
    const columns = toChartColumns(points, session.buffer.tickMs);
    const gaps = session.buffer.gaps();
    const missing = gaps.reduce((sum, g) => sum + g.missing, 0);
    for (const chart of charts) chart.update(columns, points, missing, session.buffer.tickMs);
  }

  function renderTiles(points: readonly Point[], latest: Point | undefined): void {
    for (const t of tiles) {
      const v = latest?.[t.key];
      const fmt = t.key === 'load1' ? formatLoad : t.key.startsWith('net') ? formatRate : formatPct;
      setText(t.value, fmt(v));
      if (t.key === 'cpuPct' || t.key === 'memPct' || t.key === 'diskPct') {
        t.value.style.setProperty('--heat', v === undefined ? '' : heatCss(v));
      }
      let min = Infinity;
      let max = -Infinity;
      for (const p of points) {
        const x = p[t.key];
        if (x < min) min = x;
        if (x > max) max = x;
      }
      setText(t.sub, points.length ? `5 min ${formatRange(fmt(min), fmt(max))}` : '');
    }
    document.title = latest
      ? `${id} · CPU ${formatPct(latest.cpuPct, 0)} · Fleet`
      : `${id} · Fleet`;
  }

  // The x axis slides with time even when no sample arrives (generator down).
  const timer = window.setInterval(invalidate, 1000);
  const media = window.matchMedia('(prefers-color-scheme: dark)');
  const onTheme = () => charts.forEach((c) => c.redraw());
  media.addEventListener('change', onTheme);
  invalidate();

  return {
    el,
    invalidate,
    destroy() {
      frame.cancel();
      window.clearInterval(timer);
      media.removeEventListener('change', onTheme);
      for (const c of charts) c.destroy();
    },
  };
}

interface Chart {
  el: HTMLElement;
  update(
    columns: ReturnType<typeof toChartColumns>,
    points: readonly Point[],
    missing: number,
    tickMs: number,
  ): void;
  redraw(): void;
  destroy(): void;
}

function createChart(spec: ChartSpec, clock: ServerClock): Chart {
  const plotEl = h('div', { class: 'plot' });
  const caption = h('figcaption', { class: 'coverage' });
  const el = h(
    'figure',
    { class: 'chart panel', 'data-chart': spec.id },
    h(
      'div',
      { class: 'panel-head' },
      h(
        'h2',
        {},
        spec.unit && spec.unit !== 'bytes/s' ? `${spec.title} (${spec.unit})` : spec.title,
      ),
    ),
    plotEl,
    caption,
  );
  const color = (name: string) => () => cssVar(name);
  const axisColor = () => cssVar('--muted');
  const gridColor = () => cssVar('--grid');
  const fillFor = (name: string) => (u: uPlot) => {
    const c = cssVar(name);
    // The legend asks for a CSS colour before the plot has a size.
    if (!u.bbox || !Number.isFinite(u.bbox.top) || !u.bbox.height) return withAlpha(c, 0.35);
    const gradient = u.ctx.createLinearGradient(0, u.bbox.top, 0, u.bbox.top + u.bbox.height);
    gradient.addColorStop(0, withAlpha(c, 0.28));
    gradient.addColorStop(1, withAlpha(c, 0.02));
    return gradient;
  };
  const font = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  const opts: uPlot.Options = {
    width: 400,
    height: 180,
    cursor: { sync: { key: 'server-detail' }, drag: { x: false, y: false } },
    legend: { show: true, live: true },
    scales: {
      x: {
        time: true,
        range: () => {
          const nowS = clock.now() / 1000;
          return [nowS - WINDOW_MS / 1000, nowS];
        },
      },
      y: {
        range: spec.fixed ? () => spec.fixed! : (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1],
      },
    },
    axes: [
      {
        stroke: axisColor,
        grid: { stroke: gridColor, width: 1 },
        ticks: { show: false },
        font,
        space: 70,
        // 24-hour wall-clock times; seconds only where a split is not on a whole minute.
        values: (_u, splits) =>
          splits.map((v) =>
            v % 60 === 0 ? formatClock(v * 1000).slice(0, 5) : formatClock(v * 1000),
          ),
      },
      {
        stroke: axisColor,
        grid: { stroke: gridColor, width: 1 },
        ticks: { show: false },
        font,
        size: 64,
        values: (_u, splits) => splits.map((v) => spec.format(v)),
      },
    ],
    series: [
      { value: (_u, v) => (v == null ? '—' : formatClock(v * 1000)) },
      ...spec.metrics.map((m, k) => ({
        label: m.label,
        stroke: color(m.color),
        width: 1.5,
        fill: spec.metrics.length === 1 || k === 0 ? fillFor(m.color) : undefined,
        points: { show: false },
        spanGaps: false,
        value: (_u: uPlot, v: number | null) => spec.format(v),
      })),
    ],
  };
  const empty: uPlot.AlignedData = [[], ...spec.metrics.map(() => [])];
  const plot = new uPlot(opts, empty, plotEl);
  let hovering = false;
  plotEl.addEventListener('mouseenter', () => (hovering = true));
  plotEl.addEventListener('mouseleave', () => {
    hovering = false;
    const n = plot.data[0].length;
    if (n) plot.setLegend({ idx: n - 1 });
  });
  const resize = new ResizeObserver(() => {
    const width = Math.floor(plotEl.clientWidth);
    if (width > 0 && width !== plot.width) plot.setSize({ width, height: 180 });
  });
  resize.observe(plotEl);

  return {
    el,
    update(columns, points, missing, tickMs) {
      const data: uPlot.AlignedData = [
        columns[0],
        ...spec.metrics.map((m) => columns[chartColumn(m.key)]!),
      ];
      plot.setData(data);
      // Away from the cursor, the legend reads the latest values instead of dashes.
      if (!hovering && columns[0].length) plot.setLegend({ idx: columns[0].length - 1 });
      const first = points[0];
      const last = points.at(-1);
      el.dataset.count = String(points.length);
      el.dataset.first = first ? String(first.t) : '';
      el.dataset.last = last ? String(last.t) : '';
      el.dataset.missing = String(missing);
      el.dataset.tickMs = String(tickMs);
      const span = first && last ? `${formatClock(first.t)}–${formatClock(last.t)}` : '';
      setText(
        caption,
        points.length === 0
          ? 'No samples yet'
          : `${formatCount(points.length)} samples, ${span}, ` +
              (missing ? `${formatCount(missing)} s missing (not recorded)` : 'no missing seconds'),
      );
      setAttr(caption, 'data-missing', missing ? 'yes' : null);
    },
    redraw: () => plot.redraw(),
    destroy() {
      resize.disconnect();
      plot.destroy();
    },
  };
}

/** A theme colour with an alpha, for the area fills. */
function withAlpha(color: string, alpha: number): string {
  const [r, g, b] = parseColor(color);
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}
