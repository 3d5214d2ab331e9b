import { z } from 'zod';
import {
  HISTORY_BATCH_IDS_MAX,
  HISTORY_BATCH_SAMPLES_MAX,
  HISTORY_LIMIT_DEFAULT,
  HISTORY_LIMIT_MAX,
  SERVER_SOURCES,
} from './http.js';
import { MAX_SERVER_ID_LENGTH } from './sample.js';
import { MAX_LISTED_SERVERS, serverListSize } from './server-list.js';

/**
 * zod schemas for everything that crosses a process boundary. Kept in a subpath
 * (`@metrics/protocol/schemas`) so the browser bundle only pays for zod if it imports it.
 */
export const sampleSchema = z.object({
  serverId: z.string().min(1).max(MAX_SERVER_ID_LENGTH),
  timestamp: z.iso.datetime(),
  cpuPct: z.number().min(0).max(100),
  memPct: z.number().min(0).max(100),
  diskPct: z.number().min(0).max(100),
  netRxBps: z.number().min(0),
  netTxBps: z.number().min(0),
  load1: z.number().min(0),
});

export const serverIdSchema = z.string().min(1).max(MAX_SERVER_ID_LENGTH);

const listVersionSchema = z.number().int().min(0).max(0xffffffff);

export const serverInfoSchema = z.object({
  id: serverIdSchema,
  source: z.enum(SERVER_SOURCES).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  scrape: z
    .object({
      up: z.boolean(),
      lastError: z.string().optional(),
      since: z.number(),
      url: z.string(),
    })
    .optional(),
});

export const serversResponseSchema = z.object({
  servers: z.array(serverInfoSchema),
  version: listVersionSchema,
});

const serverIdRangeSchema = z
  .object({
    prefix: z.string().max(MAX_SERVER_ID_LENGTH - 1),
    from: z.number().int().min(1),
    to: z.number().int().min(1),
  })
  .strict()
  .refine((r) => r.from <= r.to && r.to - r.from < MAX_LISTED_SERVERS, {
    message: 'a range runs from `from` up to `to`',
  })
  .refine((r) => (r.prefix + String(r.to)).length <= MAX_SERVER_ID_LENGTH, {
    message: 'ids of a range are server ids',
  });

/** The `servers` event (compact list, server-list.ts); `count` must match what it stands for. */
export const serversPayloadSchema = z
  .object({
    servers: z.array(z.union([serverIdRangeSchema, z.looseObject({ id: serverIdSchema })])),
    count: z.number().int().min(0).max(MAX_LISTED_SERVERS),
    version: listVersionSchema,
    timestamp: z.number().int().min(0),
  })
  .refine((p) => serverListSize(p.servers) === p.count, {
    message: '`count` is not the number of ids `servers` stands for',
  });

export const latestResponseSchema = z.object({ samples: z.array(sampleSchema) });

export const historyResponseSchema = z.object({
  serverId: serverIdSchema,
  samples: z.array(sampleSchema),
});

export const historyBatchResponseSchema = z.object({
  series: z.array(historyResponseSchema),
});

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Epoch ms (number or digit string) or an ISO 8601 date-time; parsed to epoch ms. */
export const instantSchema = z.union([z.number(), z.string().max(64)]).transform((v, ctx) => {
  // Strings are epoch-ms digits or an ISO 8601 date(-time): Date.parse alone also takes "-5"
  // (May 2001) or "May 2001", which no client means.
  const ms =
    typeof v === 'number'
      ? v
      : /^\d{1,16}$/.test(v)
        ? Number(v)
        : ISO_DATE.test(v)
          ? Date.parse(v)
          : NaN;
  if (!Number.isSafeInteger(ms) || ms < 0) {
    ctx.addIssue({ code: 'custom', message: 'expected epoch milliseconds or an ISO 8601 date' });
    return z.NEVER;
  }
  return ms;
});

