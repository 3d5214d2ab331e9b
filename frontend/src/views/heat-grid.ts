/**
 * The fleet as a canvas heat grid: one cell per server in name order, coloured by one metric.
 * 10,000 cells are drawn as 10,000 pixels of a tiny offscreen image scaled up without
 * smoothing, then the gaps between cells are painted over as lines: about a millisecond a
 * frame whatever the fleet size, where 10,000 `fillRect` calls would cost several.
 */
import type { FleetMetric, FleetModel } from '../fleet-model.js';
import { cssVar, h } from '../dom.js';
import { formatPct } from '../format.js';
import { HEAT_RGBA, heatIndex, packRgba, parseColor } from '../heat.js';
import { gridLayout, MAX_CELL } from './heat-grid-layout.js';
import { COLUMN_LABEL } from './overview-text.js';

export interface HeatGrid {
  readonly el: HTMLElement;
  /** Draws the model's current values; `matches` marks the servers the filter keeps. */
  draw(metric: FleetMetric, matches: Uint8Array | undefined, now: number): void;
  destroy(): void;
}

export function createHeatGrid(model: FleetModel, onOpen: (serverId: string) => void): HeatGrid {
  const canvas = h('canvas', { class: 'heat-canvas', role: 'img' });
  const tooltip = h('div', { class: 'heat-tip', role: 'tooltip', hidden: true });
  const el = h('div', { class: 'heat-wrap' }, canvas, tooltip);
  const small = document.createElement('canvas');
  const smallCtx = small.getContext('2d')!;
  let layout = { cell: MAX_CELL, cols: 1, rows: 0 };
  let width = 0;
  let last: { metric: FleetMetric; matches: Uint8Array | undefined; now: number } | undefined;
  let hover = -1;

  const resize = new ResizeObserver(() => {
    const w = Math.floor(el.clientWidth);
    if (w !== width && last) {
      width = w;
      draw(last.metric, last.matches, last.now);
    }
  });
  resize.observe(el);

  function draw(metric: FleetMetric, matches: Uint8Array | undefined, now: number): void {
    last = { metric, matches, now };
    width = Math.floor(el.clientWidth) || width;
    const n = model.count;
    const maxHeight = Math.max(120, Math.min(360, window.innerHeight * 0.4));
    layout = gridLayout(n, width, maxHeight);
    const { cell, cols, rows } = layout;
    const dpr = window.devicePixelRatio || 1;
    const cssW = cols * cell;
    const cssH = Math.max(rows, 1) * cell;
    if (canvas.width !== Math.round(cssW * dpr) || canvas.height !== Math.round(cssH * dpr)) {
      canvas.width = Math.round(cssW * dpr);
      canvas.height = Math.round(cssH * dpr);
      canvas.style.width = `${cssW}px`;
      canvas.style.height = `${cssH}px`;
    }
    if (small.width !== cols || small.height !== Math.max(rows, 1)) {
      small.width = cols;
      small.height = Math.max(rows, 1);
    }

    const [br, bg, bb] = parseColor(cssVar('--surface'));
    const stale = packRgba(...parseColor(cssVar('--stale')));
    const never = packRgba(...parseColor(cssVar('--never')));
    const image = smallCtx.createImageData(cols, Math.max(rows, 1));
    const px = new Uint32Array(image.data.buffer);
    const col = model.values[metric];
    for (let i = 0; i < n; i++) {
      const v = col[i]!;
      let c = v !== v ? never : model.isStale(i, now) ? stale : HEAT_RGBA[heatIndex(v)]!;
      if (matches && !matches[i]) c = fade(c, br, bg, bb);
      px[i] = c;
    }
    for (let i = n; i < px.length; i++) px[i] = packRgba(br, bg, bb);
    smallCtx.putImageData(image, 0, 0);

    const ctx = canvas.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(small, 0, 0, cssW, cssH);
    if (cell >= 5) {
      // Gaps between cells, painted in the panel colour.
      const gap = cell >= 12 ? 2 : 1;
      ctx.fillStyle = `rgb(${br} ${bg} ${bb})`;
      for (let x = 1; x <= cols; x++) ctx.fillRect(x * cell - gap, 0, gap, cssH);
      for (let y = 1; y <= rows; y++) ctx.fillRect(0, y * cell - gap, cssW, gap);
    }
    if (hover >= 0 && hover < n) {
      const x = (hover % cols) * cell;
      const y = Math.floor(hover / cols) * cell;
      ctx.strokeStyle = cssVar('--text');
      ctx.lineWidth = 2;
      ctx.strokeRect(x + 0.5, y + 0.5, cell - 2, cell - 2);
    }
    canvas.setAttribute('aria-label', `Heat map of ${n} servers by ${COLUMN_LABEL[metric]}`);
    if (hover >= 0) showTip(hover);
  }

  function cellAt(event: MouseEvent): number {
    const rect = canvas.getBoundingClientRect();
    const x = event.clientX - rect.left;
    const y = event.clientY - rect.top;
    if (x < 0 || y < 0) return -1;
    const col = Math.floor(x / layout.cell);
    const row = Math.floor(y / layout.cell);
    if (col >= layout.cols) return -1;
    const i = row * layout.cols + col;
    return i < model.count ? i : -1;
  }

  function showTip(i: number): void {
    const id = model.ids[i];
    if (id === undefined || !last) {
      tooltip.hidden = true;
      return;
    }
    const staleNote = model.isStale(i, last.now) ? ' · stale' : '';
    tooltip.textContent =
      `${id} · CPU ${formatPct(model.values.cpuPct[i])} · mem ${formatPct(model.values.memPct[i])}` +
      ` · disk ${formatPct(model.values.diskPct[i])}${staleNote}`;
    tooltip.hidden = false;
    const x = (i % layout.cols) * layout.cell + layout.cell / 2;
    const y = Math.floor(i / layout.cols) * layout.cell;
    const maxX = Math.max(0, el.clientWidth - tooltip.offsetWidth);
    const left = Math.min(maxX, Math.max(0, x - tooltip.offsetWidth / 2));
    tooltip.style.transform = `translate(${left}px, ${y - tooltip.offsetHeight - 6}px)`;
  }

  canvas.addEventListener('mousemove', (event) => {
    const i = cellAt(event);
    if (i === hover) return;
    hover = i;
    canvas.style.cursor = i >= 0 ? 'pointer' : 'default';
    if (i < 0) tooltip.hidden = true;
    if (last) draw(last.metric, last.matches, last.now);
  });
  canvas.addEventListener('mouseleave', () => {
    hover = -1;
    tooltip.hidden = true;
    if (last) draw(last.metric, last.matches, last.now);
  });
  canvas.addEventListener('click', (event) => {
    const i = cellAt(event);
    const id = model.ids[i];
    if (i >= 0 && id !== undefined) onOpen(id);
  });

  return {
    el,
    draw,
    destroy: () => resize.disconnect(),
  };
}

/** Blends a packed colour 80 % toward the background: filtered-out servers recede. */
function fade(c: number, br: number, bg: number, bb: number): number {
  const r = c & 255;
  const g = (c >> 8) & 255;
  const b = (c >> 16) & 255;
  return packRgba(
    Math.round(r * 0.2 + br * 0.8),
    Math.round(g * 0.2 + bg * 0.8),
    Math.round(b * 0.2 + bb * 0.8),
  );
}
