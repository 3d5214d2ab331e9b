/** Page frame: brand, the connection indicator, and the outlet the views mount into. */
import type { Indicator } from '../connection-state.js';
import { h, setAttr, setText } from '../dom.js';

export interface Shell {
  readonly outlet: HTMLElement;
  setIndicator(indicator: Indicator): void;
}

export function createShell(root: HTMLElement): Shell {
  const label = h('span', { class: 'conn-label', 'aria-live': 'polite' });
  const detail = h('span', { class: 'conn-detail' });
  const conn = h(
    'div',
    { class: 'conn', 'data-testid': 'connection', title: 'Connection to the live feed' },
    h('span', { class: 'conn-dot', 'aria-hidden': 'true' }),
    label,
    detail,
  );
  const outlet = h('main', { id: 'main', tabindex: '-1' });
  root.replaceChildren(
    h('a', { class: 'skip', href: '#main' }, 'Skip to content'),
    h(
      'header',
      { class: 'top' },
      h(
        'a',
        { class: 'brand', href: '#/' },
        h('span', { class: 'brand-mark', 'aria-hidden': 'true' }),
        h('span', {}, 'Fleet'),
        h('span', { class: 'brand-sub' }, 'live metrics'),
      ),
      conn,
    ),
    outlet,
  );
  // The skip link targets an id, not a route: keep the hash router out of it.
  root.querySelector('.skip')!.addEventListener('click', (event) => {
    event.preventDefault();
    outlet.focus();
  });
  return {
    outlet,
    setIndicator(indicator) {
      setAttr(conn, 'data-state', indicator.level);
      setText(label, indicator.label);
      setText(detail, indicator.detail);
    },
  };
}
