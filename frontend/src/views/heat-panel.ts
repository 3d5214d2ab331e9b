/**
 * The overview's heat map panel: the heat grid with its "colour by" buttons and legend.
 */
import { FLEET_METRICS, type FleetMetric, type FleetModel } from '../fleet-model.js';
import { h, setAttr } from '../dom.js';
import { heatGradient } from '../heat.js';
import { createHeatGrid } from './heat-grid.js';
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
): HeatPanel {
  const grid = createHeatGrid(model, open);
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
    grid.el,
    h(
      'p',
      { class: 'hint' },
      'One square per server, in name order. Hover to read it, click to open it.',
    ),
  );

  return {
    el,
    render(colorBy, matches, now) {
      for (const b of colorButtons)
        setAttr(b, 'aria-pressed', String(b.dataset.metric === colorBy));
      grid.draw(colorBy, matches, now);
    },
    destroy: () => grid.destroy(),
  };
}
