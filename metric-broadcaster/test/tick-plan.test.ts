import { describe, expect, it } from 'vitest';
import { createPoller, defaultTiming, withSubscribers, type PollerState } from '../src/poller.js';
import { planCompletion, planRequest } from '../src/tick-plan.js';

const timing = defaultTiming(1000);
const T = 1_800_000_000_000;

const active = (id: string, dueAt: number, lastEmittedTick = T): PollerState => ({
  ...withSubscribers(createPoller(id), 1, lastEmittedTick, dueAt),
});

describe('planRequest', () => {
  it('sends nothing while no poller is active', () => {
    const pollers = [createPoller('server-1'), createPoller('server-2')];
    expect(planRequest({ pollers, now: T, timing, knownServers: 2 })).toEqual({ kind: 'idle' });
  });

  it('waits for the earliest due poller', () => {
    const pollers = [active('server-1', T + 750), active('server-2', T + 800)];
    expect(planRequest({ pollers, now: T + 10, timing, knownServers: 10 })).toEqual({
      kind: 'wait',
      until: T + 750,
    });
  });

  it('puts every poller due within the coalescing window into one request, long-polling past the last tick', () => {
    const pollers = [
      active('server-1', T + 750),
      active('server-2', T + 760),
      active('server-3', T + 850),
      active('server-4', T + 851),
      createPoller('server-5'),
    ];
    expect(planRequest({ pollers, now: T + 750, timing, knownServers: 100 })).toEqual({
      kind: 'request',
      all: false,
      ids: ['server-1', 'server-2', 'server-3'],
      pollers: ['server-1', 'server-2', 'server-3'],
      after: T + 999,
    });
  });

  it('asks from the oldest tick any batched poller still needs', () => {
    const pollers = [active('server-1', T + 750), active('server-2', T + 750, T - 3000)];
    const plan = planRequest({ pollers, now: T + 750, timing, knownServers: 100 });
    expect(plan).toMatchObject({ kind: 'request', after: T - 3000 + 999 });
  });

  it('asks for every server when more than half of them are watched', () => {
    const pollers = Array.from({ length: 6 }, (_, i) => active(`server-${i + 1}`, T + 750));
    const plan = planRequest({ pollers, now: T + 750, timing, knownServers: 10 });
    expect(plan).toMatchObject({ kind: 'request', all: true, ids: [] });
  });

  it('asks for thousands of watched ids by id, and for every server past the id limits', () => {
    const pollers = Array.from({ length: 20_001 }, (_, i) => active(`server-${i + 1}`, T + 750));
    const plan = planRequest({ pollers, now: T + 750, timing, knownServers: 100_000 });
    expect(plan).toMatchObject({ kind: 'request', all: true });
    const many = planRequest({
      pollers: pollers.slice(0, 5_000),
      now: T + 750,
      timing,
      knownServers: 100_000,
    });
    expect(many).toMatchObject({ kind: 'request', all: false });
    if (many.kind === 'request') expect(many.ids).toHaveLength(5_000);
    const long = planRequest({
      pollers: pollers.slice(0, 5).map((p) => ({ ...p, id: `${p.id}-${'x'.repeat(60_000)}` })),
      now: T + 750,
      timing,
      knownServers: 100_000,
    });
    expect(long).toMatchObject({ kind: 'request', all: true });
  });
});

describe('planCompletion', () => {
  it('finds the pollers that joined while the long poll was held', () => {
    const pollers = [
      active('server-1', T + 1750, T + 1000), // covered, has the tick
      active('server-2', T + 900, T), // joined late: not covered, lags
      createPoller('server-3'), // idle
    ];
    expect(planCompletion(pollers, T + 1000, new Set(['server-1']))).toEqual(['server-2']);
    expect(planCompletion(pollers, T + 1000, 'all')).toEqual([]);
  });
});
