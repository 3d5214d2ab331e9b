import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RawSample } from '../src/latest-body.js';
import { createPollLoop } from '../src/poll-loop.js';
import { defaultTiming } from '../src/poller.js';
import { createFakeGenerator } from './helpers/fake-generator.js';

const TICK = 1000;
const COMMIT = 4; // the fake generator commits tick T at T + 4 ms
const T0 = 1_800_000_000_000;

const servers = Array.from({ length: 200 }, (_, i) => `server-${i + 1}`);

function setup(startOffsetMs: number, answerOrder?: (samples: RawSample[]) => RawSample[]) {
  vi.setSystemTime(T0 + startOffsetMs);
  const { fake, client: exact } = createFakeGenerator({
    tickMs: TICK,
    commitDelayMs: COMMIT,
    servers,
  });
  const client: typeof exact = answerOrder
    ? {
        ...exact,
        latest: async (req) => {
          const answer = await exact.latest(req);
          return answer === 'no-tick'
            ? answer
            : { ...answer, samples: answerOrder(answer.samples) };
        },
      }
    : exact;
  const rooms = new Map<string, number>();
  const ticks: Array<{ tick: number; emitted: RawSample[]; at: number }> = [];
  const status: boolean[] = [];
  const loop = createPollLoop({
    client,
    timing: defaultTiming(TICK),
    generatorTimeoutMs: 1000,
    log: pino({ level: 'silent' }),
    subscribersOf: (key) => rooms.get(key) ?? 0,
    onTick: (tick, emitted) => ticks.push({ tick, emitted, at: Date.now() }),
    onGenerator: (ok) => status.push(ok),
    random: () => 0.5,
  });
  loop.setServers(servers);
  const watch = (ids: string[], n = 1) => {
    for (const id of ids) {
      rooms.set(id, n);
      loop.refresh(id);
    }
  };
  return { fake, loop, ticks, status, watch, rooms };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('poll loop', () => {
  it('sends no request at all while nobody watches', async () => {
    const { fake, loop } = setup(123);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(fake.requests).toHaveLength(0);
    expect(loop.activePollers()).toBe(0);
    loop.close();
  });

  it.each([3, 250, 517, 996])(
    'locks onto the generator phase whatever the subscribe phase (%i ms into a tick)',
    async (offset) => {
      const { loop, ticks, watch } = setup(offset);
      watch(['server-1', 'server-2']);
      await vi.advanceTimersByTimeAsync(10_500);
      // From the second delivery on, every tick is delivered COMMIT + 1 ms after it (the long
      // poll is answered the moment the tick commits), one delivery per tick, none skipped.
      const steady = ticks.slice(1);
      expect(steady.length).toBeGreaterThanOrEqual(9);
      for (const d of steady) {
        expect(d.at - d.tick).toBeLessThanOrEqual(COMMIT + 2);
        expect(d.emitted.map((s) => s.serverId)).toEqual(['server-1', 'server-2']);
      }
      const tickList = ticks.map((d) => d.tick);
      expect(new Set(tickList).size).toBe(tickList.length);
      for (let i = 1; i < tickList.length; i++) expect(tickList[i]! - tickList[i - 1]!).toBe(TICK);
      loop.close();
    },
  );

  it('keeps one long poll outstanding, sent as each answer arrives and asking past its tick', async () => {
    const { fake, loop, watch } = setup(600);
    watch(['server-5']);
    await vi.advanceTimersByTimeAsync(6_000);
    expect(fake.maxInFlight).toBe(1);
    const steady = fake.requests.slice(2);
    expect(steady.length).toBeGreaterThanOrEqual(5);
    for (const r of steady) {
      // sent right after the previous tick's answer (commit at +4 ms), held until the next
      expect((r.at - T0) % TICK).toBeLessThanOrEqual(COMMIT + 2);
      expect(r.after! % TICK).toBe(999);
      expect(r.ids).toEqual(['server-5']);
    }
    loop.close();
  });

  it('shares one request per tick among 100 watched servers', async () => {
    const { fake, loop, ticks, watch } = setup(300);
    watch(servers.slice(0, 100));
    await vi.advanceTimersByTimeAsync(500);
    const before = fake.requests.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fake.requests.length - before).toBe(10);
    expect(fake.requests.at(-1)!.ids).toHaveLength(100);
    for (const d of ticks.slice(1)) expect(d.emitted).toHaveLength(100);
    loop.close();
  });

  it('asks for the watched ids only, however many, while fewer than half the servers are watched', async () => {
    const { fake, loop, ticks, watch } = setup(10);
    const watched = servers.filter((_, i) => i % 3 === 0); // 67 of 200
    watch(watched);
    await vi.advanceTimersByTimeAsync(3_100);
    expect(fake.requests.length).toBeGreaterThanOrEqual(3);
    for (const r of fake.requests) expect([...r.ids!].sort()).toEqual([...watched].sort());
    expect(ticks.at(-1)!.emitted).toHaveLength(watched.length);
    loop.close();
  });

  it('asks for every server once more than half of them are watched', async () => {
    const { fake, loop, watch } = setup(10);
    watch(servers.slice(0, 101));
    await vi.advanceTimersByTimeAsync(2_100);
    expect(fake.requests.at(-1)!.ids).toBeUndefined();
    loop.close();
  });

  it('stops polling when the last subscriber leaves', async () => {
    const { fake, loop, watch, rooms } = setup(0);
    watch(['server-1']);
    await vi.advanceTimersByTimeAsync(3_000);
    rooms.set('server-1', 0);
    loop.refresh('server-1');
    await vi.advanceTimersByTimeAsync(1_100); // the long poll in flight may still finish
    const after = fake.requests.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fake.requests.length).toBe(after);
    loop.close();
  });

  it('brings a server watched mid-tick into the same delivery as the others', async () => {
    const { loop, ticks, watch } = setup(100);
    watch(['server-1']);
    await vi.advanceTimersByTimeAsync(2_850); // a long poll is held now
    watch(['server-2']);
    await vi.advanceTimersByTimeAsync(3_000);
    const withBoth = ticks.filter((d) => d.emitted.length === 2);
    expect(withBoth.length).toBeGreaterThanOrEqual(3);
    // never a separate delivery for server-2 alone
    expect(
      ticks.filter((d) => d.emitted.length === 1 && d.emitted[0]!.serverId === 'server-2'),
    ).toEqual([]);
    loop.close();
  });

  it('backs off while the generator is down, emits nothing, and resumes on recovery', async () => {
    const { fake, loop, ticks, status, watch } = setup(0);
    watch(['server-1']);
    await vi.advanceTimersByTimeAsync(2_500);
    fake.up = false;
    const downAt = Date.now();
    const ticksBefore = ticks.length;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(ticks.length).toBe(ticksBefore);
    expect(status.at(-1)).toBe(false);
    const failed = fake.requests.filter((r) => r.at >= downAt);
    // retried with backoff (≤ 500 ms apart), not in a tight loop
    expect(failed.length).toBeGreaterThan(5);
    expect(failed.length).toBeLessThan(40);
    fake.up = true;
    const upAt = Date.now();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(status.at(-1)).toBe(true);
    const resumed = ticks.slice(ticksBefore);
    expect(resumed.length).toBeGreaterThanOrEqual(1);
    expect(resumed[0]!.at - upAt).toBeLessThan(1_600);
    loop.close();
  });

  it('keeps the freshest sample for subscribers only while it belongs to the current tick', async () => {
    const { loop, watch, rooms } = setup(0);
    watch(['server-1']);
    await vi.advanceTimersByTimeAsync(1_500);
    expect(loop.freshSample('server-1')?.tick).toBe(loop.currentTick);
    expect(loop.freshSample('server-2')).toBeUndefined();
    rooms.set('server-1', 0);
    loop.refresh('server-1');
    await vi.advanceTimersByTimeAsync(3_000);
    expect(loop.freshSample('server-1')).toBeUndefined();
    loop.close();
  });

  it('asks for the watched ids in the order of the server list, whatever order they were watched in', async () => {
    const { fake, loop, ticks, watch } = setup(10);
    watch(['server-30', 'server-4', 'server-17']);
    await vi.advanceTimersByTimeAsync(2_100);
    expect(fake.requests.at(-1)!.ids).toEqual(['server-4', 'server-17', 'server-30']);
    expect(ticks.at(-1)!.emitted.map((s) => s.serverId)).toEqual([
      'server-4',
      'server-17',
      'server-30',
    ]);
    expect(loop.activePollers()).toBe(3);
    loop.close();
  });

  it('gives every poller its own sample when the answer comes in another order than asked', async () => {
    const { loop, ticks, watch } = setup(10, (samples) => [...samples].reverse());
    const watched = ['server-1', 'server-2', 'server-3', 'server-4'];
    watch(watched);
    await vi.advanceTimersByTimeAsync(3_100);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    for (const d of ticks) {
      expect([...d.emitted.map((s) => s.serverId)].sort()).toEqual(watched);
      expect(d.emitted.every((s) => s.tick === d.tick)).toBe(true);
    }
    for (const id of watched) expect(loop.freshSample(id)?.serverId).toBe(id);
    loop.close();
  });
});
