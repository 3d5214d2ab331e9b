import type { IncomingHttpHeaders } from 'node:http';
import { Decoder } from 'socket.io-parser';
import { describe, expect, it } from 'vitest';
import { expandServerIds, type MetricsPayload, type ServersPayload } from '@metrics/protocol';
import { sampleSchema, serversPayloadSchema } from '@metrics/protocol/schemas';
import { createServerList } from '../src/server-list.js';
import { encodeMetricsPacket, encodeServersPacket } from '../src/socket-packets.js';
import { isOriginAllowed } from '../src/origin.js';
import { fullBucket, take } from '../src/rate-limit.js';

const T = 1_800_000_000_000;
const iso = new Date(T).toISOString();
const line = (id: string, cpu: number, mem: number, disk: number) =>
  `{"serverId":"${id}","timestamp":"${iso}","cpuPct":${cpu},"memPct":${mem},"diskPct":${disk},"netRxBps":1,"netTxBps":2,"load1":0.25}`;

describe('metrics packet', () => {
  it('is what socket.io-client decodes as a metrics event with the { data, timestamp } envelope', () => {
    const packet = encodeMetricsPacket(
      [line('server-1', 1, 2, 3), line('server-2', 4.5, 5, 6)],
      T + 12,
    );
    const decoder = new Decoder();
    const decoded: Array<{ type: number; nsp: string; data?: unknown }> = [];
    decoder.on('decoded', (p: (typeof decoded)[number]) => {
      decoded.push(p);
    });
    decoder.add(packet);
    expect(decoded).toHaveLength(1);
    expect(decoded[0]!.type).toBe(2); // EVENT
    expect(decoded[0]!.nsp).toBe('/');
    const [event, payload] = decoded[0]!.data as [string, MetricsPayload];
    expect(event).toBe('metrics');
    expect(payload.timestamp).toBe(T + 12);
    expect(payload.data.map((s) => sampleSchema.parse(s).serverId)).toEqual([
      'server-1',
      'server-2',
    ]);
  });
});

describe('origin check', () => {
  it.each([
    [{}, [], true, 'no Origin (not a browser)'],
    [{ origin: 'http://localhost:8080', host: 'localhost:8080' }, [], true, 'same origin'],
    [
      { origin: 'https://dash.example.com', host: 'dash.example.com' },
      [],
      true,
      'same origin, default port',
    ],
    [
      {
        origin: 'http://localhost:8080',
        host: 'broadcaster:3002',
        'x-forwarded-host': 'localhost:8080',
      },
      [],
      true,
      'same origin through the ingress',
    ],
    [{ origin: 'http://evil.example', host: 'localhost:8080' }, [], false, 'foreign origin'],
    [{ origin: 'null', host: 'localhost:8080' }, [], false, 'opaque origin'],
    [
      { origin: 'https://dash.example.com', host: 'x' },
      ['https://dash.example.com'],
      true,
      'listed origin',
    ],
    [
      { origin: 'http://localhost:8080', host: 'localhost:8080' },
      ['https://dash.example.com'],
      false,
      'same origin but not listed',
    ],
  ] as Array<[IncomingHttpHeaders, string[], boolean, string]>)(
    '%j with %j → %s (%s)',
    (headers, allowed, expected, _why) => {
      expect(isOriginAllowed(headers, allowed)).toBe(expected);
    },
  );
});

describe('rate limit', () => {
  it('lets a burst through, then refills at the configured rate', () => {
    const limit = { ratePerSecond: 10, burst: 3 };
    let bucket = fullBucket(limit, 0);
    const results: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      const r = take(bucket, limit, 0);
      bucket = r.bucket;
      results.push(r.allowed);
    }
    expect(results).toEqual([true, true, true, false, false]);
    expect(take(bucket, limit, 50).allowed).toBe(false); // half a token
    const later = take(bucket, limit, 100);
    expect(later.allowed).toBe(true);
    expect(take(later.bucket, limit, 100).allowed).toBe(false);
    expect(take(bucket, limit, 60_000).bucket.tokens).toBe(2); // capped at burst, minus one
  });
});

describe('servers packet', () => {
  it('is what socket.io-client decodes as the servers event, the list compact', () => {
    const decoder = new Decoder();
    const decoded: Array<{ data?: unknown }> = [];
    decoder.on('decoded', (p: { data?: unknown }) => {
      decoded.push(p);
    });
    const list = createServerList(
      [{ id: 'server-1' }, { id: 'server-2' }, { id: 'server-3' }, { id: 'host' }],
      77,
    );
    decoder.add(encodeServersPacket(list, T));
    expect(decoded[0]!.data).toEqual(['servers', list.payload(T)]);
    const payload = (decoded[0]!.data as [string, ServersPayload])[1];
    expect(payload).toEqual({
      servers: [{ prefix: 'server-', from: 1, to: 3 }, { id: 'host' }],
      count: 4,
      version: 77,
      timestamp: T,
    });
    expect(serversPayloadSchema.safeParse(payload).success).toBe(true);
    expect(expandServerIds(payload.servers)).toEqual(['server-1', 'server-2', 'server-3', 'host']);
  });

  it('stays under 100 bytes at 100,000 servers (about 2 MB as a list of ids)', () => {
    const servers = Array.from({ length: 100_000 }, (_, i) => ({ id: `server-${i + 1}` }));
    const packet = encodeServersPacket(createServerList(servers, 1), T);
    expect(packet.length).toBeLessThan(150);
    expect(JSON.stringify(servers).length).toBeGreaterThan(2_000_000);
  });
});
