import type { Logger } from 'pino';
import { z } from 'zod';
import { EVENTS, FLEET_ROOM, serverRoom } from '@metrics/protocol';
import type { subscribeRequestSchema } from '@metrics/protocol/schemas';
import { formatZodError } from '@metrics/protocol/schemas';
import type { Limits } from './config.js';
import type { Discovery } from './discovery.js';
import type { Fanout } from './fanout.js';
import type { FleetInitial } from './fleet-initial.js';
import type { HistoryService } from './history-service.js';
import type { LatestFetcher } from './latest-fetcher.js';
import type { RawSample } from './latest-body.js';
import type { BroadcasterMetrics } from './metrics.js';
import type { PollLoop } from './poll-loop.js';
import { NO_TICK } from './poller.js';
import { fullBucket, take } from './rate-limit.js';
import type { BroadcasterSocket } from './socket-types.js';

export interface HandlerContext {
  limits: Limits;
  log: Logger;
  metrics: BroadcasterMetrics;
  discovery: Discovery;
  loop: PollLoop;
  fetcher: LatestFetcher;
  fanout: Fanout;
  fleetInitial: FleetInitial;
  generatorUp(): boolean;
  history: HistoryService;
  /** `subscribeRequestSchema(limits.maxIdsPerSubscribe)`, built once, not per connection. */
  subscribeSchema: ReturnType<typeof subscribeRequestSchema>;
}

/** What every handler answers; sent as the ack when the client asked for one. */
type Reply = { ok: true; [key: string]: unknown } | { ok: false; error: string };

const noPayload = z.undefined({ error: 'this event takes no payload, only an ack callback' });

/**
 * Wires one connected socket: rate limit first, then `subscribe`, `unsubscribe`, `history`,
 * `fleet:subscribe`, `fleet:unsubscribe`. Every payload is validated with zod; every failure is
 * an ack `{ ok: false, error }` with a message for humans, never a stack trace, never a crash.
 */
export function registerHandlers(socket: BroadcasterSocket, ctx: HandlerContext): void {
  const { limits, metrics } = ctx;
  const log = ctx.log;
  const rate = { ratePerSecond: limits.eventRatePerSecond, burst: limits.eventBurst };
  const now = Date.now();
  socket.data = {
    subs: new Map(),
    fleetTick: NO_TICK,
    bucket: fullBucket(rate, now),
    strikes: fullBucket(rate, now),
  };

  socket.use((packet, next) => {
    const t = Date.now();
    const passed = take(socket.data.bucket, rate, t);
    socket.data.bucket = passed.bucket;
    if (passed.allowed) {
      next();
      return;
    }
    metrics.rejectedEvents.inc({ reason: 'rate_limited' });
    const ack = packet[packet.length - 1];
    if (typeof ack === 'function') {
      (ack as (r: Reply) => void)({
        ok: false,
        error: `rate limited: at most ${limits.eventRatePerSecond} events per second (burst ${limits.eventBurst})`,
      });
    }
    // A client that keeps flooding after being refused a burst's worth of times is cut off.
    const strike = take(socket.data.strikes, rate, t);
    socket.data.strikes = strike.bucket;
    if (!strike.allowed) {
      log.warn({ socket: socket.id }, 'disconnecting a client that keeps flooding');
      socket.disconnect(true);
    }
  });

  const subscribeSchema = ctx.subscribeSchema;

  on(socket, EVENTS.subscribe, ctx, async (payload) => {
    const parsed = subscribeSchema.safeParse(payload);
    if (!parsed.success) return invalid(ctx, formatZodError(parsed.error));
    const ids = [...new Set(parsed.data.serverIds)];
    const subscribed = ids.filter((id) => ctx.discovery.has(id));
    const unknown = ids.filter((id) => !ctx.discovery.has(id));
    if (unknown.length) metrics.rejectedEvents.inc({ reason: 'unknown' }, unknown.length);
    const subs = socket.data.subs;
    const added = subscribed.filter((id) => !subs.has(id));
    if (subs.size + added.length > limits.maxSubscriptionsPerSocket) {
      metrics.rejectedEvents.inc({ reason: 'too_many' });
      return {
        ok: false,
        error: `too many subscriptions: this socket watches ${subs.size}, at most ${limits.maxSubscriptionsPerSocket} allowed`,
      };
    }
    for (const id of added) subs.set(id, NO_TICK);
    if (added.length) socket.join(added.map(serverRoom));
    ctx.fanout.sendTo(socket, await latestOf(ctx, subscribed));
    return { ok: true, subscribed, unknown };
  });

  on(socket, EVENTS.unsubscribe, ctx, (payload) => {
    const parsed = subscribeSchema.safeParse(payload);
    if (!parsed.success) return invalid(ctx, formatZodError(parsed.error));
    for (const id of new Set(parsed.data.serverIds)) {
      if (socket.data.subs.delete(id)) socket.leave(serverRoom(id));
    }
    return { ok: true };
  });

  // Both forms, queueing and shared reads: history-service.ts.
  const history = ctx.history.openSession();
  socket.on('disconnect', () => history.close());
  on(socket, EVENTS.history, ctx, (payload) => history.request(payload));

  // After the ack, the newest fleet frame at once (the kept one or one shared fetch), so the
  // overview does not wait for the next tick; later ticks' frames follow from the fan-out.
  on(
    socket,
    EVENTS.fleetSubscribe,
    ctx,
    (payload) => {
      const parsed = noPayload.safeParse(payload);
      if (!parsed.success) return invalid(ctx, formatZodError(parsed.error));
      socket.join(FLEET_ROOM);
      return { ok: true };
    },
    (reply) => {
      if (reply.ok) void ctx.fleetInitial.sendTo(socket);
    },
  );

  on(socket, EVENTS.fleetUnsubscribe, ctx, (payload) => {
    const parsed = noPayload.safeParse(payload);
    if (!parsed.success) return invalid(ctx, formatZodError(parsed.error));
    socket.leave(FLEET_ROOM);
    return { ok: true };
  });
}

