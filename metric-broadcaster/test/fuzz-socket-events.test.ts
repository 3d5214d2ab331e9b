import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS } from '@metrics/protocol';
import { historyRequestSchema, subscribeRequestSchema } from '@metrics/protocol/schemas';
import type { ServiceProcess } from '../../scripts/lib/service-process.js';
import { connectSocket } from '../../scripts/lib/socket-client.js';
import {
  errorLines,
  rssMb,
  startBroadcasterProcess,
  startGenerator,
} from './helpers/fault-tools.js';
import type { Client } from './helpers/harness.js';

/**
 * Property-based fuzzing of every client → server socket event against the real broadcaster
 * process (and the real generator behind it): random and hostile payloads (wrong types, huge
 * numbers, long arrays, unicode, SQL-looking ids, `__proto__` / `constructor` keys, binary,
 * several arguments, with and without an ack callback). Every ack is `{ ok: true, … }` for a
 * valid request and `{ ok: false, error }` with a message for humans otherwise; the process
 * stays up, keeps serving other clients, logs no error and stays within bounded memory.
 * The rate limit is raised here (it is exercised in faults-hostile-clients.test.ts).
 */
const SERVER_COUNT = 30;
const MAX_IDS = 500;
let generator: ServiceProcess;
let broadcaster: ServiceProcess;
let socket: Client;

const open = (): Promise<Client> => connectSocket(broadcaster.url, { reconnection: true });

beforeAll(async () => {
  generator = await startGenerator({ SERVER_COUNT: String(SERVER_COUNT) });
  broadcaster = await startBroadcasterProcess({
    GENERATOR_URL: generator.url,
    EVENT_RATE_PER_SECOND: '10000',
    EVENT_BURST: '100000',
    MAX_IDS_PER_SUBSCRIBE: String(MAX_IDS),
  });
  socket = await open();
});
afterAll(async () => {
  socket?.close();
  await broadcaster?.stop();
  await generator?.stop();
});

const SQLISH = ["'; DROP TABLE samples; --", "server-1' OR '1'='1", '1; DELETE FROM servers'];
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];

/** Text a hostile client sends: random, unicode, SQL-looking, prototype names, near-valid ids. */
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    ...SQLISH,
    ...PROTO_KEYS,
    '',
    'server-1',
    'server-0',
    'server-999',
    'x'.repeat(65),
  ),
  fc.integer({ min: 1, max: SERVER_COUNT + 5 }).map((n) => `server-${n}`),
);
const number = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -1, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 53, 1e15, 0.5),
);
const leaf = fc.oneof(text, number, fc.boolean(), fc.constant(null), fc.constant(undefined));
/** Any JSON-ish value, objects allowed to carry prototype keys (as own keys, as JSON does). */
const value = fc.letrec((tie) => ({
  any: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('any'), { maxLength: 6 }),
  object: fc
    .array(
      fc.tuple(
        fc.oneof(
          fc.constantFrom(...PROTO_KEYS, 'serverIds', 'serverId', 'from', 'to', 'limit'),
          text,
        ),
        tie('any'),
      ),
      {
        maxLength: 5,
      },
    )
    .map((entries) => {
      const o: Record<string, unknown> = {};
      for (const [k, v] of entries)
        Object.defineProperty(o, k, {
          value: v,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      return o;
    }),
})).any;

/** Payloads shaped like the real requests, each field possibly wrong, plus raw anything. */
const knownId = fc.integer({ min: 1, max: SERVER_COUNT }).map((n) => `server-${n}`);
const instant = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 45 }),
  fc
    .date({ min: new Date(0), max: new Date(2 ** 44), noInvalidDate: true })
    .map((d) => d.toISOString()),
  number,
  text,
);
const subscribeLike = fc.oneof(
  value,
  // Well-formed, with ids of every kind (unknown ones are acked as `unknown`).
  fc.record({ serverIds: fc.array(fc.oneof(knownId, text), { minLength: 1, maxLength: 12 }) }),
  fc.record(
    {
      serverIds: fc.oneof(
        fc.array(text, { maxLength: 20 }),
        fc.array(
          fc.integer({ min: 1, max: SERVER_COUNT }).map((n) => `server-${n}`),
          { minLength: 1, maxLength: 10 },
        ),
        fc.array(text, { minLength: MAX_IDS + 1, maxLength: MAX_IDS + 50 }),
        value,
      ),
      ['__proto__']: value,
      constructor: value,
      extra: value,
    },
    { requiredKeys: [] },
  ),
);
const historyLike = fc.oneof(
  value,
  fc.record(
    {
      serverId: knownId,
      from: fc.integer({ min: 0, max: 2 ** 45 }),
      limit: fc.integer({ min: 1, max: 10_000 }),
    },
    { requiredKeys: ['serverId'] },
  ),
  fc.record(
    {
      serverId: fc.oneof(knownId, text),
      from: instant,
      to: instant,
      limit: fc.oneof(fc.integer({ min: 1, max: 10_000 }), number),
    },
    { requiredKeys: ['serverId'] },
  ),
  fc.record(
    {
      serverId: fc.oneof(text, value),
      from: fc.oneof(number, text, value),
      to: fc.oneof(number, text, value),
      limit: fc.oneof(number, text, value),
      ['__proto__']: value,
    },
    { requiredKeys: [] },
  ),
);
const binary = fc.uint8Array({ maxLength: 256 }).map((a) => Buffer.from(a));
/** 0–3 arguments before the ack, the first shaped like the event's request. */
const args = (first: fc.Arbitrary<unknown>) =>
  fc.oneof(
    fc.constant([] as unknown[]),
    { arbitrary: first.map((a) => [a]), weight: 6 },
    fc.tuple(first, fc.oneof(value, binary)).map((a) => [...a]),
    fc.tuple(first, value, value).map((a) => [...a]),
    binary.map((b) => [b]),
  );

