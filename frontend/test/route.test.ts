import { describe, expect, it } from 'vitest';
import { DEFAULT_OVERVIEW, formatRoute, parseRoute, serverHref, type Route } from '../src/route.js';

describe('hash routes', () => {
  it.each<[string, Route]>([
    ['', DEFAULT_OVERVIEW],
    ['#/', DEFAULT_OVERVIEW],
    ['#/servers/server-3', { view: 'detail', serverId: 'server-3' }],
    ['#/servers/server-3/', { view: 'detail', serverId: 'server-3' }],
    ['#/servers/host', { view: 'detail', serverId: 'host' }],
    [
      '#/?q=web&sort=memPct&dir=asc&color=diskPct',
      { view: 'overview', filter: 'web', sortKey: 'memPct', sortDir: 'asc', colorBy: 'diskPct' },
    ],
    // Anything unknown falls back to the defaults instead of breaking the page.
    ['#/?sort=__proto__&dir=sideways&color=load1', DEFAULT_OVERVIEW],
    ['#/servers/%E0%A4%A', DEFAULT_OVERVIEW],
    ['#/nowhere', DEFAULT_OVERVIEW],
  ])('%s', (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
  });

  it('round-trips every route through its URL, leaving defaults out', () => {
    const routes: Route[] = [
      DEFAULT_OVERVIEW,
      { view: 'overview', filter: 'a b&c', sortKey: 'name', sortDir: 'asc', colorBy: 'memPct' },
      { view: 'detail', serverId: 'server-10' },
    ];
    for (const r of routes) expect(parseRoute(formatRoute(r))).toEqual(r);
    expect(formatRoute(DEFAULT_OVERVIEW)).toBe('#/');
    expect(serverHref('server-7')).toBe('#/servers/server-7');
  });

  it('caps a pasted filter at 100 characters', () => {
    const route = parseRoute(`#/?q=${'x'.repeat(500)}`);
    expect(route.view === 'overview' && route.filter.length).toBe(100);
  });
});
