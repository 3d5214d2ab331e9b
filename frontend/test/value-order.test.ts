import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { orderByValue } from '../src/value-order.js';

/** The order the table promised before the counting sort: a comparison sort. */
function reference(
  indices: Uint32Array,
  nameRank: Uint32Array,
  col: Float32Array,
  dir: 'asc' | 'desc',
): number[] {
  const sign = dir === 'asc' ? 1 : -1;
  return [...indices].sort((a, b) => {
    const va = col[a]!;
    const vb = col[b]!;
    const na = va !== va;
    const nb = vb !== vb;
    if (na || nb) return na === nb ? nameRank[a]! - nameRank[b]! : na ? 1 : -1;
    return va === vb ? nameRank[a]! - nameRank[b]! : sign * (va - vb);
  });
}

describe('orderByValue', () => {
  it('orders as the comparison sort does: by value, ties by name, never-reported last', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: undefined }), {
          minLength: 1,
          maxLength: 200,
        }),
        fc.integer(),
        fc.boolean(),
        fc.constantFrom('asc' as const, 'desc' as const),
        (hundredths, seed, subset, dir) => {
          const n = hundredths.length;
          // Frame values as the model stores them: hundredths in a Float32Array, NaN for none.
          const col = Float32Array.from(hundredths, (h) => (h === undefined ? NaN : h / 100));
          // Some name order that is not index order.
          const byName = Uint32Array.from({ length: n }, (_, r) => (r * 7 + (seed & 3)) % n);
          if (new Set(byName).size !== n) byName.forEach((_, r) => (byName[r] = n - 1 - r));
          const nameRank = new Uint32Array(n);
          byName.forEach((i, r) => (nameRank[i] = r));
          const all = Uint32Array.from({ length: n }, (_, i) => i);
          const indices = subset ? all.filter((i) => (i + seed) % 3 !== 0) : all;
          expect([...orderByValue(indices, byName, col, dir)]).toEqual(
            reference(indices, nameRank, col, dir),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps a value outside 0–100 at the end it belongs to', () => {
    const col = Float32Array.from([50, 120, -3]);
    const byName = Uint32Array.from([0, 1, 2]);
    const all = Uint32Array.from([0, 1, 2]);
    expect([...orderByValue(all, byName, col, 'desc')]).toEqual([1, 0, 2]);
    expect([...orderByValue(all, byName, col, 'asc')]).toEqual([2, 0, 1]);
  });
});
