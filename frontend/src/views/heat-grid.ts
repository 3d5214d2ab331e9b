/**
 * The fleet as a canvas heat grid, coloured by one metric. While one square per server is
 * readable it draws one per server in name order; past that, each square is a block of a round
 * number of consecutive servers showing its hottest live value (`heat-aggregate.ts`), and a
 * click zooms into the block, down to one square per server.
 *
 * Cells are drawn as the pixels of a tiny offscreen image scaled up without smoothing, then the
 * gaps between cells are painted over as lines: about a millisecond a frame whatever the fleet
 * size, where 10,000 `fillRect` calls would cost several.
 *
 * Pointer and keyboard alike: the canvas takes focus, arrow keys move between cells, Enter opens
 * a server or zooms into a block, Escape zooms out; the tooltip (also the canvas's description
 * and, for keyboard moves, read out by a live region) says what the cell holds.
 */
import { STALE_TICKS, type FleetMetric, type FleetModel } from '../fleet-model.js';
import { cssVar, h, setText } from '../dom.js';
import { formatPct } from '../format.js';
import { HEAT_RGBA, heatIndex, packRgba, parseColor } from '../heat.js';
import {
  aggregateBlocks,
  blockRange,
  clipTrail,
  createBlockStats,
  currentRange,
  fleetColumn,
  wholeFleet,
  zoomIn,
  zoomOut,
  type IndexRange,
  type ZoomTrail,
} from '../heat-aggregate.js';
import { LABEL_CELL, overviewLayout, type OverviewLayout } from './heat-grid-layout.js';
import { COLUMN_LABEL } from './overview-text.js';
import { blockTip, gridCaption, gridLabel, serverTip } from './heat-text.js';

export interface HeatGrid {
  /** The canvas and its tooltip, in an area of fixed height (no layout shift when data comes). */
  readonly el: HTMLElement;
  /** The line under the grid: what a square is, and the way back out of a zoom. */
  readonly caption: HTMLElement;
  /** Draws the model's current values; `matches` marks the servers the filter keeps. */
  draw(metric: FleetMetric, matches: Uint8Array | undefined, now: number): void;
  destroy(): void;
}

