import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig({}, () => 7);
    expect(config).toEqual({
      port: 3001,
      host: '127.0.0.1',
      serverCount: 5,
      tickMs: 1000,
      dbPath: './data/metrics.db',
      retentionSeconds: 3600,
      seed: 7,
      seedFromEnv: false,
      logLevel: 'info',
      includeHost: false,
      historyWorkers: 2,
      historyQueueMax: 64,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '0',
      SERVER_COUNT: '100000',
      TICK_MS: '250',
      DB_PATH: ':memory:',
      RETENTION_SECONDS: '60',
      SEED: '4294967295',
      LOG_LEVEL: 'debug',
      INCLUDE_HOST: 'true',
    });
    expect(config).toMatchObject({
      port: 0,
      serverCount: 100_000,
      tickMs: 250,
      dbPath: ':memory:',
      retentionSeconds: 60,
      seed: 4294967295,
      seedFromEnv: true,
      logLevel: 'debug',
      includeHost: true,
    });
  });

  it('listens on loopback unless HOST says otherwise, and refuses a HOST that is no address', () => {
    expect(loadConfig({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect(problemsOf({ HOST: 'everywhere' })).toEqual([
      'HOST: expected an IP address to listen on, such as 127.0.0.1 (loopback only) or 0.0.0.0 (every interface), got "everywhere"',
    ]);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ SERVER_COUNT: '', SEED: '1' }).serverCount).toBe(5);
  });

  it('names the variable, what was expected and what it got', () => {
    expect(problemsOf({ SERVER_COUNT: 'abc' })).toEqual([
      'SERVER_COUNT: expected an integer 1–100000, got "abc"',
    ]);
  });

  it('reports every bad variable at once', () => {
    const problems = problemsOf({
      PORT: '70000',
      SERVER_COUNT: '0',
      TICK_MS: '1.5',
      RETENTION_SECONDS: '-1',
      SEED: 'x',
      LOG_LEVEL: 'loud',
      INCLUDE_HOST: 'maybe',
    });
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'PORT',
      'SERVER_COUNT',
      'TICK_MS',
      'RETENTION_SECONDS',
      'SEED',
      'LOG_LEVEL',
      'INCLUDE_HOST',
    ]);
    expect(problems).toContain('PORT: expected an integer 0–65535, got "70000"');
    expect(problems).toContain('SERVER_COUNT: expected an integer 1–100000, got "0"');
    expect(problems).toContain(
      'LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    );
  });

  it.each([
    ['SERVER_COUNT', '100001'],
    ['SERVER_COUNT', '1e3'],
    ['TICK_MS', '10'],
    ['PORT', ' '],
  ])('rejects %s=%j', (name, value) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name}: expected `));
  });

  it('puts every problem in the error message', () => {
    expect(() => loadConfig({ PORT: 'x', SEED: 'y' })).toThrow(/PORT: .*\n.*SEED: /);
  });
});
