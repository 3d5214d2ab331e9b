import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parseExposition } from '../../src/node-exporter/exposition.js';
import { createNodeParser, type NodeParser } from '../../src/node-exporter/node-parser.js';
import { NODE_FAMILIES, readNode } from '../../src/node-exporter/node-reading.js';

const REAL = readFileSync(new URL('../fixtures/node-exporter-1.5.txt', import.meta.url));
const log = pino({ level: 'silent' });

const parsers: NodeParser[] = [];
afterEach(async () => {
  for (const p of parsers.splice(0)) await p.close();
});
/** A parser, its thread (if any) started. */
const make = async (threads: boolean) => {
  const p = createNodeParser({ threads, log });
  parsers.push(p);
  const until = Date.now() + 20_000;
  while (threads && p.mode !== 'thread' && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return p;
};

describe.each([true, false])('createNodeParser (threads: %s)', (threads) => {
  it('reads an answer as the parser and mapping do in this thread', async () => {
    const parser = await make(threads);
    expect(parser.mode).toBe(threads ? 'thread' : 'in-thread');
    const expected = readNode(parseExposition(REAL, NODE_FAMILIES), 1234, '/');
    expect(await parser.read(REAL, 1234, '/')).toEqual(expected);
    expect(await parser.read(REAL.toString(), 1234, '/')).toEqual(expected);
  });

  it('fails a body that is not a usable answer as bad_answer, with the reason', async () => {
    const parser = await make(threads);
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

it('parses on the tick thread until its thread has started', async () => {
  const parser = createNodeParser({ threads: true, log });
  parsers.push(parser);
  expect(parser.mode).toBe('in-thread');
  expect((await parser.read(REAL, 1, '/')).load1).toBeGreaterThanOrEqual(0);
});

it('parses on the tick thread once its thread is closed', async () => {
  const parser = await make(true);
  await parser.close();
  expect(parser.mode).toBe('in-thread');
  expect((await parser.read(REAL, 1, '/')).load1).toBeGreaterThanOrEqual(0);
});
