import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { HistoryBatchResponse, Sample } from '@metrics/protocol';
import { GeneratorError, type HistoryQuery } from '../src/generator-client.js';
import { createHistoryService, type HistoryReply } from '../src/history-service.js';
import { sampleAt } from './helpers/sample.js';

const T = Date.UTC(2026, 11, 1, 12, 0, 0);

interface Call {
  ids: readonly string[];
  query: HistoryQuery;
  resolve(): void;
  reject(err: Error): void;
}

/** A generator client whose history reads stay pending until the test answers them. */
function fakeGenerator() {
  const calls: Call[] = [];
  let running = 0;
  let maxRunning = 0;
  const client = {
    historyBatch(ids: readonly string[], query: HistoryQuery): Promise<HistoryBatchResponse> {
      running++;
      maxRunning = Math.max(maxRunning, running);
      return new Promise((resolve, reject) => {
        const done = () => running--;
        calls.push({
          ids,
          query,
          resolve: () => {
            done();
            resolve({
              series: ids.map((id) => ({
                serverId: id,
                samples: [0, 1, 2].map((k) => sampleAt(id, (query.from ?? T) + k * 1000)),
              })),
            });
          },
          reject: (err) => {
            done();
            reject(err);
          },
        });
      });
    },
  };
  return { client, calls, maxRunning: () => maxRunning };
}

const known = new Set(['server-1', 'server-2', 'server-3', 'server-4']);
function setup(limits: Partial<Parameters<typeof createHistoryService>[0]['limits']> = {}) {
  const gen = fakeGenerator();
  let tick = T;
  const rejected: string[] = [];
  const service = createHistoryService({
    client: gen.client,
    knows: (id) => known.has(id),
    currentTick: () => tick,
    limits: {
      inFlightPerSocket: 4,
      queuePerSocket: 16,
      generatorInFlight: 8,
      maxBatchIds: 3,
      ...limits,
    },
    timeoutMs: 1000,
    log: pino({ level: 'silent' }),
    onRejected: (reason) => rejected.push(reason),
  });
  return { gen, service, rejected, setTick: (t: number) => (tick = t) };
}
const flush = () => new Promise((r) => setTimeout(r, 0));
const answerAll = async (calls: Call[]) => {
  for (let i = 0; i < 30; i++) {
    for (const c of calls.splice(0)) c.resolve();
    await flush();
  }
};

