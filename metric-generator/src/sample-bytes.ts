import type { SampleColumns } from './simulation.js';

/**
 * Serializes a tick's samples straight into one Buffer of JSON, the exact bytes that
 * `JSON.stringify` of each sample object (keys in `Sample` order) would give.
 *
 * Why bytes and not strings: building 100,000 template strings per tick, joining them and
 * encoding the result to UTF-8 for the socket cost ~450 ms a tick at 100,000 servers here (GC
 * included); writing ASCII bytes into one buffer costs about a third of that. Numbers are the
 * main cost of JSON, and the simulation rounds every percentage to 0.1 and load to 0.01, so those
 * come from precomputed digit tables (`k / 10` and `k / 100` as `String()` prints them); byte
 * rates are integers, written digit by digit. Any other value (e.g. a real host reading outside
 * the tables) falls back to `String(v)`, which is what JSON.stringify prints for a finite number.
 */

interface DigitTable {
  scale: number;
  size: number;
  offsets: Int32Array;
  bytes: Uint8Array;
}

function digitTable(scale: number, size: number): DigitTable {
  const strings = Array.from({ length: size }, (_, k) => String(k / scale));
  const offsets = new Int32Array(size + 1);
  let n = 0;
  strings.forEach((s, k) => {
    offsets[k] = n;
    n += s.length;
  });
  offsets[size] = n;
  return { scale, size, offsets, bytes: Buffer.from(strings.join(''), 'latin1') };
}

/** 0, 0.1 … 100 (percentages). */
const TENTHS = digitTable(10, 1_001);
/** 0, 0.01 … 500 (load averages). */
const HUNDREDTHS = digitTable(100, 50_001);

const ascii = (s: string) => Buffer.from(s, 'latin1');
const KEY_CPU = ascii(',"cpuPct":');
const KEY_MEM = ascii(',"memPct":');
const KEY_DISK = ascii(',"diskPct":');
const KEY_RX = ascii(',"netRxBps":');
const KEY_TX = ascii(',"netTxBps":');
const KEY_LOAD = ascii(',"load1":');
const KEYS_LENGTH = [KEY_CPU, KEY_MEM, KEY_DISK, KEY_RX, KEY_TX, KEY_LOAD].reduce(
  (n, k) => n + k.length,
  1, // the closing brace
);
/** `String(v)` of any double is at most 24 characters (e.g. -2.2250738585072014e-308). */
const MAX_NUMBER = 24;
const SEPARATOR = 2; // ",\n"

function copy(out: Uint8Array, at: number, src: Uint8Array, from: number, to: number): number {
  let o = at;
  for (let i = from; i < to; i++) out[o++] = src[i]!;
  return o;
}

function writeDecimal(out: Buffer, at: number, v: number, t: DigitTable): number {
  const k = Math.round(v * t.scale);
  if (k >= 0 && k < t.size && k / t.scale === v) {
    return copy(out, at, t.bytes, t.offsets[k]!, t.offsets[k + 1]!);
  }
  return at + out.write(String(v), at, 'latin1');
}

function writeInteger(out: Buffer, at: number, v: number): number {
  if (!(v >= 0 && v < 1e15 && Math.floor(v) === v)) return at + out.write(String(v), at, 'latin1');
  let digits = 1;
  for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
  let x = v;
  for (let i = at + digits - 1; i >= at; i--) {
    const q = Math.floor(x / 10);
    out[i] = 48 + (x - q * 10);
    x = q;
  }
  return at + digits;
}

/** The per-server constant start of each sample, `{"serverId":"…","timestamp":`, as bytes. */
export interface SamplePrefixes {
  bytes: Buffer;
  /** Byte offsets of slot i's prefix: `offsets[i] … offsets[i + 1]`. */
  offsets: Int32Array;
}

export function samplePrefixes(ids: readonly string[]): SamplePrefixes {
  const parts = ids.map((id) => `{"serverId":${JSON.stringify(id)},"timestamp":`);
  const bytes = Buffer.from(parts.join(''), 'utf8');
  const offsets = new Int32Array(ids.length + 1);
  let n = 0;
  parts.forEach((p, i) => {
    offsets[i] = n;
    n += Buffer.byteLength(p);
  });
  offsets[ids.length] = n;
  return { bytes, offsets };
}

export interface SerializedTick {
  /** `head`, the samples joined by ",\n", then `tail`. */
  body: Buffer;
  /** Byte range of slot i's sample object in `body`. */
  starts: Int32Array;
  ends: Int32Array;
}

