import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readFleetHeader } from '@metrics/protocol';
import { createFleetPoll } from '../src/fleet-poll.js';
import type { FleetBytes } from '../src/generator-client.js';
import { defaultTiming } from '../src/poller.js';
import { createFakeGenerator } from './helpers/fake-generator.js';

const TICK = 1000;
const T0 = 1_800_000_000_000;
const servers = Array.from({ length: 50 }, (_, i) => `server-${i + 1}`);

function setup(offset: number) {
  vi.setSystemTime(T0 + offset);
  const { fake, client } = createFakeGenerator({ tickMs: TICK, commitDelayMs: 4, servers });
  let members = 0;
  const frames: Array<FleetBytes & { at: number }> = [];
  const poll = createFleetPoll({
    client,
    timing: defaultTiming(TICK),
    generatorTimeoutMs: 1000,
    log: pino({ level: 'silent' }),
    members: () => members,
    newestTick: () => -1,
    onFrame: (f) => frames.push({ ...f, at: Date.now() }),
    onGenerator: () => {},
    random: () => 0.5,
  });
  const setMembers = (n: number) => {
    members = n;
    poll.refresh();
  };
  return { fake, poll, frames, setMembers };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('fleet poll', () => {
  it('sends nothing while the fleet room is empty', async () => {
    const { fake, poll } = setup(10);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fake.requests).toHaveLength(0);
    poll.close();
  });

  it.each([3, 400, 990])(
    'long-polls /v1/fleet once per tick, locked to the commit (%i ms into a tick)',
    async (offset) => {
      const { fake, poll, frames, setMembers } = setup(offset);
      setMembers(2);
      await vi.advanceTimersByTimeAsync(5_050);
      expect(fake.requests.every((r) => r.route === 'fleet')).toBe(true);
      const steady = frames.slice(1);
      expect(steady.length).toBeGreaterThanOrEqual(4);
      for (const f of steady) {
        expect(f.at - f.tick).toBeLessThanOrEqual(10);
        expect(readFleetHeader(f.bytes)).toMatchObject({ tick: f.tick, count: servers.length });
      }
      const ticks = frames.map((f) => f.tick);
      expect(new Set(ticks).size).toBe(ticks.length);
      expect(fake.maxInFlight).toBe(1);
      poll.close();
    },
  );

  it('stops when the last member leaves', async () => {
    const { fake, poll, setMembers } = setup(100);
    setMembers(1);
    await vi.advanceTimersByTimeAsync(2_500);
    setMembers(0);
    await vi.advanceTimersByTimeAsync(1_100);
    const after = fake.requests.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fake.requests.length).toBe(after);
    expect(poll.state().phase).toBe('idle');
    poll.close();
  });

  it('backs off while the generator is down and resumes when it is back', async () => {
    const { fake, poll, frames, setMembers } = setup(100);
    setMembers(1);
    await vi.advanceTimersByTimeAsync(2_000);
    fake.up = false;
    await vi.advanceTimersByTimeAsync(3_000);
    const whileDown = frames.length;
    expect(poll.state().failures).toBeGreaterThan(0);
    fake.up = true;
    await vi.advanceTimersByTimeAsync(2_000);
    expect(frames.length).toBeGreaterThan(whileDown);
    poll.close();
  });
});
