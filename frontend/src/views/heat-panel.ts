/**
 * The overview's heat map panel: the heat grid with its "colour by" buttons and legend, and
 * beside it the fleet-wide distribution of the same metric and its hottest servers.
 */
import { FLEET_METRICS, type FleetMetric, type FleetModel } from '../fleet-model.js';
import { h, setAttr } from '../dom.js';
import { heatGradient } from '../heat.js';
import { createFleetHistogram } from './fleet-histogram.js';
import { createHeatGrid } from './heat-grid.js';
import { createHottestList } from './hottest-list.js';
import { COLUMN_LABEL } from './overview-text.js';

export interface HeatPanel {
  readonly el: HTMLElement;
  /** Colours the grid by `colorBy`; `matches` marks the servers the filter keeps. */
  render(colorBy: FleetMetric, matches: Uint8Array | undefined, now: number): void;
  destroy(): void;
}

export function createHeatPanel(
  model: FleetModel,
  open: (serverId: string) => void,
  onColorBy: (metric: FleetMetric) => void,
  onZoom: () => void,
): HeatPanel {
  const grid = createHeatGrid(model, open, onZoom);
  const hist = createFleetHistogram(model);
  const hottest = createHottestList(model);
  const colorButtons = FLEET_METRICS.map((m) => {
    const b = h('button', { type: 'button', class: 'seg', 'data-metric': m }, COLUMN_LABEL[m]);
    b.addEventListener('click', () => onColorBy(m));
    return b;
  });
  const legendBar = h('span', { class: 'legend-bar' });
  legendBar.style.background = heatGradient();
  const el = h(
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
    h(
      'div',
      { class: 'heat-body' },
      h('div', { class: 'heat-main' }, grid.el, grid.caption),
      h('div', { class: 'heat-side' }, hist.el, hottest.el),
    ),
  );

  return {
    el,
    render(colorBy, matches, now) {
      for (const b of colorButtons)
        setAttr(b, 'aria-pressed', String(b.dataset.metric === colorBy));
      grid.draw(colorBy, matches, now);
      hist.render(colorBy, now);
      hottest.render(colorBy, now);
    },
    destroy: () => grid.destroy(),
  };
}
