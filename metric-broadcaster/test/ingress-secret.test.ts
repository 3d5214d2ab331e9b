import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { createIngressCheck, INGRESS_SECRET_HEADER } from '../src/ingress-secret.js';
import {
  connectClient,
  counter,
  startBroadcaster,
  type RunningBroadcaster,
} from './helpers/harness.js';

const SECRET = 'a3f1c0ffee5eed5a1t0123456789abcd';

describe('createIngressCheck', () => {
  it('lets every handshake through when no secret is configured', () => {
    const check = createIngressCheck(undefined);
    expect(check({})).toBe(true);
    expect(check({ [INGRESS_SECRET_HEADER]: 'anything' })).toBe(true);
  });

  it('accepts exactly the configured secret', () => {
    const check = createIngressCheck(SECRET);
    expect(check({ [INGRESS_SECRET_HEADER]: SECRET })).toBe(true);
    expect(check({})).toBe(false);
    expect(check({ [INGRESS_SECRET_HEADER]: '' })).toBe(false);
    expect(check({ [INGRESS_SECRET_HEADER]: SECRET.slice(0, -1) })).toBe(false);
    expect(check({ [INGRESS_SECRET_HEADER]: `${SECRET}x` })).toBe(false);
    expect(check({ [INGRESS_SECRET_HEADER]: SECRET.toUpperCase() })).toBe(false);
  });
});

describe('INGRESS_SECRET', () => {
  it('is optional and must be long enough not to be guessed', () => {
    expect(loadConfig({}).ingressSecret).toBeUndefined();
    expect(loadConfig({ INGRESS_SECRET: SECRET }).ingressSecret).toBe(SECRET);
    expect(() => loadConfig({ INGRESS_SECRET: 'short' })).toThrow(ConfigError);
    expect(() => loadConfig({ INGRESS_SECRET: 'has spaces in it, sixteen+' })).toThrow(
      /INGRESS_SECRET: expected 16–256 visible ASCII characters/,
    );
  });
});

describe('a broadcaster behind a locked ingress', () => {
  let broadcaster: RunningBroadcaster;

  beforeAll(async () => {
    // No generator: the handshake does not depend on one.
    broadcaster = await startBroadcaster({
      GENERATOR_URL: 'http://127.0.0.1:9',
      INGRESS_SECRET: SECRET,
    });
  });
  afterAll(() => broadcaster?.close());

  it('refuses a direct handshake, with a wrong secret too, and counts the refusals', async () => {
    await expect(connectClient(broadcaster.url)).rejects.toThrow();
    await expect(
      connectClient(broadcaster.url, { [INGRESS_SECRET_HEADER]: 'not-the-secret-at-all' }),
    ).rejects.toThrow();
    expect(
      await counter(broadcaster.url, 'broadcaster_rejected_events_total', { reason: 'ingress' }),
    ).toBe(2);
  });

  it('accepts a handshake that carries the secret the ingress adds', async () => {
    const client = await connectClient(broadcaster.url, { [INGRESS_SECRET_HEADER]: SECRET });
    expect(client.connected).toBe(true);
    client.close();
  });

  it('keeps /healthz open for the launcher and health checks', async () => {
    expect((await fetch(`${broadcaster.url}/healthz`)).status).toBe(200);
  });
});