export function createHeatGrid(
  model: FleetModel,
  onOpen: (serverId: string) => void,
  onZoom: () => void,
): HeatGrid {
  const tooltip = h('div', { class: 'heat-tip', id: 'heat-tip', role: 'tooltip', hidden: true });
  const canvas = h('canvas', {
    class: 'heat-canvas',
    role: 'img',
    tabindex: 0,
    'aria-describedby': 'heat-tip',
  });
  const announce = h('span', { class: 'sr-only', 'aria-live': 'polite' });
  const el = h('div', { class: 'heat-wrap' }, canvas, tooltip, announce);
  const captionText = h('span', { class: 'hint-text' });
  const back = h('button', { type: 'button', class: 'zoom-out', hidden: true }, '← Zoom out');
  const caption = h('p', { class: 'hint' }, captionText, back);
  const small = document.createElement('canvas');
  const smallCtx = small.getContext('2d')!;
  const stats = createBlockStats();
  let layout: OverviewLayout = { blockSize: 1, cells: 0, cell: 40, cols: 1, rows: 0 };
  let range: IndexRange = { start: 0, end: 0 };
  let trail: ZoomTrail = wholeFleet(0);
  let width = 0;
  let height = 0;
  let last: { metric: FleetMetric; matches: Uint8Array | undefined; now: number } | undefined;
  /** Cell under the pointer or the keyboard focus; -1 for none. */
  let hover = -1;

  const redraw = () => {
    if (last) draw(last.metric, last.matches, last.now);
  };
  const resize = new ResizeObserver(() => {
    const w = Math.floor(el.clientWidth);
    const hh = Math.floor(el.clientHeight);
    if (w !== width || hh !== height) redraw();
  });
  resize.observe(el);

  function draw(metric: FleetMetric, matches: Uint8Array | undefined, now: number): void {
    last = { metric, matches, now };
    width = Math.floor(el.clientWidth) || width;
    height = Math.floor(el.clientHeight) || height;
    if (currentRange(trail).end !== model.count || trail[0]!.end !== model.count) {
      trail = clipTrail(trail, model.count);
    }
    range = currentRange(trail);
    layout = overviewLayout(range.end - range.start, width, height);
    const { cell, cols, rows, cells, blockSize } = layout;
    if (hover >= cells) hover = -1;
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
    const staleRgb = parseColor(cssVar('--stale'));
    const stale = packRgba(...staleRgb);
    const never = packRgba(...parseColor(cssVar('--never')));
    const image = smallCtx.createImageData(cols, Math.max(rows, 1));
    const px = new Uint32Array(image.data.buffer);
    const col = model.values[metric];
    if (blockSize === 1) {
      for (let k = 0; k < cells; k++) {
        const i = range.start + k;
        const v = col[i]!;
        let c = v !== v ? never : model.isStale(i, now) ? stale : HEAT_RGBA[heatIndex(v)]!;
        if (matches && !matches[i]) c = fade(c, br, bg, bb);
        px[k] = c;
      }
    } else {
      aggregateBlocks(
        fleetColumn(model, metric, now, STALE_TICKS),
        range,
        blockSize,
        stats,
        matches,
      );
      for (let b = 0; b < cells; b++) {
        const max = stats.max[b]!;
        let c = max === max ? HEAT_RGBA[heatIndex(max)]! : stats.size[b] ? stale : never;
        if (stats.size[b] === 0) c = fade(never, br, bg, bb);
        px[b] = c;
      }
    }
    for (let k = cells; k < px.length; k++) px[k] = packRgba(br, bg, bb);
    smallCtx.putImageData(image, 0, 0);

    const ctx = canvas.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(small, 0, 0, cssW, cssH);
    const gap = cell >= 12 ? 2 : 1;
    if (blockSize > 1) {
      // Partly stale blocks: a corner in the stale colour (fully stale ones are all that colour).
      ctx.fillStyle = `rgb(${staleRgb.join(' ')})`;
      const corner = Math.max(3, Math.floor(cell * 0.45));
      for (let b = 0; b < cells; b++) {
        if (stats.stale[b]! === 0 || stats.max[b]! !== stats.max[b]!) continue;
        const x = (b % cols) * cell + cell - gap;
        const y = Math.floor(b / cols) * cell;
        ctx.beginPath();
        ctx.moveTo(x - corner, y);
        ctx.lineTo(x, y);
        ctx.lineTo(x, y + corner);
        ctx.fill();
      }
    }
    if (cell >= 5) {
      // Gaps between cells, painted in the panel colour.
      ctx.fillStyle = `rgb(${br} ${bg} ${bb})`;
      for (let x = 1; x <= cols; x++) ctx.fillRect(x * cell - gap, 0, gap, cssH);
      for (let y = 1; y <= rows; y++) ctx.fillRect(0, y * cell - gap, cssW, gap);
    }
    if (blockSize === 1 && cell >= LABEL_CELL) drawLabels(ctx, metric, cells, now);
    if (hover >= 0) {
      const x = (hover % cols) * cell;
      const y = Math.floor(hover / cols) * cell;
      ctx.strokeStyle = cssVar('--text');
      ctx.lineWidth = 2;
      ctx.strokeRect(x + 1, y + 1, cell - gap - 2, cell - gap - 2);
    }
    canvas.setAttribute(
      'aria-label',
      gridLabel(range.end - range.start, blockSize, COLUMN_LABEL[metric]),
    );
    setText(captionText, gridCaption(model.ids, range, model.count, blockSize, trail.length));
    back.hidden = trail.length < 2;
    canvas.dataset.blockSize = String(blockSize);
    canvas.dataset.cells = String(cells);
    canvas.dataset.cell = String(cell);
    canvas.dataset.range = `${range.start}-${range.end}`;
    if (hover >= 0) showTip(hover);
  }

  /** Tiles of a small fleet: each square prints its server's name and value. */
  function drawLabels(
    ctx: CanvasRenderingContext2D,
    metric: FleetMetric,
    cells: number,
    now: number,
  ): void {
    const { cell, cols } = layout;
    const pad = 8;
    const inner = cell - 2 - pad * 2;
    const font = getComputedStyle(canvas).fontFamily;
    const staleColour = packRgba(...parseColor(cssVar('--stale')));
    ctx.textBaseline = 'top';
    for (let k = 0; k < cells; k++) {
      const i = range.start + k;
      const v = model.values[metric][i]!;
      const stale = v !== v || model.isStale(i, now);
      const x = (k % cols) * cell + pad;
      const y = Math.floor(k / cols) * cell + pad;
      // Dark or light text, whichever reads better on the tile's colour.
      const c = stale ? staleColour : HEAT_RGBA[heatIndex(v)]!;
      const luma = 0.299 * (c & 255) + 0.587 * ((c >> 8) & 255) + 0.114 * ((c >> 16) & 255);
      ctx.fillStyle = luma > 140 ? '#10151c' : '#ffffff';
      ctx.font = `600 ${Math.round(cell / 5)}px ${font}`;
      ctx.fillText(formatPct(v, 0), x, y + inner - Math.round(cell / 5), inner);
      ctx.font = `${Math.max(11, Math.round(cell / 9))}px ${font}`;
      ctx.fillText(fitText(ctx, model.ids[i] ?? '', inner), x, y, inner);
    }
  }

  /** Text for cell `k`: a server's three values, or a block's range, hottest and staleness. */
  function tipText(k: number): string | undefined {
    if (!last) return undefined;
    if (layout.blockSize === 1) {
      const i = range.start + k;
      const id = model.ids[i];
      if (id === undefined) return undefined;
      return serverTip(
        id,
        model.values.cpuPct[i]!,
        model.values.memPct[i]!,
        model.values.diskPct[i]!,
        model.isStale(i, last.now),
      );
    }
    const r = blockRange(range, layout.blockSize, k);
    const hot = stats.argmax[k]!;
    return blockTip({
      first: model.ids[r.start] ?? '',
      last: model.ids[r.end - 1] ?? '',
      servers: r.end - r.start,
      counted: stats.size[k]!,
      stale: stats.stale[k]!,
      hottest: hot >= 0 ? model.ids[hot] : undefined,
      hottestValue: hot >= 0 ? stats.max[k]! : NaN,
      metric: COLUMN_LABEL[last.metric],
    });
  }

  function showTip(k: number): void {
    const text = tipText(k);
    if (text === undefined) {
      tooltip.hidden = true;
      return;
    }
    setText(tooltip, text);
    tooltip.hidden = false;
    const x = (k % layout.cols) * layout.cell + layout.cell / 2;
    const y = Math.floor(k / layout.cols) * layout.cell;
    const maxX = Math.max(0, el.clientWidth - tooltip.offsetWidth);
    const left = Math.min(maxX, Math.max(0, x - tooltip.offsetWidth / 2));
    // Above the cell, or below it near the top edge.
    const above = y - tooltip.offsetHeight - 6;
    const top = above >= 0 ? above : y + layout.cell + 4;
    tooltip.style.transform = `translate(${left}px, ${top}px)`;
  }

  function cellAt(event: MouseEvent): number {
    const rect = canvas.getBoundingClientRect();
    const x = event.clientX - rect.left;
    const y = event.clientY - rect.top;
    if (x < 0 || y < 0) return -1;
    const c = Math.floor(x / layout.cell);
    const r = Math.floor(y / layout.cell);
    if (c >= layout.cols) return -1;
    const k = r * layout.cols + c;
    return k < layout.cells ? k : -1;
  }

  function setHover(k: number): void {
    if (k === hover) return;
    hover = k;
    if (k < 0) tooltip.hidden = true;
    redraw();
  }

  /** Opens the server of cell `k`, or zooms into its block. */
  function activate(k: number): void {
    if (k < 0 || k >= layout.cells) return;
    if (layout.blockSize === 1) {
      const id = model.ids[range.start + k];
      if (id !== undefined) onOpen(id);
      return;
    }
    trail = zoomIn(trail, layout.blockSize, k);
    hover = -1;
    tooltip.hidden = true;
    onZoom();
  }

  function leaveZoom(): void {
    if (trail.length < 2) return;
    trail = zoomOut(trail);
    hover = -1;
    tooltip.hidden = true;
    onZoom();
  }

  canvas.addEventListener('mousemove', (event) => {
    const k = cellAt(event);
    canvas.style.cursor = k >= 0 ? (layout.blockSize > 1 ? 'zoom-in' : 'pointer') : 'default';
    setHover(k);
  });
  canvas.addEventListener('mouseleave', () => setHover(-1));
  canvas.addEventListener('click', (event) => activate(cellAt(event)));
  canvas.addEventListener('focus', () => {
    if (hover < 0 && layout.cells > 0) setHover(0);
  });
  canvas.addEventListener('blur', () => setHover(-1));
  canvas.addEventListener('keydown', (event) => {
    const { cols, cells } = layout;
    const moves: Record<string, number> = {
      ArrowRight: 1,
      ArrowLeft: -1,
      ArrowDown: cols,
      ArrowUp: -cols,
      Home: -cells,
      End: cells,
    };
    if (event.key in moves) {
      event.preventDefault();
      const next = Math.min(cells - 1, Math.max(0, Math.max(hover, 0) + moves[event.key]!));
      setHover(next);
      setText(announce, tipText(next) ?? '');
    } else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      activate(Math.max(hover, 0));
    } else if (event.key === 'Escape' || event.key === 'Backspace') {
      if (trail.length > 1) event.preventDefault();
      leaveZoom();
    }
  });
  back.addEventListener('click', leaveZoom);

  return {
    el,
    caption,
    draw,
    destroy: () => resize.disconnect(),
  };
}

/** `text`, cut with an ellipsis to fit `width` px in the context's font. */
function fitText(ctx: CanvasRenderingContext2D, text: string, width: number): string {
  if (ctx.measureText(text).width <= width) return text;
  let n = text.length;
  while (n > 1 && ctx.measureText(`${text.slice(0, n)}…`).width > width) n--;
  return `${text.slice(0, n)}…`;
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
