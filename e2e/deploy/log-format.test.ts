import { describe, expect, it } from 'vitest';
import { formatLogLine, levelValue } from '../../scripts/lib/log-format.ts';

const options = { minLevel: 30, color: false, width: 11 };
const now = new Date('2026-11-22T07:00:00.000Z');

describe('formatLogLine', () => {
  it('prints a pino entry as time, name, level, message and fields', () => {
    const line = JSON.stringify({
      level: 30,
      time: Date.parse('2026-11-22T07:41:03.120Z'),
      pid: 1,
      hostname: 'h',
      module: 'http',
      port: 3001,
      msg: 'listening',
    });
    expect(formatLogLine('generator', line, options, now)).toBe(
      '07:41:03.120 generator   INFO  listening module=http port=3001',
    );
  });

  it('drops entries below the chosen level but never plain-text lines', () => {
    expect(formatLogLine('broadcaster', '{"level":20,"msg":"poll"}', options, now)).toBeUndefined();
    expect(
      formatLogLine('nginx', '2026/11/22 [warn] 1#1: limiting connections', options, now),
    ).toBe('07:00:00.000 nginx       2026/11/22 [warn] 1#1: limiting connections');
  });

  it('quotes values with spaces and indents an error stack under its line', () => {
    const line = JSON.stringify({
      level: 50,
      time: now.getTime(),
      msg: 'poll failed',
      reason: 'connect refused',
      err: { message: 'ECONNREFUSED', stack: 'Error: ECONNREFUSED\n    at x (y.js:1:1)' },
    });
    expect(formatLogLine('broadcaster', line, options, now)).toBe(
      '07:00:00.000 broadcaster ERROR poll failed reason="connect refused" err=ECONNREFUSED\n' +
        '    Error: ECONNREFUSED\n        at x (y.js:1:1)',
    );
  });

  it('skips blank lines', () => {
    expect(formatLogLine('nginx', '   ', options, now)).toBeUndefined();
  });
});

describe('levelValue', () => {
  it.each([
    ['info', 30],
    ['warn', 40],
    ['silent', Infinity],
    ['loud', undefined],
    [undefined, undefined],
  ])('%s → %s', (name, value) => {
    expect(levelValue(name)).toBe(value);
  });
});
