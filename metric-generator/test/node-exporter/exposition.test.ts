import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ExpositionError,
  parseExposition,
  parseValue,
} from '../../src/node-exporter/exposition.js';
import { NODE_FAMILIES } from '../../src/node-exporter/node-reading.js';

/** A real answer of Debian's prometheus-node-exporter 1.5 with the five collectors asked for. */
const REAL = readFileSync(new URL('../fixtures/node-exporter-1.5.txt', import.meta.url), 'utf8');

describe('parseExposition', () => {
  it('reads a real node_exporter answer, keeping only the families asked for', () => {
    const families = parseExposition(REAL, NODE_FAMILIES);
    expect([...families.keys()].sort()).toEqual([...NODE_FAMILIES].sort());
    const cpu = families.get('node_cpu_seconds_total')!;
    expect(cpu.length % 8).toBe(0); // 8 modes per CPU on Linux
    expect(new Set(cpu.map((s) => s.labels.mode))).toContain('idle');
    const root = families
      .get('node_filesystem_size_bytes')!
      .find((s) => s.labels.mountpoint === '/');
    expect(root?.value).toBeGreaterThan(0);
    expect(families.get('node_load1')).toEqual([{ labels: {}, value: expect.any(Number) }]);
  });

  it('takes every line of the format: labels with escapes, timestamps, special values', () => {
    const text = [
      '# HELP m A metric with "quotes" and a \\\\ backslash.',
      '# TYPE m gauge',
      '# any other comment',
      'm{a="x\\"y",b="line\\nbreak",c="back\\\\slash",d="{,} =",} 1.5e+09 1700000000000',
      'm +Inf',
      'm -Inf',
      'm NaN',
      'm{} -0.25',
      '',
      'other 1',
    ].join('\n');
    const m = parseExposition(text, new Set(['m'])).get('m')!;
    expect(m[0]).toEqual({
      labels: { a: 'x"y', b: 'line\nbreak', c: 'back\\slash', d: '{,} =' },
      value: 1.5e9,
    });
    expect(m.slice(1).map((s) => s.value)).toEqual([Infinity, -Infinity, NaN, -0.25]);
  });

  it.each([
    ['a value that is not a number', 'node_load1 abc', /line 1: bad value "abc"/],
    ['hex', 'node_load1 0x10', /bad value/],
    ['no value', 'node_load1', /expected a space/],
    ['an unterminated label value', 'm{a="x} 1', /bad labels in "m\{a=\\"x\} 1"/],
    ['a bad escape', 'm{a="\\t"} 1', /bad labels/],
    ['a label without quotes', 'm{a=x} 1', /bad labels/],
    ['a label without a name', 'm{="x"} 1', /bad labels/],
    ['trailing text', 'm 1 2 3', /trailing text/],
    ['a bad timestamp', 'm 1 soon', /bad timestamp/],
    ['an HTML page', '<html><body>502 Bad Gateway</body></html>', /expected a metric name/],
    ['an unknown TYPE', '# TYPE m gauges', /unknown type/],
  ])('rejects %s, naming the line', (_what, text, message) => {
    expect(() => parseExposition(text, new Set(['m']))).toThrow(message);
    // Also when the bad line is in a family the caller drops, and on its own line number.
    const err = (() => {
      try {
        parseExposition(`ok 1\n${text}\n`, new Set());
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ExpositionError);
    expect((err as ExpositionError).line).toBe(2);
  });

  it('rejects a body cut in the middle of a line, even in a family it drops', () => {
    const cut = REAL.slice(0, REAL.indexOf('node_cpu_seconds_total{') + 30);
    expect(() => parseExposition(cut, new Set(['node_load1']))).toThrow(ExpositionError);
  });
});

describe('parseValue', () => {
  it.each([
    ['1', 1],
    ['-1.5', -1.5],
    ['2.70553174016e+11', 270553174016],
    ['.5', 0.5],
    ['1.', 1],
  ])('reads %s', (text, value) => expect(parseValue(text)).toBe(value));
  it.each(['', ' 1', '0x1f', 'Infinity', '1e', '--1', '1_000'])('rejects %j', (text) =>
    expect(parseValue(text)).toBeUndefined(),
  );
});
