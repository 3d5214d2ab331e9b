/**
 * The fleet overview: summary, heat map and a virtualized table of every server. This module
 * only composes them and decides when to draw: one `requestAnimationFrame` per change for
 * everything, and a table-only frame while the page scrolls.
 */
import { STALE_TICKS, type FleetModel } from '../fleet-model.js';
import { h } from '../dom.js';
import { createFrameTask } from '../frame-task.js';
import type { OverviewRoute } from '../route.js';
import { measure } from '../perf.js';
import { createFleetSummary } from './fleet-summary.js';
import { createHeatPanel } from './heat-panel.js';
import { createRowOrder } from './row-order.js';
import { createServerTable } from './server-table.js';

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

export function createOverview(options: OverviewOptions): OverviewView {
  const { model, now, open } = options;
  let route = options.route;

  const rows = createRowOrder(model);
  const summary = createFleetSummary(model);
  const heat = createHeatPanel(
    model,
    open,
    (colorBy) => setRoute({ ...route, colorBy }),
    () => invalidate(),
  );
  const table = createServerTable({
    model,
    rows,
    route: () => route,
    now,
    onQuery: (change) => setRoute({ ...route, ...change }),
    onRelease: invalidate,
  });
  const el = h('div', { class: 'overview' }, summary.el, heat.el, table.el);

  const frame = createFrameTask(render);
  const scrollFrame = createFrameTask(renderTableOnly);
  let lastFreshness: boolean | undefined;

  function setRoute(next: OverviewRoute): void {
    route = next;
    options.onRouteChange(route);
    invalidate();
  }

  function invalidate(): void {
    frame.request();
  }

  function render(): void {
    scrollFrame.cancel();
    const started = performance.now();
    const t = now();
    table.showHeld(rows.update(route, table.holding()));
    summary.render(t);
    const heatStarted = performance.now();
    heat.render(route.colorBy, rows.matches, t);
    // Read by the frontend benchmark: the heat map, histogram and hottest list of one render.
    measure('overview:heat', heatStarted);
    table.render(t);
    measure('overview:render', started);
  }

  // Scrolling moves rows only: the summary and the heat grid wait for new data.
  const onScroll = () => {
    if (!frame.pending) scrollFrame.request();
  };
  function renderTableOnly(): void {
    const started = performance.now();
    table.render(now());
    measure('overview:scroll', started);
  }
  window.addEventListener('scroll', onScroll, { passive: true });
  window.addEventListener('resize', onScroll);

  // Staleness of the whole fleet also changes with time alone (no frame for a few ticks).
  const timer = window.setInterval(() => {
    const fresh = !(now() - model.receivedAt > STALE_TICKS * model.tickMs);
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
      frame.cancel();
      scrollFrame.cancel();
      window.clearInterval(timer);
      window.removeEventListener('scroll', onScroll);
      window.removeEventListener('resize', onScroll);
      heat.destroy();
    },
  };
}
