import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseExposition } from '../../src/node-exporter/exposition.js';
import { createNodeParser } from '../../src/node-exporter/node-parser.js';
import { NODE_FAMILIES, readNode } from '../../src/node-exporter/node-reading.js';

const REAL = readFileSync(new URL('../fixtures/node-exporter-1.5.txt', import.meta.url));

describe('createNodeParser', () => {
  it('reads an answer, bytes or text, as the parser and the mapping do', async () => {
    const parser = createNodeParser();
    const expected = readNode(parseExposition(REAL, NODE_FAMILIES), 1234, '/');
    expect(await parser.read(REAL, 1234, '/')).toEqual(expected);
    expect(await parser.read(REAL.toString(), 1234, '/')).toEqual(expected);
  });

  it('fails a body that is not a usable answer as bad_answer, with the reason', async () => {
    const parser = createNodeParser();
    await expect(parser.read(Buffer.from('<html>'), 0, '/')).rejects.toMatchObject({
      kind: 'bad_answer',
      message: expect.stringMatching(/^bad answer: line 1: expected a metric name/),
    });
    await expect(parser.read(REAL, 0, '/nowhere')).rejects.toMatchObject({
      kind: 'bad_answer',
      message: 'bad answer: no filesystem mounted on /nowhere in the answer',
    });
  });
});