/** Room for one sample of `prefixes`' slot `i` with timestamp bytes `ts`, separator included. */
const roomFor = (prefixes: SamplePrefixes, i: number, ts: Uint8Array) =>
  prefixes.offsets[i + 1]! -
  prefixes.offsets[i]! +
  ts.length +
  KEYS_LENGTH +
  6 * MAX_NUMBER +
  SEPARATOR;

/** Writes slot `i`'s sample object at `o`; returns the offset after it. */
function writeSample(
  out: Buffer,
  o: number,
  i: number,
  prefixes: SamplePrefixes,
  ts: Uint8Array,
  columns: SampleColumns,
): number {
  const { cpuPct, memPct, diskPct, netRxBps, netTxBps, load1 } = columns;
  o = copy(out, o, prefixes.bytes, prefixes.offsets[i]!, prefixes.offsets[i + 1]!);
  o = copy(out, o, ts, 0, ts.length);
  o = copy(out, o, KEY_CPU, 0, KEY_CPU.length);
  o = writeDecimal(out, o, cpuPct[i]!, TENTHS);
  o = copy(out, o, KEY_MEM, 0, KEY_MEM.length);
  o = writeDecimal(out, o, memPct[i]!, TENTHS);
  o = copy(out, o, KEY_DISK, 0, KEY_DISK.length);
  o = writeDecimal(out, o, diskPct[i]!, TENTHS);
  o = copy(out, o, KEY_RX, 0, KEY_RX.length);
  o = writeInteger(out, o, netRxBps[i]!);
  o = copy(out, o, KEY_TX, 0, KEY_TX.length);
  o = writeInteger(out, o, netTxBps[i]!);
  o = copy(out, o, KEY_LOAD, 0, KEY_LOAD.length);
  o = writeDecimal(out, o, load1[i]!, HUNDREDTHS);
  out[o++] = 125; // }
  return o;
}

/**
 * Writes `head`, the first `count` samples of `columns` (one JSON object each, joined by ",\n")
 * and `tail` into a new Buffer. A slot whose `cpuPct` is NaN has no sample: it is left out and
 * its range is empty (`starts[i] === ends[i]`). A new buffer per call: a response still being
 * written to a slow socket keeps referring to the previous one.
 */
export function serializeTick(
  head: string,
  tail: string,
  timestamp: string,
  prefixes: SamplePrefixes,
  columns: SampleColumns,
  count: number,
): SerializedTick {
  const ts = ascii(JSON.stringify(timestamp));
  const perSample = ts.length + KEYS_LENGTH + 6 * MAX_NUMBER + SEPARATOR;
  const out = Buffer.allocUnsafe(
    head.length + tail.length + prefixes.offsets[count]! + count * perSample,
  );
  const starts = new Int32Array(count);
  const ends = new Int32Array(count);
  const { cpuPct } = columns;
  let o = out.write(head, 0, 'latin1');
  let written = 0;
  for (let i = 0; i < count; i++) {
    if (Number.isNaN(cpuPct[i]!)) {
      // No sample this tick (a real server that did not answer): an empty range, no bytes.
      starts[i] = o;
      ends[i] = o;
      continue;
    }
    if (written++ > 0) {
      out[o++] = 44; // ,
      out[o++] = 10; // \n
    }
    starts[i] = o;
    o = writeSample(out, o, i, prefixes, ts, columns);
    ends[i] = o;
  }
  o += out.write(tail, o, 'latin1');
  return { body: out.subarray(0, o), starts, ends };
}

/**
 * The samples of `slots` only, in that order, between `head` and `tail`: the same bytes as the
 * matching ranges of `serializeTick`'s body joined by ",\n". Slots without a sample (NaN
 * `cpuPct`) are skipped. Costs what the asked slots cost, not what the tick's fleet costs.
 */
export function serializeSlots(
  head: string,
  tail: string,
  timestamp: string,
  prefixes: SamplePrefixes,
  columns: SampleColumns,
  slots: readonly number[],
): Buffer {
  const ts = ascii(JSON.stringify(timestamp));
  let size = head.length + tail.length;
  for (const i of slots) size += roomFor(prefixes, i, ts);
  const out = Buffer.allocUnsafe(size);
  let o = out.write(head, 0, 'latin1');
  let written = 0;
  for (const i of slots) {
    if (Number.isNaN(columns.cpuPct[i]!)) continue;
    if (written++ > 0) {
      out[o++] = 44; // ,
      out[o++] = 10; // \n
    }
    o = writeSample(out, o, i, prefixes, ts, columns);
  }
  o += out.write(tail, o, 'latin1');
  return out.subarray(0, o);
}
