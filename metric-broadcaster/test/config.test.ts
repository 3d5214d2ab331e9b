import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('uses the documented defaults when nothing is set', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3002,
      host: '127.0.0.1',
      generatorUrl: 'http://localhost:3001',
      pollIntervalMs: 1000,
      discoveryIntervalMs: 5000,
      generatorTimeoutMs: 1000,
      corsOrigins: [],
      logLevel: 'info',
      limits: {
        maxIdsPerSubscribe: 500,
        maxSubscriptionsPerSocket: 1000,
        maxMessageBytes: 65536,
        eventRatePerSecond: 20,
        eventBurst: 40,
        slowClientBufferBytes: 1048576,
      },
      directWrites: true,
    });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.limits)).toBe(true);
  });

  it('reads every variable and normalizes URLs and origins', () => {
    const c = loadConfig({
      PORT: '0',
      GENERATOR_URL: 'http://generator:3001/',
      POLL_INTERVAL_MS: '500',
      DISCOVERY_INTERVAL_MS: '2000',
      CORS_ORIGINS: ' https://dash.example.com , http://localhost:8080 ',
      LOG_LEVEL: 'warn',
      MAX_IDS_PER_SUBSCRIBE: '10',
      MAX_SUBSCRIPTIONS_PER_SOCKET: '20',
      EVENT_RATE_PER_SECOND: '5',
      EVENT_BURST: '5',
    });
    expect(c.port).toBe(0);
    expect(c.generatorUrl).toBe('http://generator:3001');
    expect(c.pollIntervalMs).toBe(500);
    expect(c.corsOrigins).toEqual(['https://dash.example.com', 'http://localhost:8080']);
    expect(c.limits.maxIdsPerSubscribe).toBe(10);
  });

  it('turns the direct write path off with DIRECT_WRITES=false and refuses anything but a switch', () => {
    expect(loadConfig({ DIRECT_WRITES: 'false' }).directWrites).toBe(false);
    expect(loadConfig({ DIRECT_WRITES: '1' }).directWrites).toBe(true);
    expect(() => loadConfig({ DIRECT_WRITES: 'maybe' })).toThrow(
      /DIRECT_WRITES: expected true or false/,
    );
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', CORS_ORIGINS: '' }).port).toBe(3002);
  });

  it('reports every bad variable at once, naming each', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'abc',
        GENERATOR_URL: 'ftp://x',
        POLL_INTERVAL_MS: '10',
        CORS_ORIGINS: 'https://ok.example,https://bad.example/path',
        LOG_LEVEL: 'loud',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual([
      'PORT: expected an integer 0–65535, got "abc"',
      'GENERATOR_URL: expected an http(s) URL such as http://localhost:3001, got "ftp://x"',
      'POLL_INTERVAL_MS: expected an integer 100–3600000 (milliseconds), got "10"',
      expect.stringMatching(/^CORS_ORIGINS: expected comma-separated origins/),
      'LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    ]);
    expect((error as Error).message).toContain('PORT: expected an integer 0–65535, got "abc"');
  });

  it('refuses limits that contradict each other', () => {
    expect(() => loadConfig({ EVENT_RATE_PER_SECOND: '50', EVENT_BURST: '10' })).toThrow(
      /EVENT_BURST: expected an integer ≥ EVENT_RATE_PER_SECOND/,
    );
    expect(() =>
      loadConfig({ MAX_IDS_PER_SUBSCRIBE: '100', MAX_SUBSCRIPTIONS_PER_SOCKET: '10' }),
    ).toThrow(/MAX_IDS_PER_SUBSCRIBE/);
  });
});