function invalid(ctx: HandlerContext, message: string): Reply {
  ctx.metrics.rejectedEvents.inc({ reason: 'invalid' });
  return { ok: false, error: `invalid request: ${message}` };
}

/**
 * Registers a handler that takes the payload as `unknown` (it is validated inside) and finds the
 * ack wherever the client put it: socket.io passes arguments as sent, so `fleet:subscribe` with
 * a payload, or `subscribe` without an ack, must not confuse it. `afterAck` runs once the reply
 * is written (or would have been, for a client that asked for no ack).
 */
function on(
  socket: BroadcasterSocket,
  event: string,
  ctx: HandlerContext,
  handler: (payload: unknown) => Reply | Promise<Reply>,
  afterAck?: (reply: Reply) => void,
): void {
  const listener = (...args: unknown[]): void => {
    const ack =
      typeof args[args.length - 1] === 'function' ? (args.pop() as (r: Reply) => void) : undefined;
    const payload = args.length > 1 ? args : args[0];
    let result: Reply | Promise<Reply>;
    try {
      result = handler(payload);
    } catch (err) {
      result = Promise.reject(err);
    }
    Promise.resolve(result).then(
      (reply) => {
        ack?.(reply);
        afterAck?.(reply);
      },
      (err: unknown) => {
        ctx.log.error({ err, event, socket: socket.id }, 'socket handler failed');
        ack?.({ ok: false, error: 'internal error' });
      },
    );
  };
  (socket as unknown as { on(event: string, listener: (...args: unknown[]) => void): void }).on(
    event,
    listener,
  );
}

/**
 * The latest sample of each id for a new subscriber: from the loop's cache when it holds the
 * newest tick, otherwise from one coalesced fetch. Nothing while the generator is down: a
 * stale sample is never sent.
 */
async function latestOf(ctx: HandlerContext, ids: readonly string[]): Promise<RawSample[]> {
  if (!ids.length || !ctx.generatorUp()) return [];
  const out: RawSample[] = [];
  const missing: string[] = [];
  for (const id of ids) {
    const s = ctx.loop.freshSample(id);
    if (s) out.push(s);
    else missing.push(id);
  }
  if (missing.length) {
    const fetched = await ctx.fetcher.get(missing);
    ctx.loop.remember(fetched);
    out.push(...fetched);
  }
  return out;
}
