import { describe, expect, it } from 'vitest';
import {
  historyQuerySchema,
  historyRequestSchema,
  subscribeRequestSchema,
} from '../src/schemas.js';

describe('history query', () => {
  it('accepts epoch ms and ISO dates and defaults the limit to 300', () => {
    const q = historyQuerySchema.parse({ from: '1700000000000', to: '2026-11-22T05:00:00Z' });
    expect(q).toEqual({
      from: 1_700_000_000_000,
      to: Date.parse('2026-11-22T05:00:00Z'),
      limit: 300,
    });
  });

  it.each([
    [{ limit: '0' }],
    [{ limit: '10001' }],
    [{ limit: 'abc' }],
    [{ from: 'yesterday' }],
    [{ from: '-5' }],
    [{ from: 'May 2001' }],
    [{ to: '2026-13-45T99:99Z' }],
    [{ from: '2000', to: '1000' }],
    [{ unknown: '1' }],
  ])('rejects %j', (query) => {
    expect(historyQuerySchema.safeParse(query).success).toBe(false);
  });
});

describe('socket payloads', () => {
  it('limits the number of ids per subscribe', () => {
    const schema = subscribeRequestSchema(2);
    expect(schema.safeParse({ serverIds: ['server-1', 'server-2'] }).success).toBe(true);
    expect(schema.safeParse({ serverIds: ['a', 'b', 'c'] }).success).toBe(false);
    expect(schema.safeParse({ serverIds: 'server-1' }).success).toBe(false);
    expect(schema.safeParse({ serverIds: [], __proto__: { x: 1 } }).success).toBe(false);
  });

  it('rejects unknown keys in a history request', () => {
    expect(historyRequestSchema.safeParse({ serverId: 'server-1', evil: 1 }).success).toBe(false);
  });
});
