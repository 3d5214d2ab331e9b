/**
 * The distribution of the chosen metric over the whole fleet: 20 bars of 5 points each, coloured
 * by the heat scale, with the number at or above the hot threshold as its headline. Fixed size:
 * bars scale inside a reserved box, so data arriving never moves the page.
 */
import { HOT_PCT, STALE_TICKS, type FleetMetric, type FleetModel } from '../fleet-model.js';
import { h, setAttr, setText } from '../dom.js';
import { countAtOrAbove, fleetColumn, histogram, HISTOGRAM_BINS } from '../heat-aggregate.js';
import { heatCss } from '../heat.js';
import { binTitle, histogramLabel, hotText } from './heat-text.js';
import { COLUMN_LABEL } from './overview-text.js';

export interface FleetHistogram {
  readonly el: HTMLElement;
  render(metric: FleetMetric, now: number): void;
}

export function createFleetHistogram(model: FleetModel): FleetHistogram {
  const counts = new Uint32Array(HISTOGRAM_BINS);
  const title = h('h3', { class: 'side-title' });
  const headline = h('p', { class: 'hist-hot' });
  const bars = Array.from({ length: HISTOGRAM_BINS }, (_, b) => {
    const bar = h('span', { class: 'hist-bar' });
    bar.style.backgroundColor = heatCss(((b + 0.5) * 100) / HISTOGRAM_BINS);
    return bar;
  });
  const plot = h(
    'div',
    { class: 'hist-plot', role: 'img' },
    ...bars.map((bar) => h('span', { class: 'hist-col' }, bar)),
  );
  const el = h(
    'div',
    { class: 'hist', 'data-testid': 'histogram' },
    title,
    headline,
    plot,
    h(
      'div',
      { class: 'hist-axis', 'aria-hidden': 'true' },
      h('span', {}, '0 %'),
      h('span', {}, '50 %'),
      h('span', {}, '100 %'),
    ),
  );

  function render(metric: FleetMetric, now: number): void {
    const live = histogram(fleetColumn(model, metric, now, STALE_TICKS), counts);
    const hot = countAtOrAbove(counts, HOT_PCT);
    const label = COLUMN_LABEL[metric];
    setText(title, `${label} across the fleet`);
    const hotLine = hotText(hot, live, HOT_PCT);
    setText(headline, hotLine);
    headline.classList.toggle('warn', hot > 0);
    setAttr(plot, 'aria-label', histogramLabel(label, counts, live, hotLine));
    let peak = 0;
    for (const c of counts) if (c > peak) peak = c;
    for (let b = 0; b < HISTOGRAM_BINS; b++) {
      const c = counts[b]!;
      // A band with any server shows at least a sliver: a few hot servers must not vanish.
      const scale = c === 0 ? 0 : Math.max(0.03, c / peak);
      const transform = `scaleY(${scale.toFixed(3)})`;
      const bar = bars[b]!;
      if (bar.style.transform !== transform) bar.style.transform = transform;
      setAttr(bar.parentElement!, 'title', binTitle(b, HISTOGRAM_BINS, c));
    }
  }

  return { el, render };
}
