/**
 * The layout of a staged block (migrations/003_staged_blocks.sql): one row holds the samples of
 * up to `blockSize` servers of one tick, so a commit writes a few thousand rows at 100,000
 * servers instead of 100,000. Pure: no database here.
 *
 * A block's `v` is a float64 array in the machine's byte order (little-endian on x86-64 and
 * arm64, where the file can move freely), one entry of 7 values per server, entries in
 * ascending key order: `key, cpuPct, memPct, diskPct, netRxBps, netTxBps, load1`. A server with
 * no sample this tick (NaN) has no entry. The row also stores the first and last key of its
 * entries (`lo`, `hi`), so the block that may hold a key is the one with the largest `lo` not
 * above it, and the blocks of one tick never overlap.
 */
import type { SampleRow } from './db.js';
import type { SampleColumns } from './simulation.js';

/** Values per entry: the key and the six sample values. */
export const ENTRY_VALUES = 7;
export const ENTRY_BYTES = ENTRY_VALUES * 8;

/**
 * Pure: servers per block so that a staged row stays on its b-tree page. A WITHOUT ROWID table
 * keeps at most `(pageSize - 12) * 64 / 255 - 23` bytes of a row on the page (SQLite's file
 * format, "maxLocal" of an index b-tree); a larger row spills into overflow pages, which every
 * history read then has to follow. 40 bytes are left for the record header, `ts`, `lo` and `hi`.
 * 4,096-byte pages (SQLite's default): 17 servers per block.
 */
export function blockSize(pageSize: number): number {
  const maxLocal = Math.floor(((pageSize - 12) * 64) / 255) - 23;
  return Math.max(1, Math.floor((maxLocal - 40) / ENTRY_BYTES));
}

/** One block of a tick, ready to be bound. */
export interface BlockOut {
  lo: number;
  hi: number;
  entries: number;
  /** A view of the tick's buffer: valid until the next tick is cut into the same buffer. */
  bytes: Buffer;
}

/** Pure: bytes a tick of `count` servers needs at most (see `forEachBlock`). */
export const tickBytes = (count: number): number => count * ENTRY_BYTES;

/**
 * Pure: slot order by ascending key, or `undefined` when the slots already are in key order (the
 * simulated fleet: `server-N` has key N). Real servers keep their key across restarts, so their
 * slots need not be.
 */
export function keyOrder(keys: Int32Array): Int32Array | undefined {
  let sorted = true;
  for (let i = 1; i < keys.length && sorted; i++) sorted = keys[i - 1]! < keys[i]!;
  if (sorted) return undefined;
  const order = Int32Array.from(keys.keys());
  return order.sort((a, b) => keys[a]! - keys[b]!);
}

/**
 * Cuts one tick's columns into blocks of `size` entries in ascending key order, skipping slots
 * whose `cpuPct` is NaN, and hands each block to `emit` as a view of `buffer` (at least
 * `tickBytes(count)` long, 8-byte aligned). Returns the entries written.
 */
export function forEachBlock(
  keys: Int32Array,
  order: Int32Array | undefined,
  c: SampleColumns,
  count: number,
  size: number,
  buffer: Buffer,
  emit: (block: BlockOut) => void,
): number {
  const f = new Float64Array(buffer.buffer, buffer.byteOffset, count * ENTRY_VALUES);
  const block: BlockOut = { lo: 0, hi: 0, entries: 0, bytes: buffer };
  let start = 0; // first entry of the block being filled
  let n = 0; // entries written so far
  const flush = () => {
    block.lo = f[start * ENTRY_VALUES]!;
    block.hi = f[(n - 1) * ENTRY_VALUES]!;
    block.entries = n - start;
    block.bytes = buffer.subarray(start * ENTRY_BYTES, n * ENTRY_BYTES);
    emit(block);
    start = n;
  };
  for (let i = 0; i < count; i++) {
    const r = order ? order[i]! : i;
    if (Number.isNaN(c.cpuPct[r]!)) continue;
    const o = n * ENTRY_VALUES;
    f[o] = keys[r]!;
    f[o + 1] = c.cpuPct[r]!;
    f[o + 2] = c.memPct[r]!;
    f[o + 3] = c.diskPct[r]!;
    f[o + 4] = c.netRxBps[r]!;
    f[o + 5] = c.netTxBps[r]!;
    f[o + 6] = c.load1[r]!;
    if (++n - start === size) flush();
  }
  if (n > start) flush();
  return n;
}

/** Pure: the entries of block `v` as float64 values, 7 per entry (a view when `v` is aligned). */
export function entryValues(v: Buffer): Float64Array {
  const n = Math.floor(v.length / 8);
  if (v.byteOffset % 8 === 0) return new Float64Array(v.buffer, v.byteOffset, n);
  return new Float64Array(Uint8Array.prototype.slice.call(v, 0, n * 8).buffer);
}

function entryAt(f: Float64Array, e: number, ts: number): SampleRow {
  const o = e * ENTRY_VALUES;
  return {
    serverKey: f[o]!,
    ts,
    cpuPct: f[o + 1]!,
    memPct: f[o + 2]!,
    diskPct: f[o + 3]!,
    netRxBps: f[o + 4]!,
    netTxBps: f[o + 5]!,
    load1: f[o + 6]!,
  };
}

/** Pure: the sample of `key` in block `v` of tick `ts`, if the block has an entry for it. */
export function findEntry(v: Buffer, ts: number, key: number): SampleRow | undefined {
  const f = entryValues(v);
  let lo = 0;
  let hi = Math.floor(f.length / ENTRY_VALUES) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const k = f[mid * ENTRY_VALUES]!;
    if (k === key) return entryAt(f, mid, ts);
    if (k < key) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/** Pure: every entry of block `v` of tick `ts` whose key is in `lo … hi`, in key order. */
export function entriesIn(
  v: Buffer,
  ts: number,
  lo: number,
  hi: number,
  visit: (row: SampleRow) => void,
): void {
  const f = entryValues(v);
  const n = Math.floor(f.length / ENTRY_VALUES);
  for (let e = 0; e < n; e++) {
    const k = f[e * ENTRY_VALUES]!;
    if (k > hi) return;
    if (k >= lo) visit(entryAt(f, e, ts));
  }
}
