/**
 * A strict parser of the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format), the body a
 * node_exporter serves on `/metrics`.
 *
 * Why not a package: the one on npm (`parse-prometheus-text-format`) builds an object per family
 * with every value as a string and skips lines it cannot read, so a truncated or garbled body
 * would pass as a smaller one. Here every line is checked (a bad line rejects the whole body:
 * a sample is never built from half an answer), and only the families the caller asks for are
 * kept.
 *
 * Why bytes: at 1,000 targets per generator a parse runs 1,000 times a second on the tick's
 * thread (issue 12, point 4). The parser reads the body's bytes as they came off the socket, one
 * pass, no decoding and no string or object for a line it drops; a line it keeps costs its label
 * values and the number. The grammar it checks is the one a single sticky regular expression per
 * line used to check, and a property test pins that (same families, same values, same rejected
 * bodies on the same line) against that expression, kept as the test's reference.
 */
export interface ExpositionSample {
  labels: Readonly<Record<string, string>>;
  value: number;
}

export class ExpositionError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'ExpositionError';
  }
}

const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const EMPTY: Readonly<Record<string, string>> = Object.freeze({});

/** Character classes by byte: bit 1 starts a metric name, 2 continues it, 4 starts a label name, 8 continues it. */
const CLASS = new Uint8Array(256);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  const alpha = /[a-zA-Z_]/.test(ch);
  const digit = /[0-9]/.test(ch);
  CLASS[c] =
    (alpha || ch === ':' ? 1 : 0) |
    (alpha || digit || ch === ':' ? 2 : 0) |
    (alpha ? 4 : 0) |
    (alpha || digit ? 8 : 0);
}
const NAME_START = 1;
const NAME_PART = 2;
const LABEL_START = 4;
const LABEL_PART = 8;

const NL = 10;
const SP = 32;
const TAB = 9;
const CR = 13;
const HASH = 35;
const QUOTE = 34;
const BACKSLASH = 92;
const isDigit = (c: number) => c >= 48 && c <= 57;
const isBlank = (c: number) => c === SP || c === TAB;

/** A float as Go's `strconv.FormatFloat` prints it, plus `+Inf`, `-Inf`, `NaN`. */
export function parseValue(text: string): number | undefined {
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

/** The wanted names grouped by byte length, compared byte by byte: no string per dropped line. */
interface Wanted {
  byLength: Map<number, Array<{ name: string; bytes: Uint8Array }>>;
}
const wantedCache = new WeakMap<ReadonlySet<string>, Wanted>();

function wantedOf(set: ReadonlySet<string>): Wanted {
  let w = wantedCache.get(set);
  if (w) return w;
  w = { byLength: new Map() };
  for (const name of set) {
    const bytes = Buffer.from(name, 'utf8');
    let list = w.byLength.get(bytes.length);
    if (!list) w.byLength.set(bytes.length, (list = []));
    list.push({ name, bytes });
  }
  wantedCache.set(set, w);
  return w;
}

function match(w: Wanted, buf: Uint8Array, start: number, end: number): string | undefined {
  const list = w.byLength.get(end - start);
  if (!list) return undefined;
  outer: for (const { name, bytes } of list) {
    // From the end: node_exporter's names share long prefixes.
    for (let i = bytes.length - 1; i >= 0; i--) {
      if (buf[start + i] !== bytes[i]) continue outer;
    }
    return name;
  }
  return undefined;
}

/** The text of bytes `start`–`end`: short ASCII (label names, most values) without a native call. */
function text(buf: Buffer, start: number, end: number): string {
  if (end - start <= 16) {
    let s = '';
    for (let i = start; i < end; i++) {
      const b = buf[i]!;
      if (b >= 0x80) return buf.toString('utf8', start, end);
      s += String.fromCharCode(b);
    }
    return s;
  }
  return buf.toString('utf8', start, end);
}

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * The number at bytes `start`–`end` (already checked against the grammar). Up to 15 digits and a
 * power of ten up to 22 it is one exact division or product of two exact doubles, hence correctly
 * rounded: the same double as `Number()` of the text (a property test pins it); longer or larger
 * ones go through `Number()`.
 */
function readValue(buf: Buffer, start: number, end: number): number {
  let i = start;
  let negative = false;
  if (buf[i] === 0x2b || buf[i] === 0x2d) negative = buf[i++] === 0x2d;
  const c = buf[i];
  if (c === 0x4e) return NaN;
  if (c === 0x49) return negative ? -Infinity : Infinity;
  let m = 0;
  let digits = 0;
  let scale = 0;
  let seenDot = false;
  for (; i < end; i++) {
    const b = buf[i]!;
    if (b === 0x2e) {
      seenDot = true;
      continue;
    }
    if (b === 0x65 || b === 0x45) break;
    if (digits > 0 || b !== 0x30) digits++;
    m = m * 10 + (b - 48);
    if (seenDot) scale--;
  }
  if (i < end) {
    i++;
    let expNegative = false;
    if (buf[i] === 0x2b || buf[i] === 0x2d) expNegative = buf[i++] === 0x2d;
    let exp = 0;
    for (; i < end && exp < 1000; i++) exp = exp * 10 + (buf[i]! - 48);
    if (i < end) return Number(buf.toString('latin1', start, end));
    scale += expNegative ? -exp : exp;
  }
  if (digits > 15 || scale < -22 || scale > 22) return Number(buf.toString('latin1', start, end));
  const v = scale < 0 ? m / POW10[-scale]! : m * POW10[scale]!;
  return negative ? -v : v;
}

function unescape(v: string): string {
  return v.includes('\\') ? v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)) : v;
}

