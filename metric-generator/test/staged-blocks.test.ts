import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SampleRow } from '../src/db.js';
import { createSampleColumns } from '../src/simulation.js';
import {
  blockSize,
  ENTRY_BYTES,
  entriesIn,
  findEntry,
  forEachBlock,
  keyOrder,
  tickBytes,
} from '../src/staged-blocks.js';

const TS = 1_800_000_000_000;

/** A tick of `keys` (any order) whose slots `gaps` have no sample; values derived from the key. */
function tick(keys: number[], gaps: Set<number>) {
  const c = createSampleColumns(keys.length);
  keys.forEach((k, i) => {
    c.cpuPct[i] = gaps.has(i) ? Number.NaN : k / 7;
    c.memPct[i] = k % 100;
    c.diskPct[i] = 0.5;
    c.netRxBps[i] = k * 1000;
    c.netTxBps[i] = k * 3 + 0.25;
    c.load1[i] = -k;
  });
  return c;
}

const expectedRow = (k: number): SampleRow => ({
  serverKey: k,
  ts: TS,
  cpuPct: k / 7,
  memPct: k % 100,
  diskPct: 0.5,
  netRxBps: k * 1000,
  netTxBps: k * 3 + 0.25,
  load1: -k,
});

function cut(keys: number[], gaps: Set<number>, size: number) {
  const k = Int32Array.from(keys);
  const blocks: { lo: number; hi: number; entries: number; v: Buffer }[] = [];
  const written = forEachBlock(
    k,
    keyOrder(k),
    tick(keys, gaps),
    keys.length,
    size,
    Buffer.alloc(tickBytes(keys.length)),
    (b) => blocks.push({ lo: b.lo, hi: b.hi, entries: b.entries, v: Buffer.from(b.bytes) }),
  );
  return { written, blocks };
}

describe('staged blocks', () => {
  it('fits a block on a b-tree page: 17 servers on 4 KB pages, more on larger ones', () => {
    expect(blockSize(4096)).toBe(17);
    expect(blockSize(4096) * ENTRY_BYTES + 40).toBeLessThanOrEqual(1002);
    expect(blockSize(65536)).toBeGreaterThan(280);
    expect(blockSize(512)).toBe(1);
  });

  it('keeps the slot order when keys ascend, else sorts slots by key', () => {
    expect(keyOrder(Int32Array.from([1, 2, 3]))).toBeUndefined();
    expect([...keyOrder(Int32Array.from([1_000_001, 5, 1_000_000, 7]))!]).toEqual([1, 3, 2, 0]);
  });

  it('every sample of a tick is found in exactly one block, with its values; gaps are absent', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 2_000_000 }), { maxLength: 120 }),
        fc.func(fc.boolean()),
        fc.integer({ min: 1, max: 20 }),
        (keys, isGap, size) => {
          const gaps = new Set(keys.flatMap((k, i) => (isGap(k) ? [i] : [])));
          const { written, blocks } = cut(keys, gaps, size);
          const present = keys.filter((_, i) => !gaps.has(i)).sort((a, b) => a - b);
          expect(written).toBe(present.length);
          // Blocks ascend and never overlap; each holds at most `size` entries, lo/hi its ends.
          for (let b = 0; b < blocks.length; b++) {
            const { lo, hi, entries, v } = blocks[b]!;
            expect(entries).toBeGreaterThan(0);
            expect(entries).toBeLessThanOrEqual(size);
            expect(v.length).toBe(entries * ENTRY_BYTES);
            expect(lo).toBeLessThanOrEqual(hi);
            if (b > 0) expect(lo).toBeGreaterThan(blocks[b - 1]!.hi);
          }
          // The block with the largest lo not above a key (what the history read seeks) has it.
          for (const k of keys) {
            const block = blocks.filter((b) => b.lo <= k).at(-1);
            const found = block && block.hi >= k ? findEntry(block.v, TS, k) : undefined;
            expect(found).toEqual(present.includes(k) ? expectedRow(k) : undefined);
          }
          // A key range reads back exactly its keys, in order (what the fold copies).
          if (present.length) {
            const lo = present[Math.floor(present.length / 3)]!;
            const hi = present[Math.floor((2 * present.length) / 3)]!;
            const seen: number[] = [];
            for (const b of blocks) entriesIn(b.v, TS, lo, hi, (r) => seen.push(r.serverKey));
            expect(seen).toEqual(present.filter((k) => k >= lo && k <= hi));
          }
        },
      ),
    );
  });

  it('reads a block wherever its bytes sit (a copy when not 8-byte aligned)', () => {
    const { blocks } = cut([3, 9, 27], new Set(), 17);
    const v = blocks[0]!.v;
    const unaligned = Buffer.alloc(v.length + 1).subarray(1);
    v.copy(unaligned);
    expect(unaligned.byteOffset % 8).not.toBe(0);
    expect(findEntry(unaligned, TS, 9)).toEqual(expectedRow(9));
    expect(findEntry(unaligned, TS, 10)).toBeUndefined();
  });
});
