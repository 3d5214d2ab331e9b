import { describe, expect, it } from 'vitest';
import { parseFileSd, scrapeUrl, TargetError } from '../../src/node-exporter/targets.js';

const COLLECT =
  'collect%5B%5D=cpu&collect%5B%5D=meminfo&collect%5B%5D=loadavg&collect%5B%5D=filesystem&collect%5B%5D=netdev';

describe('scrapeUrl', () => {
  it.each([
    ['127.0.0.1:9100', `http://127.0.0.1:9100/metrics?${COLLECT}`],
    ['[::1]:9100', `http://[::1]:9100/metrics?${COLLECT}`],
    ['http://h:9100', `http://h:9100/metrics?${COLLECT}`],
    ['https://h:9443/', `https://h:9443/?${COLLECT}`],
    ['http://h:1/custom?x=1', `http://h:1/custom?x=1&${COLLECT}`],
    // The user's own choice of collectors wins.
    ['http://h:1/metrics?collect[]=cpu', 'http://h:1/metrics?collect[]=cpu'],
  ])('%s → %s', (address, url) => expect(scrapeUrl(address)).toBe(url));

  it.each(['h', 'h:', ':9100', 'h:9100/metrics', 'h:0', 'ftp://h:1'])('rejects %j', (address) =>
    expect(() => scrapeUrl(address)).toThrow(TargetError),
  );
});

describe('parseFileSd', () => {
  it('names single-target groups by their name label, others by host; keeps the labels', () => {
    const { targets, skipped } = parseFileSd(
      JSON.stringify([
        { targets: ['10.0.0.5:9100'], labels: { name: 'db-1', role: 'db', region: 'eu' } },
        { targets: ['web1.example.com:9100', 'web2.example.com:9100'], labels: { role: 'web' } },
        {
          targets: ['secure:9443'],
          labels: { name: 'sec', __scheme__: 'https', __metrics_path__: '/node', __meta_x: 'y' },
        },
      ]),
    );
    expect(skipped).toEqual([]);
    expect(targets).toEqual([
      {
        id: 'db-1',
        url: `http://10.0.0.5:9100/metrics?${COLLECT}`,
        labels: { role: 'db', region: 'eu' },
      },
      {
        id: 'web1.example.com',
        url: `http://web1.example.com:9100/metrics?${COLLECT}`,
        labels: { role: 'web' },
      },
      {
        id: 'web2.example.com',
        url: `http://web2.example.com:9100/metrics?${COLLECT}`,
        labels: { role: 'web' },
      },
      { id: 'sec', url: `https://secure:9443/node?${COLLECT}`, labels: {} },
    ]);
  });

  it('skips bad entries with the reason and keeps the rest', () => {
    const { targets, skipped } = parseFileSd(
      JSON.stringify([
        { targets: ['a:1'], labels: { name: 'taken' } },
        { targets: ['b:1'], labels: { name: 'server-2' } },
        { targets: ['nope'], labels: { name: 'c' } },
        { targets: 'x:1' },
        { targets: ['d:1'], labels: { name: 'd', n: 5 } },
        { targets: ['e:1', 'e:2'] },
        { targets: ['ok:1'], labels: { name: 'ok' } },
      ]),
      new Set(['taken']),
    );
    expect(targets.map((t) => t.id)).toEqual(['e', 'ok']);
    expect(skipped).toHaveLength(6);
    expect(skipped.join('\n')).toMatch(/name "taken" taken/);
    expect(skipped.join('\n')).toMatch(/reserved for the simulated fleet/);
    expect(skipped.join('\n')).toMatch(/group 5 target "e:2": name "e" taken/);
  });

  it.each([
    ['not JSON', '[{', /not JSON/],
    ['not a list', '{"targets":[]}', /expected a JSON array/],
  ])('rejects a document that is %s', (_what, text, message) =>
    expect(() => parseFileSd(text)).toThrow(message),
  );
});