/** Index of the `\n` ending the line at `at`, or `n`. */
function endOfLine(buf: Uint8Array, at: number, n: number): number {
  // A loop, not Buffer#indexOf: its call costs more than scanning a line of a few dozen bytes.
  const i = buf.indexOf(NL, at);
  return i === -1 ? n : i;
}

/**
 * Parses `body` (the bytes of the answer, or its text) and returns the samples of the families
 * named in `wanted` (other valid lines are checked and dropped). Throws `ExpositionError` naming
 * the first bad line.
 */
export function parseExposition(
  body: Uint8Array | string,
  wanted: ReadonlySet<string>,
): Map<string, ExpositionSample[]> {
  const buf =
    typeof body === 'string'
      ? Buffer.from(body, 'utf8')
      : Buffer.isBuffer(body)
        ? body
        : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const w = wantedOf(wanted);
  const out = new Map<string, ExpositionSample[]>();
  const n = buf.length;
  let at = 0;
  while (at < n) {
    const c = buf[at]!;
    if (c === NL) {
      at++;
      continue;
    }
    if (c === HASH) {
      at = checkComment(buf, at, n) + 1;
      continue;
    }
    // A sample line: name, optional labels, blanks, value, optional timestamp, blanks, newline.
    let i = at;
    let ok = (CLASS[c]! & NAME_START) !== 0;
    if (ok) {
      i++;
      while (i < n && CLASS[buf[i]!]! & NAME_PART) i++;
    }
    const nameEnd = i;
    const name = ok ? match(w, buf, at, nameEnd) : undefined;
    let labelsStart = -1;
    let labelsEnd = -1;
    if (ok && buf[i] === 0x7b /* { */) {
      i++;
      labelsStart = i;
      // (label ("," label)* ","?)? "}"
      while (true) {
        if (buf[i] === 0x7d /* } */) break;
        if (!(CLASS[buf[i] ?? 0]! & LABEL_START)) {
          ok = false;
          break;
        }
        i++;
        while (i < n && CLASS[buf[i]!]! & LABEL_PART) i++;
        if (buf[i] !== 0x3d /* = */ || buf[i + 1] !== QUOTE) {
          ok = false;
          break;
        }
        i += 2;
        while (i < n) {
          const b = buf[i]!;
          if (b === QUOTE || b === NL) break;
          if (b === BACKSLASH) {
            const e = buf[i + 1];
            if (e !== BACKSLASH && e !== QUOTE && e !== 0x6e /* n */) break;
            i += 2;
          } else i++;
        }
        if (buf[i] !== QUOTE) {
          ok = false;
          break;
        }
        i++;
        if (buf[i] === 0x2c /* , */) i++;
        else if (buf[i] !== 0x7d) {
          ok = false;
          break;
        }
      }
      labelsEnd = i;
      i++; // the }
    }
    let valueStart = -1;
    let valueEnd = -1;
    if (ok) {
      if (!isBlank(buf[i] ?? 0)) ok = false;
      else {
        while (isBlank(buf[i] ?? 0)) i++;
        valueStart = i;
        i = scanValue(buf, i, n);
        valueEnd = i;
        ok = i > valueStart;
      }
    }
    if (ok) {
      // Optional timestamp, then blanks, then the end of the line.
      let j = i;
      while (isBlank(buf[j] ?? 0)) j++;
      if (j > i) {
        let k = j;
        if (buf[k] === 0x2d /* - */) k++;
        const digits = k;
        while (isDigit(buf[k] ?? 0)) k++;
        if (k > digits) j = k;
        while (isBlank(buf[j] ?? 0)) j++;
      }
      if (j < n && buf[j] !== NL) ok = false;
      i = j;
    }
    if (!ok) {
      const end = endOfLine(buf, at, n);
      if (isBlankLine(buf, at, end)) {
        at = end + 1;
        continue;
      }
      throw new ExpositionError(explain(buf.toString('utf8', at, end)), lineOf(buf, at));
    }
    at = i + 1;
    if (name === undefined) continue;
    let list = out.get(name);
    if (!list) out.set(name, (list = []));
    list.push({
      labels: labelsStart < 0 ? EMPTY : readLabels(buf, labelsStart, labelsEnd),
      value: readValue(buf, valueStart, valueEnd),
    });
  }
  return out;
}

