import { describe, expect, it } from 'vitest';
import {
  binTitle,
  blockTip,
  gridCaption,
  gridLabel,
  histogramLabel,
  hotText,
  rangeText,
  serverTip,
} from '../src/views/heat-text.js';

const ids = Array.from({ length: 100_000 }, (_, i) => `server-${i + 1}`);

describe('heat map wording', () => {
  it('names a block by its first and last server', () => {
    expect(rangeText('server-151', 'server-200')).toBe('server-151 … server-200');
    expect(rangeText('server-7', 'server-7')).toBe('server-7');
  });

  it('reads a block: range, hottest, stale, what a click does', () => {
    expect(
      blockTip({
        first: 'server-151',
        last: 'server-200',
        servers: 50,
        counted: 50,
        stale: 3,
        hottest: 'server-187',
        hottestValue: 97.24,
        metric: 'CPU',
      }),
    ).toBe(
      'server-151 … server-200 (50 servers) · hottest server-187 CPU 97.2\u00a0% · 3 stale · click to zoom in',
    );
    expect(
      blockTip({
        first: 'server-1',
        last: 'server-50',
        servers: 50,
        counted: 4,
        stale: 4,
        hottest: undefined,
        hottestValue: NaN,
        metric: 'Disk',
      }),
    ).toBe(
      'server-1 … server-50 (50 servers) · 4 match the filter · no live data · 4 stale · click to zoom in',
    );
  });

  it('reads a server', () => {
    expect(serverTip('server-3', 10, 20.55, 30, true)).toBe(
      'server-3 · CPU 10.0\u00a0% · mem 20.6\u00a0% · disk 30.0\u00a0% · stale',
    );
  });

  it('says what a square is and where the zoom is', () => {
    expect(gridCaption(ids, { start: 0, end: 100_000 }, 100_000, 50, 1)).toMatch(
      /^Each square is 50 servers in name order, coloured by the hottest/,
    );
    expect(gridCaption(ids, { start: 150, end: 200 }, 100_000, 1, 2)).toMatch(
      /^Zoomed in: server-151 … server-200, 50 of 100,000 servers\. One square per server/,
    );
    expect(gridCaption([], { start: 0, end: 0 }, 0, 1, 1)).toBe('Waiting for the server list…');
    expect(gridLabel(100_000, 50, 'CPU')).toMatch(
      /^Heat map of 100,000 servers by CPU, one square per block of 50 servers/,
    );
  });

  it('gives the histogram a headline, a name and bar titles', () => {
    const bins = new Uint32Array(20);
    bins[8] = 70_000;
    bins[19] = 1_234;
    expect(hotText(1_234, 71_234, 90)).toBe('1,234 of 71,234 at ≥ 90 %');
    expect(hotText(0, 0, 90)).toBe('no live data');
    expect(histogramLabel('CPU', bins, 71_234, 'x')).toBe(
      'Distribution of CPU over 71,234 live servers: x; most (70,000) between 40 and 45 %',
    );
    expect(binTitle(19, 20, 1)).toBe('95–100 %: 1 server');
    expect(binTitle(0, 20, 1_000)).toBe('0–5 %: 1,000 servers');
  });
});