const eventAndArgs = fc.oneof(
  fc.tuple(fc.constant(EVENTS.subscribe), args(subscribeLike)),
  fc.tuple(fc.constant(EVENTS.unsubscribe), args(subscribeLike)),
  fc.tuple(fc.constant(EVENTS.history), args(historyLike)),
  fc.tuple(fc.constantFrom(EVENTS.fleetSubscribe, EVENTS.fleetUnsubscribe), args(value)),
);

type Reply = { ok: boolean; error?: unknown; [k: string]: unknown };
const emit = (s: Client, event: string, a: unknown[]): Promise<Reply> =>
  (
    s.timeout(5_000) as unknown as { emitWithAck(e: string, ...x: unknown[]): Promise<Reply> }
  ).emitWithAck(event, ...a);

/**
 * Whether the broadcaster should accept this request: what it receives is the JSON round trip of
 * the arguments (binary stays binary); one argument is the payload, several are refused.
 */
function valid(event: string, a: unknown[]): boolean {
  if (a.length > 1 || a.some((x) => Buffer.isBuffer(x))) return false;
  const payload =
    a.length === 0 ? undefined : (JSON.parse(JSON.stringify(a[0] ?? null)) as unknown);
  switch (event) {
    case EVENTS.subscribe:
    case EVENTS.unsubscribe:
      return subscribeRequestSchema(MAX_IDS).safeParse(payload).success;
    case EVENTS.history: {
      const p = historyRequestSchema.safeParse(payload);
      if (!p.success) return false;
      const { serverId, from, to } = p.data;
      const known = /^server-([1-9]\d*)$/.exec(serverId);
      return (
        known !== null &&
        Number(known[1]) <= SERVER_COUNT &&
        (from === undefined || to === undefined || from <= to)
      );
    }
    default:
      return payload === undefined;
  }
}

const runs = (n: number) => ({ numRuns: n, endOnFailure: true, interruptAfterTimeLimit: 15_000 });