describe('history service', () => {
  it('answers the batched form with one generator read, single answers merged in the order asked', async () => {
    const { gen, service } = setup();
    const s = service.openSession();
    const batch = s.request({ serverIds: ['server-2', 'server-1', 'server-2', 'nope'], from: T });
    await flush();
    expect(gen.calls.map((c) => c.ids)).toEqual([['server-2', 'server-1']]);
    expect(gen.calls[0]!.query).toEqual({ from: T });
    await answerAll(gen.calls);
    const reply = await batch;
    expect(reply).toEqual({
      ok: true,
      series: [
        {
          serverId: 'server-2',
          samples: [T, T + 1000, T + 2000].map((t) => sampleAt('server-2', t)),
        },
        {
          serverId: 'server-1',
          samples: [T, T + 1000, T + 2000].map((t) => sampleAt('server-1', t)),
        },
      ],
      unknown: ['nope'],
    });
    // The single form answers exactly the batched series of that server.
    const single = s.request({ serverId: 'server-1', from: T });
    await answerAll(gen.calls);
    expect(await single).toEqual({
      ok: true,
      samples: (reply as { series: { samples: Sample[] }[] }).series[1]!.samples,
    });
  });

  it.each([
    [{ serverIds: [] }, /invalid request: serverIds/],
    [{ serverIds: ['server-1', 'server-2', 'server-3', 'server-4'] }, /at most 3 server ids/],
    [{ serverIds: ['server-1'], limit: 0 }, /invalid request: limit/],
    [{ serverIds: ['server-1'], from: 5, to: 4 }, /`from` must not be after `to`/],
    [{ serverIds: ['server-1'], serverId: 'server-1' }, /invalid request/],
    [{ serverId: 'server-9' }, /unknown server "server-9"/],
    [{ serverId: 'server-1', from: 'yesterday' }, /invalid request: from/],
    ['server-1', /invalid request/],
  ])('refuses %j without asking the generator', async (payload, error) => {
    const { gen, service } = setup();
    const reply = await service.openSession().request(payload);
    expect(reply).toMatchObject({ ok: false, error: expect.stringMatching(error) });
    expect(gen.calls).toEqual([]);
  });

  it('answers a batch of unknown ids only with every id unknown, without a read', async () => {
    const { gen, service } = setup();
    expect(await service.openSession().request({ serverIds: ['x', 'y'] })).toEqual({
      ok: true,
      series: [],
      unknown: ['x', 'y'],
    });
    expect(gen.calls).toEqual([]);
  });

  it('queues requests past the in-flight limit and refuses past the queue, saying when to retry', async () => {
    const { gen, service, rejected } = setup({ inFlightPerSocket: 4, queuePerSocket: 16 });
    const s = service.openSession();
    const replies = Array.from({ length: 22 }, (_, i) =>
      s.request({ serverId: 'server-1', from: T + i * 1000 }),
    );
    await flush();
    // Four reach the generator; sixteen wait; two are refused at once.
    expect(gen.calls).toHaveLength(4);
    const refused = await Promise.race([Promise.all(replies.slice(20)), flush().then(() => [])]);
    expect(refused).toHaveLength(2);
    for (const r of refused as HistoryReply[]) {
      expect(r).toMatchObject({
        ok: false,
        error: expect.stringMatching(/too many history requests.*retry in \d+ ms/),
      });
      expect((r as { retryAfterMs: number }).retryAfterMs).toBeGreaterThanOrEqual(250);
    }
    expect(rejected).toEqual(['too_many', 'too_many']);
    await answerAll(gen.calls);
    const answered = await Promise.all(replies.slice(0, 20));
    expect(answered.every((r) => r.ok)).toBe(true);
    // In order: each request got the samples of its own `from`.
    answered.forEach((r, i) => {
      expect((r as { samples: Sample[] }).samples[0]!.timestamp).toBe(
        new Date(T + i * 1000).toISOString(),
      );
    });
    expect(gen.maxRunning()).toBe(4);
  });

  it('shares identical reads in flight: a herd of sockets asking the same is one generator read', async () => {
    const { gen, service } = setup();
    const req = { serverIds: ['server-1', 'server-2'], from: T, limit: 100 };
    const replies = Array.from({ length: 50 }, () => service.openSession().request(req));
    await flush();
    expect(gen.calls).toHaveLength(1);
    await answerAll(gen.calls);
    const all = await Promise.all(replies);
    for (const r of all) expect(r).toEqual(all[0]);
    expect(all[0]!.ok).toBe(true);
    expect(service.stats()).toMatchObject({ shared: 49, generatorReads: 1 });
  });

  it('does not share a read asked before a newer tick was seen', async () => {
    const { gen, service, setTick } = setup();
    const req = { serverId: 'server-1', from: T };
    const first = service.openSession().request(req);
    await flush();
    setTick(T + 1000);
    const second = service.openSession().request(req);
    await flush();
    expect(gen.calls).toHaveLength(2);
    await answerAll(gen.calls);
    expect((await first).ok && (await second).ok).toBe(true);
  });

  it('bounds the generator reads of all sockets together; the rest wait their turn', async () => {
    const { gen, service } = setup({ generatorInFlight: 3 });
    const replies = Array.from({ length: 10 }, (_, i) =>
      service.openSession().request({ serverId: 'server-1', from: T + i }),
    );
    await flush();
    expect(gen.calls).toHaveLength(3);
    expect(service.stats()).toMatchObject({ running: 3, waiting: 7 });
    await answerAll(gen.calls);
    expect((await Promise.all(replies)).every((r) => r.ok)).toBe(true);
    expect(gen.maxRunning()).toBe(3);
  });

  it('drops the waiting requests of a socket that left: they are never sent', async () => {
    const { gen, service } = setup({ inFlightPerSocket: 1 });
    const s = service.openSession();
    const running = s.request({ serverId: 'server-1', from: T });
    const waiting = [1, 2, 3].map((i) => s.request({ serverId: 'server-1', from: T + i }));
    await flush();
    s.close();
    expect(await Promise.all(waiting)).toEqual(Array(3).fill({ ok: false, error: 'disconnected' }));
    await answerAll(gen.calls);
    expect((await running).ok).toBe(true);
    expect(service.stats().generatorReads).toBe(1);
  });

  it.each([
    [
      new GeneratorError('http_error', 'busy', 503, 2000),
      { error: /generator busy/, retryAfterMs: 2000 },
    ],
    [
      new GeneratorError('http_error', 'invalid history query: limit', 400),
      { error: /invalid history query/ },
    ],
    [
      new GeneratorError('http_error', 'unknown server "server-1"', 404),
      { error: 'unknown server "server-1"' },
    ],
    [
      new GeneratorError('timeout', 'no answer'),
      { error: /generator unavailable/, retryAfterMs: 1000 },
    ],
  ])('turns a generator failure (%s) into a readable ack', async (err, expected) => {
    const { gen, service } = setup();
    const reply = service.openSession().request({ serverId: 'server-1' });
    await flush();
    gen.calls[0]!.reject(err);
    const r = await reply;
    expect(r.ok).toBe(false);
    expect(r).toMatchObject({
      ...expected,
      error:
        typeof expected.error === 'string' ? expected.error : expect.stringMatching(expected.error),
    });
  });
});
