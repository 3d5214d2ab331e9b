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
      exporterTargets: [],
      exporterTargetsFile: undefined,
      exporterTimeoutMs: 250,
      exporterMount: '/',
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

  describe('real servers (NODE_EXPORTER_*)', () => {
    it('reads the targets, their URLs with the collectors a sample needs', () => {
      const config = loadConfig({
        NODE_EXPORTER_TARGETS:
          'this=127.0.0.1:9100, db-1.eu=https://db1.example.com:9443/node/metrics',
        NODE_EXPORTER_TARGETS_FILE: '/etc/targets.json',
        NODE_EXPORTER_TIMEOUT_MS: '300',
        NODE_EXPORTER_MOUNT: '/srv',
      });
      const collect =
        'collect%5B%5D=cpu&collect%5B%5D=meminfo&collect%5B%5D=loadavg&collect%5B%5D=filesystem&collect%5B%5D=netdev';
      expect(config.exporterTargets).toEqual([
        { id: 'this', url: `http://127.0.0.1:9100/metrics?${collect}`, labels: {} },
        { id: 'db-1.eu', url: `https://db1.example.com:9443/node/metrics?${collect}`, labels: {} },
      ]);
      expect(config).toMatchObject({
        exporterTargetsFile: '/etc/targets.json',
        exporterTimeoutMs: 300,
        exporterMount: '/srv',
      });
    });

    it('allows SERVER_COUNT=0 only beside real targets', () => {
      expect(loadConfig({ SERVER_COUNT: '0', NODE_EXPORTER_TARGETS: 'a=h:1' }).serverCount).toBe(0);
      expect(
        loadConfig({ SERVER_COUNT: '0', NODE_EXPORTER_TARGETS_FILE: 'f.json' }).serverCount,
      ).toBe(0);
      expect(problemsOf({ SERVER_COUNT: '0' })).toEqual([
        'SERVER_COUNT: expected an integer 1–100000, got "0"',
      ]);
    });

    it.each([
      ['web1', 'entry "web1": expected name=host:port'],
      ['=h:9100', 'entry "=h:9100": expected name=host:port'],
      ['a=h', 'entry "a=h": expected host:port or an http(s) URL, got "h"'],
      ['a=h:99999', 'bad host or port'],
      ['a=ftp://h:21/x', 'expected host:port or an http(s) URL'],
      ['server-3=h:9100', 'reserved for the simulated fleet'],
      ['host=h:9100', 'reserved for the simulated fleet'],
      ['a b=h:9100', 'must be 1–64 letters'],
      ['a=h:1,a=h:2', 'name "a" given twice'],
      ['a=http://u:p@h:1/', 'credentials in the URL are not supported'],
    ])('rejects NODE_EXPORTER_TARGETS=%j, naming the variable and the entry', (value, message) => {
      const problems = problemsOf({ NODE_EXPORTER_TARGETS: value });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(
        /^NODE_EXPORTER_TARGETS: expected comma-separated name=host:port/,
      );
      expect(problems[0]).toContain(message);
      expect(problems[0]).toContain(`got ${JSON.stringify(value)}`);
    });

    it('lists every bad entry at once', () => {
      const [problem] = problemsOf({ NODE_EXPORTER_TARGETS: 'ok=h:1,bad1,x=y' });
      expect(problem).toContain('entry "bad1"');
      expect(problem).toContain('entry "x=y"');
    });
  });
});
