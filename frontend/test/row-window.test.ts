import { describe, expect, it } from 'vitest';
import {
  keyTarget,
  OVERSCAN,
  reorderPlan,
  revealScroll,
  ROW_HEIGHT,
  visibleRange,
} from '../src/views/row-window.js';

describe('visible range of the virtual table', () => {
  it('draws the rows under the viewport plus an overscan below when the table starts on screen', () => {
    // Body 300 px below the viewport top, 900 px tall viewport: 15 rows fit, plus the overscan.
    expect(visibleRange(300, 900, 10_000)).toEqual({ first: 0, last: 15 + OVERSCAN });
  });

  it('follows the scroll with an overscan on both sides', () => {
    // Scrolled 100 rows past the body's top.
    const { first, last } = visibleRange(-100 * ROW_HEIGHT, 900, 10_000);
    expect(first).toBe(100 - OVERSCAN);
    expect(last).toBe(100 + Math.ceil(900 / ROW_HEIGHT) + OVERSCAN);
  });

  it('never goes past the last row', () => {
    expect(visibleRange(-9_990 * ROW_HEIGHT, 900, 10_000).last).toBe(10_000);
    expect(visibleRange(0, 900, 5)).toEqual({ first: 0, last: 5 });
  });

  it('draws nothing for an empty table or one far below the viewport', () => {
    const empty = visibleRange(0, 900, 0);
    expect(empty.last - empty.first).toBeLessThanOrEqual(0);
    const below = visibleRange(5_000, 900, 100);
    expect(below.last - below.first).toBeLessThanOrEqual(0);
  });
});

describe('DOM order of the recycled rows', () => {
  const rows = ['a', 'b', 'c', 'd', 'e', 'f'];

  it('keeps the children when they are already in order', () => {
    expect(reorderPlan(rows, rows)).toEqual({ kind: 'keep' });
  });

  it('moves the first rows to the end after a short scroll down', () => {
    expect(reorderPlan(rows, ['c', 'd', 'e', 'f', 'a', 'b'])).toEqual({
      kind: 'head-to-end',
      count: 2,
    });
  });

  it('moves the last rows to the start after a short scroll up', () => {
    expect(reorderPlan(rows, ['f', 'a', 'b', 'c', 'd', 'e'])).toEqual({
      kind: 'tail-to-start',
      from: 5,
    });
  });

  it('replaces the children when the pool changed size or the order is not a rotation', () => {
    expect(reorderPlan(rows, [...rows, 'g'])).toEqual({ kind: 'replace' });
    expect(reorderPlan(rows, ['b', 'a', 'c', 'd', 'e', 'f'])).toEqual({ kind: 'replace' });
    expect(reorderPlan(rows, ['x', 'a', 'b', 'c', 'd', 'e'])).toEqual({ kind: 'replace' });
  });
});

describe('keyboard navigation between rows', () => {
  const page = Math.floor(900 / ROW_HEIGHT) - 2;

  it.each<[string, number, number]>([
    ['ArrowDown', 10, 11],
    ['ArrowUp', 10, 9],
    ['PageDown', 10, 10 + page],
    ['PageUp', 30, 30 - page],
    ['Home', 50, 0],
    ['End', 50, 99],
  ])('%s from row %d goes to row %d', (key, from, to) => {
    expect(keyTarget(key, from, 100, 900)).toBe(to);
  });

  it('stops at the first and the last row', () => {
    expect(keyTarget('ArrowUp', 0, 100, 900)).toBe(0);
    expect(keyTarget('ArrowDown', 99, 100, 900)).toBe(99);
    expect(keyTarget('PageUp', 3, 100, 900)).toBe(0);
  });

  it('pages by at least one row in a tiny window', () => {
    expect(keyTarget('PageDown', 0, 100, 50)).toBe(1);
  });

  it('ignores other keys, an empty table and a table without a focused row', () => {
    expect(keyTarget('Enter', 3, 100, 900)).toBeUndefined();
    expect(keyTarget('ArrowDown', 0, 0, 900)).toBeUndefined();
    expect(keyTarget('ArrowDown', -1, 100, 900)).toBeUndefined();
  });
});

describe('scrolling a focused row into view', () => {
  const head = 41;

  it('leaves a row alone when it is already in view', () => {
    expect(revealScroll(1_400, 1_000, 900, head)).toBeUndefined();
  });

  it('scrolls up so a row hidden under the sticky headers shows below them', () => {
    expect(revealScroll(1_050, 1_000, 900, head)).toBe(1_050 - head - 64);
  });

  it('scrolls down so a row below the viewport shows at its bottom', () => {
    expect(revealScroll(1_900, 1_000, 900, head)).toBe(1_900 + ROW_HEIGHT - 900 + 8);
  });
});
