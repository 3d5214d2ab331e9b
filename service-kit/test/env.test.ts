import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, integer, listenHost, logLevel, parseEnv } from '../src/env.js';

const VARS = {
  PORT: { schema: integer(0, 65_535, 'an integer 0–65535'), fallback: '3000' },
  SEED: { schema: integer(0, 9, 'an integer 0–9'), fallback: undefined },
  LOG_LEVEL: { schema: logLevel, fallback: 'info' },
  FLAG: {
    schema: z.enum(['on', 'off'], 'on or off').transform((v) => v === 'on'),
    fallback: 'off',
  },
} as const;

const problemsOf = (env: Record<string, string>) => {
  try {
    parseEnv(VARS, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
};

describe('parseEnv', () => {
  it('applies the fallbacks, leaving a variable without one undefined', () => {
    expect(parseEnv(VARS, {})).toEqual({
      PORT: 3000,
      SEED: undefined,
      LOG_LEVEL: 'info',
      FLAG: false,
    });
  });

  it('parses every variable given, trimming integers', () => {
    expect(parseEnv(VARS, { PORT: ' 0 ', SEED: '9', LOG_LEVEL: 'debug', FLAG: 'on' })).toEqual({
      PORT: 0,
      SEED: 9,
      LOG_LEVEL: 'debug',
      FLAG: true,
    });
  });

  it('treats an empty variable as unset', () => {
    expect(parseEnv(VARS, { PORT: '', SEED: '' })).toMatchObject({ PORT: 3000, SEED: undefined });
  });

  it('reads only the variables it was given', () => {
    const read: string[] = [];
    const env = new Proxy({} as Record<string, string | undefined>, {
      get: (_target, name) => (read.push(String(name)), undefined),
    });
    parseEnv(VARS, env);
    expect([...new Set(read)]).toEqual(['PORT', 'SEED', 'LOG_LEVEL', 'FLAG']);
  });

  it.each([
    ['abc', 'PORT: expected an integer 0–65535, got "abc"'],
    ['1.5', 'PORT: expected an integer 0–65535, got "1.5"'],
    ['-1', 'PORT: expected an integer 0–65535, got "-1"'],
    ['70000', 'PORT: expected an integer 0–65535, got "70000"'],
  ])('says what was expected and what it got (PORT=%s)', (port, problem) => {
    expect(problemsOf({ PORT: port })).toEqual([problem]);
  });

  it('reports every bad variable at once, in table order', () => {
    expect(problemsOf({ FLAG: 'maybe', LOG_LEVEL: 'loud', PORT: 'x' })).toEqual([
      'PORT: expected an integer 0–65535, got "x"',
      'LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"',
      'FLAG: expected on or off, got "maybe"',
    ]);
  });
});

describe('ConfigError', () => {
  it('lists one problem per line by default', () => {
    const err = new ConfigError(['A: expected a, got "b"', 'C: expected c, got "d"']);
    expect(err.message).toBe(
      'invalid configuration:\n  A: expected a, got "b"\n  C: expected c, got "d"',
    );
    expect(err.name).toBe('ConfigError');
  });

  it('keeps the problems when given its own message', () => {
    const err = new ConfigError(['A: x'], 'bad: A: x');
    expect(err.message).toBe('bad: A: x');
    expect(err.problems).toEqual(['A: x']);
  });
});

describe('listenHost', () => {
  it.each(['127.0.0.1', '0.0.0.0', '::1', '::', 'localhost', ' 10.0.0.5 '])('accepts %j', (v) => {
    expect(listenHost.safeParse(v).success).toBe(true);
  });

  it.each(['', 'example.com', '127.0.0.256', '0.0.0.0:80', 'any'])('refuses %j', (v) => {
    expect(listenHost.safeParse(v).success).toBe(false);
  });

  it('says what was expected', () => {
    expect(() =>
      parseEnv({ HOST: { schema: listenHost, fallback: '127.0.0.1' } }, { HOST: 'x' }),
    ).toThrow(/HOST: expected an IP address to listen on, such as 127.0.0.1/);
  });
});
