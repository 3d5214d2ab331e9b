/**
 * The exposition parser as it was before it read bytes (one sticky regular expression per line,
 * on the decoded text): the reference the byte parser must agree with, line for line
 * (exposition-property.test.ts). Test code only, and kept whole on purpose (its error messages
 * included, though exposition.ts words them the same way): a reference that shared code with what
 * it checks would agree with it by construction.
 */
import { ExpositionError, type ExpositionSample } from '../../src/node-exporter/exposition.js';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const EMPTY: Readonly<Record<string, string>> = Object.freeze({});

const VALUE = String.raw`[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?Inf|NaN`;
const LABEL = String.raw`[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"`;
/**
 * One whole sample line, matched where the previous one ended (sticky): name, the labels' text,
 * value, optional timestamp. One regular expression per line is what keeps a 24 KB body cheap:
 * irregexp checks it far faster than a hand-written loop of character tests.
 */
const SAMPLE = new RegExp(
  String.raw`([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:${LABEL})(?:,${LABEL})*,?)?\})?[ \t]+(${VALUE})(?:[ \t]+-?[0-9]+)?[ \t]*(?:\n|$)`,
  'y',
);
const LABEL_PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"/g;
const COMMENT = /#[ \t]+(HELP|TYPE)[ \t]+([^ \t\n]+)(?:[ \t]+([^\n]*))?/y;

/** A float as Go's `strconv.FormatFloat` prints it, plus `+Inf`, `-Inf`, `NaN`. */
function parseValue(text: string): number | undefined {
  switch (text) {
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
      return NaN;
  }
  // Number() also takes '', '0x1f', ' 1', 'Infinity': none is a valid exposition value.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

function unescape(v: string): string {
  return v.includes('\\') ? v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)) : v;
}

function parseLabelText(text: string | undefined): Record<string, string> {
  if (!text) return EMPTY;
  const labels: Record<string, string> = {};
  LABEL_PAIR.lastIndex = 0;
  for (let m = LABEL_PAIR.exec(text); m; m = LABEL_PAIR.exec(text)) labels[m[1]!] = unescape(m[2]!);
  return labels;
}

/**
 * Parses `text` and returns the samples of the families named in `wanted` (other valid lines are
 * checked and dropped). Throws `ExpositionError` naming the first bad line.
 */
export function referenceParse(
  text: string,
  wanted: ReadonlySet<string>,
): Map<string, ExpositionSample[]> {
  const out = new Map<string, ExpositionSample[]>();
  let at = 0;
  const n = text.length;
  while (at < n) {
    const c = text.charCodeAt(at);
    if (c === 10 /* \n */) {
      at++;
      continue;
    }
    if (c === 35 /* # */) {
      let end = text.indexOf('\n', at);
      if (end === -1) end = n;
      checkComment(text, at, end);
      at = end + 1;
      continue;
    }
    SAMPLE.lastIndex = at;
    const m = SAMPLE.exec(text);
    if (!m) {
      let end = text.indexOf('\n', at);
      if (end === -1) end = n;
      const line = text.slice(at, end);
      if (/^[ \t\r]*$/.test(line)) {
        at = end + 1;
        continue;
      }
      throw new ExpositionError(explain(line), lineOf(text, at));
    }
    at = SAMPLE.lastIndex;
    const name = m[1]!;
    if (!wanted.has(name)) continue;
    const value = parseValue(m[3]!)!;
    let list = out.get(name);
    if (!list) out.set(name, (list = []));
    list.push({ labels: parseLabelText(m[2]), value });
  }
  return out;
}

const lineOf = (text: string, at: number) => {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < at; i = text.indexOf('\n', i + 1)) line++;
  return line;
};

function checkComment(text: string, at: number, end: number): void {
  COMMENT.lastIndex = at;
  const m = COMMENT.exec(text);
  if (!m || COMMENT.lastIndex > end) return; // any other comment is free text
  if (!NAME.test(m[2]!)) {
    throw new ExpositionError(`bad metric name in # ${m[1]}: ${quote(m[2]!)}`, lineOf(text, at));
  }
  if (m[1] === 'TYPE' && !TYPES.has((m[3] ?? '').trim())) {
    throw new ExpositionError(`unknown type ${quote(m[3] ?? '')} for ${m[2]}`, lineOf(text, at));
  }
}

/** Why `line` is not a sample line (the slow path, for the error message only). */
function explain(line: string): string {
  const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
  if (!name) return `expected a metric name, got ${quote(line)}`;
  let i = name.length;
  if (line[i] === '{') {
    const labels = new RegExp(String.raw`^\{(?:(?:${LABEL})(?:,${LABEL})*,?)?\}`).exec(
      line.slice(i),
    );
    if (!labels) return `bad labels in ${quote(line)}`;
    i += labels[0].length;
  }
  if (line[i] !== ' ' && line[i] !== '\t') return `expected a space before the value of ${name}`;
  const rest = line
    .slice(i)
    .trim()
    .split(/[ \t]+/);
  if (parseValue(rest[0]!) === undefined) return `bad value ${quote(rest[0]!)} for ${name}`;
  if (rest.length > 2) return `trailing text after ${name}'s value`;
  return `bad timestamp ${quote(rest[1] ?? '')} for ${name}`;
}

const quote = (s: string) => JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);
