import { describe, expect, it } from 'vitest';
import * as ws from 'ws';
import { binaryFrame, engineMessageFrames, frameHeaderLength, textFrame } from '../src/ws-frame.js';

/** ws's frame encoder (exported by its ESM entry, absent from @types/ws). */
const { Sender } = ws as unknown as {
  Sender: { frame(data: Buffer, options: object): Buffer[] };
};

/** What ws itself puts on the wire for one unmasked, uncompressed, final frame. */
function wsFrame(data: Buffer, opcode: 1 | 2): Buffer {
  return Buffer.concat(
    Sender.frame(data, { fin: true, opcode, mask: false, readOnly: true, rsv1: false }),
  );
}

describe('ws-frame', () => {
  it.each([0, 1, 125, 126, 127, 65_535, 65_536, 200_000])(
    'a text frame of %i bytes is byte for byte what ws sends',
    (length) => {
      const text = 'x'.repeat(length);
      expect(textFrame(text).equals(wsFrame(Buffer.from(text), 1))).toBe(true);
      expect(textFrame(text)).toHaveLength(frameHeaderLength(length) + length);
    },
  );

  it('counts UTF-8 bytes, not UTF-16 code units, in the length', () => {
    const text = '°C µs 😀';
    expect(textFrame(text).equals(wsFrame(Buffer.from(text), 1))).toBe(true);
  });

  it('a binary frame is byte for byte what ws sends', () => {
    const data = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
    expect(binaryFrame(data).equals(wsFrame(data, 2))).toBe(true);
    const view = new Uint8Array(data.buffer, data.byteOffset + 10, 300);
    expect(binaryFrame(view).equals(wsFrame(Buffer.from(view), 2))).toBe(true);
  });

  it("frames engine.io messages as its websocket transport does: '4' + text, raw binary", () => {
    const packets = ['451-["fleet",{"_placeholder":true,"num":0}]', Buffer.from([1, 2, 3])];
    expect(
      engineMessageFrames(packets).equals(
        Buffer.concat([
          wsFrame(Buffer.from(`4${packets[0] as string}`), 1),
          wsFrame(packets[1] as Buffer, 2),
        ]),
      ),
    ).toBe(true);
  });
});
