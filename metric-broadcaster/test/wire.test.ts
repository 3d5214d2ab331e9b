import type { IncomingHttpHeaders } from 'node:http';
import { Decoder } from 'socket.io-parser';
import { describe, expect, it } from 'vitest';
import { decodeFleetFrame, type MetricsPayload } from '@metrics/protocol';
import { sampleSchema } from '@metrics/protocol/schemas';
import { encodeMetricsPacket, encodeServersPacket, serversJson } from '../src/delivery.js';
import { buildFleetFrame, readPcts } from '../src/fleet-builder.js';
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

describe('fleet frame', () => {
  it('puts each server at its index in the servers list, MISSING where no sample came', () => {
    const index = new Map([
      ['server-1', 0],
      ['server-2', 1],
      ['server-3', 2],
    ]);
    const frame = buildFleetFrame({ version: 42, index, count: 3 }, T, [
      { serverId: 'server-3', tick: T, json: line('server-3', 99.99, 0, 100) },
      { serverId: 'server-1', tick: T, json: line('server-1', 12.34, 56.78, 9) },
      { serverId: 'server-9', tick: T, json: line('server-9', 1, 1, 1) }, // not in the list
      { serverId: 'server-2', tick: T - 1000, json: line('server-2', 1, 1, 1) }, // other tick
    ]);
    expect(frame).toMatchObject({ tick: T, version: 42, count: 3 });
    expect((frame.values as Uint8Array).byteLength).toBe(3 * 6);
    const decoded = decodeFleetFrame(frame);
    expect(Array.from(decoded.cpuPct)).toEqual([
      expect.closeTo(12.34, 2),
      NaN,
      expect.closeTo(99.99, 2),
    ]);
    expect(decoded.memPct[0]).toBeCloseTo(56.78, 2);
    expect(decoded.diskPct[2]).toBe(100);
  });

  it('reads the three percentages from the sample text, falling back to JSON.parse', () => {
    expect(readPcts(line('a', 1.5, 2, 3e1))).toEqual([1.5, 2, 30]);
    expect(readPcts('{"diskPct": 3, "memPct": 2, "cpuPct": 1}')).toEqual([1, 2, 3]);
    expect(readPcts('{"cpuPct":"x"}')).toBeUndefined();
    expect(readPcts('not json')).toBeUndefined();
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
  it('is what socket.io-client decodes as the servers event', () => {
    const decoder = new Decoder();
    const decoded: Array<{ data?: unknown }> = [];
    decoder.on('decoded', (p: { data?: unknown }) => {
      decoded.push(p);
    });
    decoder.add(encodeServersPacket(serversJson(['server-1', 'server-2', 'host']), 77, T));
    expect(decoded[0]!.data).toEqual([
      'servers',
      {
        servers: [{ id: 'server-1' }, { id: 'server-2' }, { id: 'host' }],
        version: 77,
        timestamp: T,
      },
    ]);
  });
});
