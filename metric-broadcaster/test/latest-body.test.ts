import { describe, expect, it } from 'vitest';
import { sampleSchema } from '@metrics/protocol/schemas';
import { LatestBodyError, parseLatestBody } from '../src/latest-body.js';
import { sampleAt } from './helpers/sample.js';

const T = 1_800_000_000_000;
const iso = new Date(T).toISOString();
const line = (id: string, cpu = 12.5) =>
  `{"serverId":"${id}","timestamp":"${iso}","cpuPct":${cpu},"memPct":40,"diskPct":50.25,"netRxBps":1000,"netTxBps":2000,"load1":0.5}`;
const body = (lines: string[]) => `{"tick":${T},"samples":[\n${lines.join(',\n')}\n]}`;

describe('parseLatestBody', () => {
  it('splits the documented layout into samples, keeping each sample text as sent', () => {
    const lines = [line('server-1'), line('server-2', 99.9), line('host')];
    const parsed = parseLatestBody(body(lines), T);
    expect(parsed.tick).toBe(T);
    expect(parsed.samples.map((s) => s.serverId)).toEqual(['server-1', 'server-2', 'host']);
    expect(parsed.samples.map((s) => s.json)).toEqual(lines);
    expect(parsed.samples.every((s) => s.tick === T)).toBe(true);
    for (const s of parsed.samples) expect(sampleSchema.parse(JSON.parse(s.json))).toBeTruthy();
  });

  it('reads an empty answer (no known id asked for)', () => {
    expect(parseLatestBody(`{"tick":${T},"samples":[\n\n]}`)).toEqual({ tick: T, samples: [] });
    expect(parseLatestBody(`{"tick":${T},"samples":[\n]}`)).toEqual({ tick: T, samples: [] });
  });

  it('reads a sample of another tick from its own timestamp', () => {
    const older = line('server-1').replace(iso, new Date(T - 1000).toISOString());
    expect(parseLatestBody(body([older])).samples[0]!.tick).toBe(T - 1000);
  });

  it('falls back to JSON.parse for any other valid layout and re-serializes in Sample key order', () => {
    // Compact, and `timestamp` before `serverId`: not the layout the fast path splits.
    const { serverId, timestamp, ...metrics } = sampleAt('server-7', T);
    const compact = JSON.stringify({ samples: [{ timestamp, serverId, ...metrics }] });
    const parsed = parseLatestBody(compact, T);
    expect(parsed.tick).toBe(T);
    expect(parsed.samples[0]!.json).toBe(
      `{"serverId":"server-7","timestamp":"${iso}","cpuPct":1,"memPct":2,"diskPct":3,"netRxBps":4,"netTxBps":5,"load1":6}`,
    );
  });

  it('does not trust the fast path when the header tick disagrees or an id needs escaping', () => {
    const lines = [line('server-1')];
    expect(parseLatestBody(body(lines), T + 1000).tick).toBe(T); // slow path uses the body tick
    const escaped = body([line('server-1').replace('"server-1"', '"ser\\"ver"')]);
    const parsed = parseLatestBody(escaped);
    expect(parsed.samples[0]!.serverId).toBe('ser"ver');
    expect(JSON.parse(parsed.samples[0]!.json).serverId).toBe('ser"ver');
  });

  it.each([
    ['not JSON', 'oops'],
    ['no samples array', '{"tick":1}'],
    ['a sample with a wrong field', `{"samples":[{"serverId":"server-1"}]}`],
    ['truncated layout', `{"tick":${T},"samples":[\n${line('server-1')}`],
  ])('refuses %s', (_name, text) => {
    expect(() => parseLatestBody(text)).toThrow(LatestBodyError);
  });
});
