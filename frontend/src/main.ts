/**
 * The dashboard's wiring: one socket, the fleet and detail sessions, the hash router, the
 * connection indicator, and visibility handling. Everything decided here is decided by the pure
 * modules; this file only connects them to the DOM and the socket.
 */
import './styles.css';
import {
  indicator,
  initialConnection,
  reduceConnection,
  shouldForceReconnect,
  type ConnectionEvent,
} from './connection-state.js';
import { createDashboardSocket } from './dashboard-socket.js';
import { createDetailSession, type DetailSession } from './detail-session.js';
import { createFleetModel } from './fleet-model.js';
import { createFleetSession } from './fleet-session.js';
import { formatCount } from './format.js';
import { formatRoute, parseRoute, serverHref, type Route } from './route.js';
import { createServerClock } from './server-clock.js';
import type * as DetailModule from './views/detail.js';
import { createOverview, type OverviewView } from './views/overview.js';
import { createShell } from './views/shell.js';

const socket = createDashboardSocket();

// The detail view (and its chart library, most of the code) loads only when a detail page is
// opened: the overview's first values do not wait for code they never run. Opened at once when
// the page starts on a detail route, in parallel with the socket.
let detailModule: Promise<typeof DetailModule> | undefined;
const loadDetail = (): Promise<typeof DetailModule> =>
  (detailModule ??= import('./views/detail.js'));
if (parseRoute(location.hash).view === 'detail') void loadDetail();
const clock = createServerClock();
const model = createFleetModel();
const shell = createShell(document.getElementById('app')!);

let connection = initialConnection(Date.now());
const dispatch = (event: ConnectionEvent) => {
  connection = reduceConnection(connection, event, Date.now());
  paintIndicator();
};
socket.on('connect', () => dispatch({ type: 'connect' }));
socket.on('disconnect', (reason) => dispatch({ type: 'disconnect', reason }));
socket.on('reconnect-attempt', (attempt) => dispatch({ type: 'reconnect-attempt', attempt }));
socket.on('connect-error', (message) => dispatch({ type: 'connect-error', message }));
socket.on('status', (payload) => {
  clock.observe(payload.timestamp);
  dispatch({ type: 'status', generator: payload.generator });
});
socket.on('fleet', () => dispatch({ type: 'data' }));
socket.on('metrics', () => dispatch({ type: 'data' }));
window.addEventListener('offline', () => dispatch({ type: 'browser-offline' }));
window.addEventListener('online', () => dispatch({ type: 'browser-online' }));

const fleet = createFleetSession({
  socket,
  model,
  clock,
  now: Date.now,
  onChange: () => overview?.invalidate(),
});

let route: Route = parseRoute(location.hash);
let overview: OverviewView | undefined;
/** `view` is undefined until the detail view's code has loaded. */
let detail: { session: DetailSession; view: DetailModule.DetailView | undefined } | undefined;

function expectingData(): boolean {
  if (document.hidden) return false;
  if (overview) return fleet.active;
  return detail?.session.status === 'ready';
}

function tickMs(): number {
  return detail ? detail.session.buffer.tickMs : model.tickMs;
}

function paintIndicator(): void {
  shell.setIndicator(indicator(connection, Date.now(), tickMs(), expectingData()));
}

function show(next: Route): void {
  route = next;
  if (next.view === 'overview') {
    if (detail) {
      detail.session.close();
      detail.view?.destroy();
      detail = undefined;
    }
    if (!overview) {
      overview = createOverview({
        model,
        route: next,
        now: Date.now,
        onRouteChange: (r) => {
          route = r;
          // Replace, not push: typing in the filter must not fill the back button's history.
          history.replaceState(null, '', formatRoute(r));
        },
        open: (id) => {
          location.hash = serverHref(id);
        },
      });
      shell.outlet.replaceChildren(overview.el);
    }
    document.title = `Fleet · ${formatCount(model.count)} servers`;
  } else {
    if (overview) {
      overview.destroy();
      overview = undefined;
    }
    if (detail?.session.serverId !== next.serverId) {
      detail?.session.close();
      detail?.view?.destroy();
      const session = createDetailSession({
        socket,
        serverId: next.serverId,
        clock,
        onChange: () => detail?.view?.invalidate(),
      });
      const id = next.serverId;
      const opened = { session, view: undefined as DetailModule.DetailView | undefined };
      detail = opened;
      shell.outlet.replaceChildren();
      window.scrollTo({ top: 0 });
      void loadDetail().then(({ createDetailView }) => {
        if (detail !== opened) return; // another page was opened meanwhile
        opened.view = createDetailView({
          session,
          clock,
          info: () => model.info(model.indexOf(id)),
        });
        shell.outlet.replaceChildren(opened.view.el);
        if (!document.hidden) opened.view.invalidate();
      });
    }
  }
  applyVisibility();
  paintIndicator();
}

/** Subscriptions follow what is on screen: a hidden tab unsubscribes and backfills on return. */
function applyVisibility(): void {
  const visible = !document.hidden;
  fleet.setActive(visible && route.view === 'overview');
  detail?.session.setActive(visible);
  if (visible) {
    overview?.invalidate();
    detail?.view?.invalidate();
  }
}

window.addEventListener('hashchange', () => {
  const next = parseRoute(location.hash);
  // Filter/sort edits replace the URL themselves; only a change of page needs work.
  if (
    next.view !== route.view ||
    (next.view === 'detail' && route.view === 'detail' && next.serverId !== route.serverId)
  ) {
    show(next);
  } else if (next.view === 'overview' && formatRoute(next) !== formatRoute(route)) {
    overview?.destroy();
    overview = undefined;
    show(next);
  }
});
document.addEventListener('visibilitychange', applyVisibility);

// Age of the last update, and the dead-connection watchdog.
window.setInterval(() => {
  paintIndicator();
  if (shouldForceReconnect(connection, Date.now(), tickMs(), expectingData())) {
    dispatch({ type: 'disconnect', reason: 'no data: reconnecting' });
    socket.reconnect();
  }
}, 250);

show(route);