/**
 * End of the value at `i`: `[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?`, `[+-]?Inf` or
 * `NaN`, followed by a blank, a newline or the end (else `i`: no value).
 */
function scanValue(buf: Uint8Array, i: number, n: number): number {
  const start = i;
  if (buf[i] === 0x4e /* N */) {
    return buf[i + 1] === 0x61 && buf[i + 2] === 0x4e ? ended(buf, i + 3, n, start) : start;
  }
  if (buf[i] === 0x2b || buf[i] === 0x2d) i++; // + -
  if (buf[i] === 0x49 /* I */) {
    return buf[i + 1] === 0x6e && buf[i + 2] === 0x66 ? ended(buf, i + 3, n, start) : start;
  }
  const intStart = i;
  while (isDigit(buf[i] ?? 0)) i++;
  if (i > intStart) {
    if (buf[i] === 0x2e /* . */) {
      i++;
      while (isDigit(buf[i] ?? 0)) i++;
    }
  } else {
    if (buf[i] !== 0x2e || !isDigit(buf[i + 1] ?? 0)) return start;
    i++;
    while (isDigit(buf[i] ?? 0)) i++;
  }
  if (buf[i] === 0x65 || buf[i] === 0x45 /* e E */) {
    let j = i + 1;
    if (buf[j] === 0x2b || buf[j] === 0x2d) j++;
    const digits = j;
    while (isDigit(buf[j] ?? 0)) j++;
    // An exponent without digits is not part of the value (and what follows is then not blank).
    if (j > digits) i = j;
  }
  return ended(buf, i, n, start);
}

/** `j` if the value ends there (a blank, a newline or the end follows), else `start`. */
function ended(buf: Uint8Array, j: number, n: number, start: number): number {
  return j >= n || buf[j] === NL || isBlank(buf[j]!) ? j : start;
}

