import { describe, expect, it } from 'vitest';
import {
  BLOCK_CELL,
  gridLayout,
  MIN_SERVER_CELL,
  overviewLayout,
} from '../src/views/heat-grid-layout.js';

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

describe('overview layout', () => {
  it('keeps one square per server while squares of 5 px fit', () => {
    const l = overviewLayout(10_000, 1_000, 340);
    expect(l.blockSize).toBe(1);
    expect(l.cells).toBe(10_000);
    expect(l.cell).toBeGreaterThanOrEqual(MIN_SERVER_CELL);
    expect(l.rows * l.cell).toBeLessThanOrEqual(340);
  });

  it.each([
    { count: 100_000, width: 1_000, height: 340 },
    { count: 100_000, width: 330, height: 200 },
    { count: 30_000, width: 1_000, height: 340 },
  ])('groups $count servers in $width × $height px into round blocks that fit', (c) => {
    const l = overviewLayout(c.count, c.width, c.height);
    expect(l.blockSize).toBeGreaterThan(1);
    expect(l.cells).toBe(Math.ceil(c.count / l.blockSize));
    expect(l.cols * l.rows).toBeGreaterThanOrEqual(l.cells);
    expect(l.cols * l.cell).toBeLessThanOrEqual(c.width);
    expect(l.rows * l.cell).toBeLessThanOrEqual(c.height);
    expect(l.cell).toBeGreaterThanOrEqual(BLOCK_CELL);
  });

  it('at 100,000 servers on a desktop, a block is 50 servers', () => {
    expect(overviewLayout(100_000, 1_000, 340).blockSize).toBe(50);
  });
});
