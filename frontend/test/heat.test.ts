import { describe, expect, it } from 'vitest';
import { HEAT_RGBA, heatCss, heatIndex, parseColor } from '../src/heat.js';

const rgba = (packed: number) => [packed & 255, (packed >> 8) & 255, (packed >>> 16) & 255];

describe('heat scale', () => {
  it.each<[number, number]>([
    [0, 0],
    [37.24, 372],
    [100, 1000],
    [140, 1000],
    [-3, 0],
    [NaN, 0],
  ])('%d % → step %d', (pct, index) => expect(heatIndex(pct)).toBe(index));

  it('runs from calm teal to red, the packed and CSS forms agreeing', () => {
    expect(heatCss(0)).toBe('rgb(45 160 140)');
    expect(heatCss(100)).toBe('rgb(220 38 56)');
    expect(rgba(HEAT_RGBA[1000]!)).toEqual([220, 38, 56]);
    // Hotter is redder: from 60 % up the green channel only falls.
    for (let i = 600; i < 1000; i++) {
      const [, g0] = rgba(HEAT_RGBA[i]!);
      const [, g1] = rgba(HEAT_RGBA[i + 1]!);
      expect(g1!).toBeLessThanOrEqual(g0!);
    }
  });

  it.each<[string, [number, number, number]]>([
    ['#fff', [255, 255, 255]],
    ['#151b23', [21, 27, 35]],
    [' rgb(1 2 3) ', [1, 2, 3]],
    ['rgba(10, 20, 30, 0.5)', [10, 20, 30]],
    ['transparent', [0, 0, 0]],
  ])('reads theme colour %s', (css, rgb) => expect(parseColor(css)).toEqual(rgb));
});
