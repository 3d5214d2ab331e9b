import { describe, expect, it } from 'vitest';
import { gridLayout } from '../src/views/heat-grid-layout.js';

describe('heat grid layout', () => {
  it.each([
    { count: 5, width: 1200, maxHeight: 360 },
    { count: 200, width: 1200, maxHeight: 360 },
    { count: 10_000, width: 1360, maxHeight: 360 },
    { count: 10_000, width: 350, maxHeight: 338 },
    { count: 100_000, width: 1360, maxHeight: 360 },
  ])(
    'fits $count servers in $width px with the largest cell it can',
    ({ count, width, maxHeight }) => {
      const { cell, cols, rows } = gridLayout(count, width, maxHeight);
      expect(cols * rows).toBeGreaterThanOrEqual(count);
      expect(cols * cell).toBeLessThanOrEqual(width);
      if (cell > 4) expect(rows * cell).toBeLessThanOrEqual(maxHeight);
      // One pixel larger would not fit (unless already at the largest cell).
      if (cell < 40) {
        const bigger = cell + 1;
        expect(Math.ceil(count / Math.floor(width / bigger)) * bigger).toBeGreaterThan(maxHeight);
      }
    },
  );

  it('never goes below 4 px a cell: a huge fleet grows taller instead', () => {
    const { cell, rows } = gridLayout(100_000, 1000, 200);
    expect(cell).toBe(4);
    expect(rows).toBe(400);
  });
});
