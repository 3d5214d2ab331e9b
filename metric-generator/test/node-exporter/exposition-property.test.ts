/**
 * The byte parser accepts exactly what the line-by-line regular expression accepted, keeps the
 * same samples, and rejects the same bodies naming the same line with the same message.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseExposition } from '../../src/node-exporter/exposition.js';
import { NODE_FAMILIES } from '../../src/node-exporter/node-reading.js';
import { referenceParse } from './exposition-reference.js';

const REAL = readFileSync(new URL('../fixtures/node-exporter-1.5.txt', import.meta.url), 'utf8');

type Outcome = { ok: true; value: unknown } | { ok: false; message: string };

function outcome(parse: () => Map<string, unknown>): Outcome {
  try {
    return { ok: true, value: [...parse()] };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

function agree(text: string, wanted: ReadonlySet<string>): void {
  const expected = outcome(() => referenceParse(text, wanted));
  expect(outcome(() => parseExposition(text, wanted))).toEqual(expected);
  expect(outcome(() => parseExposition(Buffer.from(text), wanted))).toEqual(expected);
}

const NAMES = ['m', 'node_load1', 'a:b_c', '_x9', 'Inf', 'NaN', '9m', 'm-x', ''];
const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);
const blanks = fc.stringMatching(/^[ \t]{0,2}$/);
const blanks1 = fc.stringMatching(/^[ \t]{1,2}$/);
const labelValue = fc.stringMatching(/^(?:[a-z0-9 ,{}=/é]|\\[\\"nt]|["\\])*$/, { maxLength: 8 });
const label = fc
  .tuple(pick(['a', 'device', 'mode', '_b1', '1x', '', 'a b']), labelValue)
  .map(([k, v]) => `${k}="${v}"`);
const labels = fc.oneof(
  fc.constant(''),
  fc
    .tuple(fc.array(label, { maxLength: 3 }), fc.boolean())
    .map(([ls, comma]) => `{${ls.join(',')}${comma ? ',' : ''}}`),
);
const value = fc.oneof(
  pick([
    '1',
    '-1.5',
    '.5',
    '1.',
    '2.70553174016e+11',
    '+Inf',
    '-Inf',
    'Inf',
    'NaN',
    '-0',
    '1e',
    'x',
  ]),
  fc.double({ noNaN: false }).map(String),
  fc.stringMatching(/^[+-]?[0-9.]{1,6}(?:[eE][+-]?[0-9]{0,3})?$/),
);
const sample = fc
  .tuple(
    pick(NAMES),
    labels,
    blanks1,
    value,
    fc.option(fc.tuple(blanks1, pick(['0', '-17', '1700000000000', 'soon', '-'])), {
      nil: undefined,
    }),
    blanks,
  )
  .map(([n, l, sp, v, ts, tail]) => `${n}${l}${sp}${v}${ts ? ts.join('') : ''}${tail}`);
const comment = fc
  .tuple(
    pick(['#', '# ', '#\t', '#  ']),
    pick(['HELP', 'TYPE', 'HELPx', 'help', '']),
    blanks,
    pick(NAMES),
    blanks,
    pick(['gauge', 'counter', 'untyped', 'gauges', '', 'text with "quotes"', 'summary ', '\r']),
  )
  .map((parts) => parts.join(''));
const blank = fc.stringMatching(/^[ \t\r]{0,3}$/);
/** A line, possibly with one character changed, inserted or removed. */
const line = fc
  .tuple(
    fc.oneof(sample, sample, comment, blank),
    fc.nat(),
    pick(['', '{', '}', '"', '\\', ' ', '\r', '#', 'e', ',', '=']),
    pick(['keep', 'insert', 'replace', 'delete']),
  )
  .map(([l, at, ch, how]) => {
    const i = l.length ? at % l.length : 0;
    if (how === 'insert') return l.slice(0, i) + ch + l.slice(i);
    if (how === 'replace') return l.slice(0, i) + ch + l.slice(i + 1);
    if (how === 'delete') return l.slice(0, i) + l.slice(i + 1);
    return l;
  });
const body = fc
  .tuple(fc.array(line, { maxLength: 6 }), fc.boolean())
  .map(([ls, nl]) => ls.join('\n') + (nl ? '\n' : ''));
const wanted = fc.subarray(NAMES).map((ns) => new Set(ns));

describe('the byte parser against the regular-expression reference', () => {
  it('agrees on generated bodies: near-valid lines with one character off', () => {
    fc.assert(
      fc.property(body, wanted, (text, w) => agree(text, w)),
      { numRuns: 5_000 },
    );
  });

  it('agrees on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40, unit: 'binary' }), wanted, (text, w) =>
        agree(text, w),
      ),
      { numRuns: 2_000 },
    );
  });

  it('agrees on the real body cut anywhere or with one byte changed', () => {
    fc.assert(
      fc.property(
        fc.nat(REAL.length),
        pick(['cut', ' ', '"', '{', '\n', 'x', '\\', '#']),
        (at, how) => {
          const text =
            how === 'cut' ? REAL.slice(0, at) : REAL.slice(0, at) + how + REAL.slice(at + 1);
          agree(text, NODE_FAMILIES);
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('reads every number as Number() does, to the last bit', () => {
    const numeric = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
      fc.stringMatching(
        /^[+-]?(?:[0-9]{1,20}\.?[0-9]{0,20}|\.[0-9]{1,20})(?:[eE][+-]?[0-9]{1,3})?$/,
      ),
    );
    fc.assert(
      fc.property(numeric, (v) => {
        const got = parseExposition(`m ${v}\n`, new Set(['m'])).get('m')![0]!.value;
        expect(Object.is(got, Number(v))).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });
});
