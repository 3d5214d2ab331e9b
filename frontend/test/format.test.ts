import { describe, expect, it } from 'vitest';
import { formatAge, formatLoad, formatPct, formatRange, formatRate } from '../src/format.js';

const sp = (s: string) => s.replace(/\u00a0/g, ' ');

describe('formatting', () => {
  it.each<[number, string]>([
    [0, '0 B/s'],
    [950, '950 B/s'],
    [999.6, '1.00 KB/s'],
    [182_340, '182 KB/s'],
    [90_211, '90.2 KB/s'],
    [1_250_000, '1.25 MB/s'],
    [12_500_000_000, '12.5 GB/s'],
    [-5, '0 B/s'],
  ])('rate %d → %s', (v, s) => expect(sp(formatRate(v))).toBe(s));

  it.each<[number, string]>([
    [37.24, '37.2 %'],
    [100, '100.0 %'],
    [NaN, '—'],
  ])('percent %d → %s', (v, s) => expect(sp(formatPct(v))).toBe(s));

  it.each<[number, string]>([
    [400, '0.4 s'],
    [12_400, '12 s'],
    [180_000, '3 min'],
    [7_200_000, '2 h'],
  ])('age %d ms → %s', (v, s) => expect(sp(formatAge(v))).toBe(s));

  it('shows a dash for anything missing', () => {
    expect(formatRate(undefined)).toBe('—');
    expect(formatLoad(null)).toBe('—');
    expect(formatLoad(1.234)).toBe('1.23');
  });

  it.each<[string, string, string]>([
    [formatRate(4_730_000), formatRate(13_200_000), '4.73–13.2 MB/s'],
    [formatRate(950), formatRate(13_200), '950 B/s–13.2 KB/s'],
    [formatPct(58.3), formatPct(95), '58.3–95.0 %'],
    [formatLoad(1.2), formatLoad(3), '1.20–3.00'],
  ])('range %s, %s → %s', (low, high, s) => expect(sp(formatRange(low, high))).toBe(s));
});
