import { describe, expect, it } from 'vitest';
import { mergeNewest } from '../src/history-merge.js';

const rows = (source: string, ...ts: number[]) => ts.map((t) => ({ ts: t, source }));
const show = (r: { ts: number; source: string }[]) => r.map((x) => `${x.ts}${x.source}`);

describe('mergeNewest', () => {
  it.each([
    ['nothing stored', [[], [], []], 5, []],
    ['one source, under the limit', [[], [], rows('s', 1, 2, 3)], 5, ['1s', '2s', '3s']],
    ['one source, over the limit: the newest', [rows('a', 1, 2, 3, 4)], 2, ['3a', '4a']],
    [
      'staged ticks newer than samples (the usual case)',
      [rows('a', 7, 8), rows('f', 4, 5, 6), rows('s', 1, 2, 3)],
      10,
      ['1s', '2s', '3s', '4f', '5f', '6f', '7a', '8a'],
    ],
    [
      'the limit cuts across sources',
      [rows('a', 7, 8), rows('f', 4, 5, 6), rows('s', 1, 2, 3)],
      4,
      ['5f', '6f', '7a', '8a'],
    ],
    [
      'a fold mid-copy: the same tick in staging and samples counts once, staging wins',
      [[], rows('f', 4, 5, 6), rows('s', 1, 2, 3, 4, 5)],
      10,
      ['1s', '2s', '3s', '4f', '5f', '6f'],
    ],
    [
      'a tick written again after the clock went back: the active table wins',
      [rows('a', 2, 9), rows('f', 2, 5), rows('s', 1, 2)],
      10,
      ['1s', '2a', '5f', '9a'],
    ],
    [
      'duplicates do not use up the limit',
      [rows('a', 3, 4), [], rows('s', 1, 2, 3, 4)],
      3,
      ['2s', '3a', '4a'],
    ],
    ['a limit of zero', [rows('a', 1)], 0, []],
  ] as const)('%s', (_name, sources, limit, expected) => {
    expect(show(mergeNewest(sources as never, limit))).toEqual(expected);
  });

  it('does not modify its inputs', () => {
    const only = rows('s', 1, 2, 3);
    const out = mergeNewest([only], 10);
    out.pop();
    expect(only).toHaveLength(3);
  });
});
