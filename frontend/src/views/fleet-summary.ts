/**
 * The overview's summary strip: server count, fleet averages and the busiest server, plus the
 * document title, all from one `model.summary` pass.
 */
import { HOT_PCT, type FleetModel } from '../fleet-model.js';
import { h, setAttr, setText } from '../dom.js';
import { formatCount, formatPct } from '../format.js';
import { heatCss } from '../heat.js';
import { serverHref } from '../route.js';
import { overviewTitle, reportingNote } from './overview-text.js';

export interface FleetSummaryView {
  readonly el: HTMLElement;
  /** Shows the model's summary as of local time `now`. */
  render(now: number): void;
}

export function createFleetSummary(model: FleetModel): FleetSummaryView {
  const stat = (label: string) => {
    const value = h('div', { class: 'stat-value' });
    const sub = h('div', { class: 'stat-sub' });
    const el = h('div', { class: 'stat' }, h('div', { class: 'stat-label' }, label), value, sub);
    return { el, value, sub };
  };
  const servers = stat('Servers');
  const cpu = stat('Average CPU');
  const mem = stat('Average memory');
  const disk = stat('Average disk');
  const hottestLink = h('a', { class: 'stat-value marked hottest-link', href: '#/' });
  const hottestSub = h('div', { class: 'stat-sub' });
  const hot = h(
    'div',
    { class: 'stat stat-hot' },
    h('div', { class: 'stat-label' }, 'Busiest server'),
    hottestLink,
    hottestSub,
  );
  const el = h(
    'section',
    { class: 'stats', 'aria-label': 'Fleet summary' },
    servers.el,
    cpu.el,
    mem.el,
    disk.el,
    hot,
  );

  function render(now: number): void {
    const s = model.summary(now);
    document.title = overviewTitle(s.total);
    setText(servers.value, formatCount(s.total));
    setText(servers.sub, reportingNote(s));
    servers.sub.classList.toggle('warn', s.stale > 0);
    setText(cpu.value, formatPct(s.avg.cpuPct));
    setText(cpu.sub, `${formatCount(s.hot)} at ≥ ${HOT_PCT} %`);
    cpu.sub.classList.toggle('warn', s.hot > 0);
    setText(mem.value, formatPct(s.avg.memPct));
    setText(mem.sub, 'of reporting servers');
    setText(disk.value, formatPct(s.avg.diskPct));
    setText(disk.sub, 'of reporting servers');
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

  return { el, render };
}