export const historyLimitSchema = z.coerce
  .number()
  .int()
  .min(1)
  .max(HISTORY_LIMIT_MAX)
  .default(HISTORY_LIMIT_DEFAULT);

/** The time range every history query and request takes (either end may be left open). */
const historyRange = { from: instantSchema.optional(), to: instantSchema.optional() };
const inOrder = (q: { from?: number | undefined; to?: number | undefined }) =>
  q.from === undefined || q.to === undefined || q.from <= q.to;
const OUT_OF_ORDER = { message: '`from` must not be after `to`' };

/** Query of `GET /v1/servers/:id/history`. */
export const historyQuerySchema = z
  .object({ ...historyRange, limit: historyLimitSchema })
  .strict()
  .refine(inOrder, OUT_OF_ORDER);

const tooManySamples = (ids: number, limit: number) =>
  `${ids} servers × limit ${limit} is more than ${HISTORY_BATCH_SAMPLES_MAX} samples: lower \`limit\` or split the request`;

/**
 * Query of `GET /v1/history`: `ids` is a comma-separated list of 1–`HISTORY_BATCH_IDS_MAX`
 * server ids (duplicates count once, order kept); the rest as `historyQuerySchema`, `limit` per
 * server, and ids × limit at most `HISTORY_BATCH_SAMPLES_MAX`.
 */
export const historyBatchQuerySchema = z
  .object({
    ids: z
      .string({ error: 'expected a comma-separated list of server ids' })
      .transform((v) => [...new Set(v.split(','))])
      .pipe(
        z
          .array(serverIdSchema)
          .min(1)
          .max(HISTORY_BATCH_IDS_MAX, `at most ${HISTORY_BATCH_IDS_MAX} server ids`),
      ),
    ...historyRange,
    limit: historyLimitSchema,
  })
  .strict()
  .refine(inOrder, OUT_OF_ORDER)
  .superRefine((q, ctx) => {
    if (q.ids.length * q.limit > HISTORY_BATCH_SAMPLES_MAX) {
      ctx.addIssue({ code: 'custom', message: tooManySamples(q.ids.length, q.limit) });
    }
  });

/** A socket request's `limit`: a number, not coerced from a string as the HTTP query's is. */
const socketLimitSchema = z.number().int().min(1).max(HISTORY_LIMIT_MAX).optional();

/** Payload of the socket `history` event. */
export const historyRequestSchema = z
  .object({
    serverId: serverIdSchema,
    ...historyRange,
    limit: socketLimitSchema,
  })
  .strict();

/**
 * Payload of the batched socket `history` event; `maxIds` is the socket's subscription limit
 * (never more than `HISTORY_BATCH_IDS_MAX`). Duplicate ids count once.
 */
export const historyBatchRequestSchema = (maxIds: number) => {
  const max = Math.min(maxIds, HISTORY_BATCH_IDS_MAX);
  return z
    .object({
      serverIds: z
        .array(serverIdSchema)
        .min(1)
        .transform((ids) => [...new Set(ids)])
        .pipe(z.array(serverIdSchema).max(max, `at most ${max} server ids`)),
      ...historyRange,
      limit: socketLimitSchema,
    })
    .strict()
    .refine(inOrder, OUT_OF_ORDER)
    .superRefine((q, ctx) => {
      const limit = q.limit ?? HISTORY_LIMIT_DEFAULT;
      if (q.serverIds.length * limit > HISTORY_BATCH_SAMPLES_MAX) {
        ctx.addIssue({ code: 'custom', message: tooManySamples(q.serverIds.length, limit) });
      }
    });
};

/** Payload of `subscribe` / `unsubscribe`; `max` is the broadcaster's configured limit. */
export const subscribeRequestSchema = (max: number) =>
  z
    .object({
      serverIds: z.array(serverIdSchema).min(1).max(max),
    })
    .strict();

/** Renders a zod error as one line: `limit: expected …; from: …`. */
export function formatZodError(error: z.ZodError): string {
  return error.issues
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}
