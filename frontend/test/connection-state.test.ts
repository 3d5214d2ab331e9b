import { describe, expect, it } from 'vitest';
import {
  indicator,
  initialConnection,
  reduceConnection,
  shouldForceReconnect,
  type ConnectionEvent,
  type ConnectionState,
} from '../src/connection-state.js';

const run = (events: [number, ConnectionEvent][], start = 0): ConnectionState =>
  events.reduce((s, [now, e]) => reduceConnection(s, e, now), initialConnection(start));

describe('connection state', () => {
  it.each<[string, [number, ConnectionEvent][], number, string, string]>([
    ['connecting before the first connect', [], 100, 'connecting', 'Connecting…'],
    [
      'live once connected, the generator up and data flowing',
      [
        [10, { type: 'connect' }],
        [20, { type: 'status', generator: 'up' }],
        [1000, { type: 'data' }],
      ],
      1400,
      'live',
      'Live',
    ],
    [
      'reconnecting after a dropped connection, with the attempt',
      [
        [10, { type: 'connect' }],
        [2000, { type: 'disconnect', reason: 'transport close' }],
        [2300, { type: 'reconnect-attempt', attempt: 2 }],
      ],
      2400,
      'reconnecting',
      'Reconnecting…',
    ],
    [
      'still reconnecting when an attempt fails',
      [
        [10, { type: 'connect' }],
        [20, { type: 'disconnect', reason: 'ping timeout' }],
        [30, { type: 'connect-error', message: 'websocket error' }],
      ],
      40,
      'reconnecting',
      'Reconnecting…',
    ],
    [
      'generator down while connected',
      [
        [10, { type: 'connect' }],
        [20, { type: 'status', generator: 'down' }],
      ],
      30,
      'down',
      'Generator down',
    ],
    [
      'live again when the generator comes back',
      [
        [10, { type: 'connect' }],
        [20, { type: 'status', generator: 'down' }],
        [5000, { type: 'status', generator: 'up' }],
        [5100, { type: 'data' }],
      ],
      5200,
      'live',
      'Live',
    ],
    [
      'no new data for more than 3 ticks while subscribed',
      [
        [10, { type: 'connect' }],
        [20, { type: 'status', generator: 'up' }],
        [1000, { type: 'data' }],
      ],
      4001,
      'stalled',
      'No new data',
    ],
    [
      'offline when the browser has no network',
      [
        [10, { type: 'connect' }],
        [20, { type: 'browser-offline' }],
        [30, { type: 'disconnect', reason: 'transport close' }],
      ],
      40,
      'offline',
      'Offline',
    ],
  ])('%s', (_, events, now, level, label) => {
    const ind = indicator(run(events), now, 1000, true);
    expect(ind.level).toBe(level);
    expect(ind.label).toBe(label);
  });

  it('does not claim a stall when nothing is expected (hidden tab)', () => {
    const s = run([
      [10, { type: 'connect' }],
      [20, { type: 'status', generator: 'up' }],
    ]);
    expect(indicator(s, 60_000, 1000, false).level).toBe('live');
  });

  it('forgets the generator status on disconnect until the broadcaster says it again', () => {
    const s = run([
      [10, { type: 'connect' }],
      [20, { type: 'status', generator: 'down' }],
      [30, { type: 'disconnect', reason: 'transport close' }],
      [40, { type: 'connect' }],
    ]);
    expect(s.generator).toBe('unknown');
    expect(indicator(s, 50, 1000, true).level).toBe('live');
  });

  it('shows the age of the last update', () => {
    const s = run([
      [10, { type: 'connect' }],
      [1000, { type: 'data' }],
    ]);
    expect(indicator(s, 3500, 1000, false).detail).toBe('updated 2.5\u00a0s ago');
    expect(indicator(initialConnection(0), 10, 1000, false).detail).toBe('no data yet');
  });

  it.each<[string, [number, ConnectionEvent][], number, boolean, boolean]>([
    [
      'forces a reconnect after 10 s of silence on a live subscription',
      [
        [0, { type: 'connect' }],
        [0, { type: 'status', generator: 'up' }],
        [1000, { type: 'data' }],
      ],
      11_001,
      true,
      true,
    ],
    [
      'waits while under 10 s',
      [
        [0, { type: 'connect' }],
        [0, { type: 'status', generator: 'up' }],
        [1000, { type: 'data' }],
      ],
      10_999,
      true,
      false,
    ],
    [
      'never while the generator is down (silence is expected)',
      [
        [0, { type: 'connect' }],
        [0, { type: 'status', generator: 'down' }],
      ],
      60_000,
      true,
      false,
    ],
    [
      'never without a subscription',
      [
        [0, { type: 'connect' }],
        [0, { type: 'status', generator: 'up' }],
      ],
      60_000,
      false,
      false,
    ],
    [
      'never while already reconnecting',
      [
        [0, { type: 'connect' }],
        [0, { type: 'status', generator: 'up' }],
        [5, { type: 'disconnect', reason: 'x' }],
      ],
      60_000,
      true,
      false,
    ],
  ])('watchdog %s', (_, events, now, expecting, expected) => {
    expect(shouldForceReconnect(run(events), now, 1000, expecting)).toBe(expected);
  });
});
