import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serversPayloadSchema } from '../src/schemas.js';
import {
  compactServerList,
  expandServerIds,
  serverListHas,
  serverListSize,
  serverListVersion,
} from '../src/server-list.js';

const idsOf = (ids: string[]) => ids.map((id) => ({ id }));

describe('compact server list', () => {
  it('sends a fleet of 100,000 numbered servers plus host as one range and one entry', () => {
    const ids = Array.from({ length: 100_000 }, (_, i) => `server-${i + 1}`).concat('host');
    const entries = compactServerList(idsOf(ids));
    expect(entries).toEqual([{ prefix: 'server-', from: 1, to: 100_000 }, { id: 'host' }]);
    expect(JSON.stringify(entries).length).toBeLessThan(100);
    expect(JSON.stringify(idsOf(ids)).length).toBeGreaterThan(2_000_000);
    expect(expandServerIds(entries)).toEqual(ids);
    expect(serverListSize(entries)).toBe(100_001);
  });

  it('keeps the order of gaps, unnumbered ids and leading zeros', () => {
    const ids = [
      'server-3',
      'server-4',
      'server-9',
      'web',
      'server-5',
      'server-6',
      'db-01',
      'db-2',
    ];
    const entries = compactServerList(idsOf(ids));
    expect(entries).toEqual([
      { prefix: 'server-', from: 3, to: 4 },
      { id: 'server-9' },
      { id: 'web' },
      { prefix: 'server-', from: 5, to: 6 },
      { id: 'db-01' },
      { id: 'db-2' },
    ]);
    expect(expandServerIds(entries)).toEqual(ids);
  });

  it('keeps entries that carry more than an id explicit, with their fields', () => {
    const servers = [
      { id: 'server-1' },
      { id: 'server-2', labels: { dc: 'a' } },
      { id: 'server-3' },
    ];
    const entries = compactServerList(servers);
    expect(entries).toEqual([{ id: 'server-1' }, servers[1], { id: 'server-3' }]);
    expect(
      serversPayloadSchema.parse({ servers: entries, count: 3, version: 1, timestamp: 0 })
        .servers[1],
    ).toEqual(servers[1]);
  });

  it('round-trips any id list (property)', () => {
    const id = fc.oneof(
      fc.integer({ min: 1, max: 60 }).map((n) => `server-${n}`),
      fc.constantFrom('host', 'a1', 'a2', 'x-007'),
    );
    fc.assert(
      fc.property(fc.uniqueArray(id, { maxLength: 80 }), (ids) => {
        const entries = compactServerList(idsOf(ids));
        expect(expandServerIds(entries)).toEqual(ids);
        for (const i of ids) expect(serverListHas(entries, i)).toBe(true);
        expect(serverListHas(entries, 'server-61')).toBe(false);
        const payload = { servers: entries, count: ids.length, version: 3, timestamp: 1 };
        expect(serversPayloadSchema.safeParse(payload).success).toBe(true);
      }),
    );
  });

  it('the schema refuses a wrong count, reversed or oversized ranges and bad ids', () => {
    const ok = {
      servers: [{ prefix: 'server-', from: 1, to: 5 }],
      count: 5,
      version: 1,
      timestamp: 1,
    };
    expect(serversPayloadSchema.safeParse(ok).success).toBe(true);
    for (const bad of [
      { ...ok, count: 4 },
      { ...ok, servers: [{ prefix: 'server-', from: 5, to: 1 }], count: -3 },
      { ...ok, servers: [{ prefix: 'server-', from: 1, to: 5_000_000 }], count: 5_000_000 },
      { ...ok, servers: [{ id: '' }], count: 1 },
      { ...ok, servers: [{ prefix: 'x'.repeat(70), from: 1, to: 2 }], count: 2 },
      { ...ok, version: -1 },
    ]) {
      expect(serversPayloadSchema.safeParse(bad).success).toBe(false);
    }
    expect(() => expandServerIds([{ prefix: 'a', from: 1, to: 2_000_000 }])).toThrow(/at most/);
  });

  it('versions are FNV-1a of the ids joined by commas', () => {
    expect(serverListVersion([])).toBe(0x811c9dc5);
    expect(serverListVersion(['server-1', 'server-2'])).toBe(
      serverListVersion(['server-1', 'server-2']),
    );
    expect(serverListVersion(['server-1', 'server-2'])).not.toBe(
      serverListVersion(['server-2', 'server-1']),
    );
    expect(serverListVersion(['a,b'])).toBe(serverListVersion(['a', 'b']));
  });
});