describe('metric-broadcaster under hostile socket events', () => {
  let rssBefore = 0;
  beforeAll(() => {
    rssBefore = rssMb(broadcaster.pid);
  });

  it('acks every event with ok, or ok:false and a readable error, never an internal error', async () => {
    await fc.assert(
      fc.asyncProperty(eventAndArgs, async ([event, a]) => {
        const reply = await emit(socket, event, a);
        const where = `${event} ${JSON.stringify(a)?.slice(0, 200)}`;
        expect(typeof reply.ok, where).toBe('boolean');
        if (!reply.ok) {
          expect(typeof reply.error, where).toBe('string');
          expect(reply.error, where).not.toMatch(/internal error|\bat .*\.(ts|js):\d+|TypeError/);
          expect((reply.error as string).length, where).toBeLessThan(2_000);
        }
        // History of a known server may still fail if the generator hiccups; everything else
        // must match the protocol schema exactly.
        if (!(
          event === EVENTS.history &&
          reply.ok === false &&
          /generator/.test(String(reply.error))
        )) {
          expect(reply.ok, where).toBe(valid(event, a));
        }
      }),
      runs(600),
    );
    expect(socket.connected).toBe(true);
  });

  it('survives the same events without an ack callback, and unknown events', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          eventAndArgs,
          fc.tuple(
            fc
              .oneof(
                fc.constantFrom('metrics', 'servers', 'status', 'fleet', ...PROTO_KEYS),
                fc.string({ minLength: 1, maxLength: 30 }),
              )
              .filter(
                (e) =>
                  ![
                    'connect',
                    'connect_error',
                    'disconnect',
                    'disconnecting',
                    'newListener',
                    'removeListener',
                  ].includes(e),
              ),
            args(value),
          ),
        ),
        async ([event, a]) => {
          (socket as unknown as { emit(e: string, ...x: unknown[]): void }).emit(event, ...a);
        },
      ),
      runs(300),
    );
    // Still connected and served: a valid request right after gets its normal answer.
    const reply = await socket.timeout(5_000).emitWithAck('subscribe', { serverIds: ['server-3'] });
    expect(reply).toMatchObject({ ok: true, subscribed: ['server-3'] });
    expect(socket.connected).toBe(true);
  });

  it('treats SQL-looking and prototype-named ids as unknown and is not polluted by __proto__ payloads', async () => {
    const reply = await socket.emitWithAck('subscribe', {
      serverIds: [...SQLISH, ...PROTO_KEYS, 'server-4'],
    });
    expect(reply).toEqual({
      ok: true,
      subscribed: ['server-4'],
      unknown: [...SQLISH, ...PROTO_KEYS],
    });
    for (const id of [...SQLISH, ...PROTO_KEYS]) {
      const h = await socket.emitWithAck('history', { serverId: id });
      expect(h).toEqual({ ok: false, error: `unknown server "${id}"` });
    }
    // Had a payload polluted Object.prototype, these would pass validation or change shape.
    const polluted = JSON.parse(
      '{"__proto__":{"serverIds":["server-1"],"ok":true,"serverId":"server-1"}}',
    ) as object;
    for (const event of [EVENTS.subscribe, EVENTS.history] as const) {
      expect(await emit(socket, event, [polluted])).toMatchObject({ ok: false });
      expect(await emit(socket, event, [{}])).toMatchObject({ ok: false });
    }
    const fresh = await open();
    try {
      expect(await emit(fresh, EVENTS.subscribe, [{}])).toMatchObject({ ok: false });
      expect(await emit(fresh, EVENTS.history, [{ serverId: 'server-2', limit: 2 }])).toMatchObject(
        { ok: true },
      );
    } finally {
      fresh.close();
    }
  });

  it('is up, healthy, error-free and within bounded memory after all of the above', async () => {
    expect(broadcaster.child.exitCode).toBeNull();
    const health = await fetch(`${broadcaster.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', generator: 'up' });
    const growth = rssMb(broadcaster.pid) - rssBefore;
    expect(growth, `RSS grew ${growth.toFixed(1)} MiB`).toBeLessThan(64);
    expect(errorLines(broadcaster)).toEqual([]);
  });
});
