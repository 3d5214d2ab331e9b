import { describe, expect, it } from 'vitest';
import type { ServerInfo, ServersPayload } from '@metrics/protocol';
import { createFleetModel, type FleetQuery } from '../src/fleet-model.js';
import {
  downText,
  labelsText,
  matchesTerms,
  parseFilter,
  searchLabels,
} from '../src/server-filter.js';
import { sourceLine } from '../src/views/detail.js';

const db: ServerInfo = {
  id: 'db-1',
  source: 'node_exporter',
  labels: { role: 'db', region: 'eu-west' },
  scrape: { up: true, since: 0, url: 'http://10.0.0.5:9100/metrics' },
};
const web: ServerInfo = {
  id: 'web-1',
  source: 'node_exporter',
  labels: { role: 'web', region: 'us' },
  scrape: {
    up: false,
    since: 0,
    lastError: 'connection refused',
    url: 'http://10.0.0.6:9100/metrics',
  },
};
const list = (servers: ServerInfo[], version = 1): ServersPayload => ({
  servers,
  count: servers.length,
  version,
  timestamp: 0,
});
const query = (filter: string): FleetQuery => ({ filter, sortKey: 'name', sortDir: 'asc' });

describe('server filter', () => {
  const match = (filter: string, info: ServerInfo) =>
    matchesTerms(parseFilter(filter), info.id.toLowerCase(), searchLabels(info));

  it.each([
    ['db', db, true],
    ['role=db', db, true],
    ['ROLE=DB', db, true],
    ['role=web', db, false],
    ['region=eu', db, true],
    ['role=', db, true],
    ['rack=', db, false],
    ['role=db region=eu', db, true],
    ['role=db region=us', db, false],
    ['source=real', db, true],
    ['source=simulated', db, false],
    ['source=simulated', { id: 'server-3' }, true],
    ['source=real', { id: 'host', source: 'host' }, true],
    // A plain word still looks in names only: "eu" is not db-1's name.
    ['eu', db, false],
  ] as const)('%j matches %s: %s', (filter, info, expected) =>
    expect(match(filter, info)).toBe(expected),
  );

  it('says what a row and the detail header show', () => {
    expect(labelsText(db)).toBe('role=db · region=eu-west');
    expect(downText(db)).toBeUndefined();
    expect(downText(web)).toBe('down: connection refused');
    expect(sourceLine(db)).toBe('node_exporter · role=db · region=eu-west · up');
    expect(sourceLine(web)).toBe('node_exporter · role=web · region=us · down: connection refused');
    expect(sourceLine({ id: 'server-1' })).toBe('simulated');
  });

  it('filters the model by label, and takes new details under the same version', () => {
    const m = createFleetModel();
    m.setServers(list([{ id: 'server-1' }, db, web]));
    expect(Array.from(m.view(query('role=db')), (i) => m.ids[i])).toEqual(['db-1']);
    expect(Array.from(m.view(query('source=real')), (i) => m.ids[i])).toEqual(['db-1', 'web-1']);
    const revision = m.revision;
    const dbDown = { ...db, labels: { role: 'cache' }, scrape: { ...web.scrape! } };
    m.setServers(list([{ id: 'server-1' }, dbDown, web]));
    expect(m.revision).toBeGreaterThan(revision);
    expect(downText(m.info(m.indexOf('db-1')))).toBe('down: connection refused');
    expect(Array.from(m.view(query('role=db')), (i) => m.ids[i])).toEqual([]);
    expect(Array.from(m.view(query('role=cache')), (i) => m.ids[i])).toEqual(['db-1']);
  });
});