function readLabels(buf: Buffer, start: number, end: number): Record<string, string> {
  if (start === end) return EMPTY;
  const labels: Record<string, string> = {};
  let i = start;
  while (i < end) {
    const nameStart = i;
    while (buf[i] !== 0x3d) i++;
    const name = text(buf, nameStart, i);
    i += 2;
    const valueStart = i;
    let escaped = false;
    while (buf[i] !== QUOTE) {
      if (buf[i] === BACKSLASH) {
        escaped = true;
        i += 2;
      } else i++;
    }
    const raw = text(buf, valueStart, i);
    labels[name] = escaped ? unescape(raw) : raw;
    i++; // the closing quote
    if (buf[i] === 0x2c) i++;
  }
  return labels;
}

function isBlankLine(buf: Uint8Array, at: number, end: number): boolean {
  for (let i = at; i < end; i++) {
    const c = buf[i]!;
    if (c !== SP && c !== TAB && c !== CR) return false;
  }
  return true;
}

function lineOf(buf: Uint8Array, at: number): number {
  let line = 1;
  for (let i = 0; i < at; i++) if (buf[i] === NL) line++;
  return line;
}

const TYPE_WORDS = [...TYPES].map((t) => Buffer.from(t));

const startsWith = (buf: Uint8Array, at: number, word: Uint8Array) => {
  for (let k = 0; k < word.length; k++) if (buf[at + k] !== word[k]) return false;
  return true;
};

/**
 * `# HELP name …` and `# TYPE name type` must name a valid metric (and a known type); any other
 * `#` line is free text. Returns the index of the line's end.
 */
function checkComment(buf: Buffer, at: number, n: number): number {
  let i = at + 1;
  if (!isBlank(buf[i] ?? 0)) return endOfLine(buf, i, n);
  while (isBlank(buf[i] ?? 0)) i++;
  // HELP or TYPE
  const help = buf[i] === 0x48 && buf[i + 1] === 0x45 && buf[i + 2] === 0x4c && buf[i + 3] === 0x50;
  const isType =
    !help && buf[i] === 0x54 && buf[i + 1] === 0x59 && buf[i + 2] === 0x50 && buf[i + 3] === 0x45;
  if (!help && !isType) return endOfLine(buf, i, n);
  i += 4;
  if (!isBlank(buf[i] ?? 0)) return endOfLine(buf, i, n);
  while (isBlank(buf[i] ?? 0)) i++;
  const nameStart = i;
  // The name in one pass: its valid characters, then (only for a bad name) the rest of the word.
  let valid = i < n && (CLASS[buf[i]!]! & NAME_START) !== 0;
  if (valid) {
    i++;
    while (i < n && CLASS[buf[i]!]! & NAME_PART) i++;
  }
  if (i < n && buf[i] !== NL && !isBlank(buf[i]!)) {
    valid = false;
    while (i < n && buf[i] !== NL && !isBlank(buf[i]!)) i++;
  }
  const nameEnd = i;
  if (nameEnd === nameStart) return i;
  if (!valid) {
    const name = buf.toString('utf8', nameStart, nameEnd);
    const kind = help ? 'HELP' : 'TYPE';
    throw new ExpositionError(`bad metric name in # ${kind}: ${quote(name)}`, lineOf(buf, at));
  }
  if (help) return endOfLine(buf, i, n);
  while (isBlank(buf[i] ?? 0)) i++;
  // The usual case, `# TYPE name gauge` and the line's end, without a string.
  for (const t of TYPE_WORDS) {
    const after = i + t.length;
    if ((after === n || buf[after] === NL) && startsWith(buf, i, t)) return after;
  }
  // The slow path: white space around the type (trimmed), or an unknown type.
  const end = endOfLine(buf, i, n);
  const type = buf.toString('utf8', i, end);
  if (!TYPES.has(type.trim())) {
    throw new ExpositionError(
      `unknown type ${quote(type)} for ${buf.toString('utf8', nameStart, nameEnd)}`,
      lineOf(buf, at),
    );
  }
  return end;
}

const LABEL = String.raw`[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"`;

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
