import type { Logger } from 'pino';
import { z } from 'zod';
import {
  EVENTS,
  FLEET_ROOM,
  serverRoom,
  type Ack,
  type ClientToServerEvents,
  type SubscribeAck,
} from '@metrics/protocol';
import type { subscribeRequestSchema } from '@metrics/protocol/schemas';
import { formatZodError } from '@metrics/protocol/schemas';
import type { Limits } from './config.js';
import type { HistoryService } from './history-service.js';
import type { BroadcasterMetrics } from './metrics.js';
import { NO_TICK } from './poller.js';
import { fullBucket, take } from './rate-limit.js';
import type { BroadcasterSocket } from './socket-types.js';
import type { TickRouting } from './tick-routing.js';

export interface HandlerContext {
  limits: Limits;
  log: Logger;
  metrics: BroadcasterMetrics;
  /** The known server ids (discovery's current list). */
  discovery: { has(id: string): boolean };
  /** What a new subscriber or fleet member gets at once. */
  routing: Pick<TickRouting, 'subscribed' | 'joinedFleet'>;
  /** `history` in both forms, with its per-socket queue and shared reads. */
  history: HistoryService;
  /** `subscribeRequestSchema(limits.maxIdsPerSubscribe)`, built once, not per connection. */
  subscribeSchema: ReturnType<typeof subscribeRequestSchema>;
}

type EventName = keyof ClientToServerEvents;
/** The ack type of an event, from `ClientToServerEvents`: its last parameter's argument. */
type AckOf<E extends EventName> =
  Parameters<ClientToServerEvents[E]> extends [...unknown[], (res: infer R) => void] ? R : never;
/** A refusal, which every ack type accepts. */
type Refusal = Extract<Ack, { ok: false }>;

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
      (ack as (r: Refusal) => void)({
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

  on(socket, EVENTS.subscribe, ctx, async (payload): Promise<SubscribeAck> => {
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
    // The newest sample of each goes out before the ack.
    await ctx.routing.subscribed(socket, subscribed);
    return { ok: true, subscribed, unknown };
  });

  on(socket, EVENTS.unsubscribe, ctx, (payload): Ack => {
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
    (payload): Ack => {
      const parsed = noPayload.safeParse(payload);
      if (!parsed.success) return invalid(ctx, formatZodError(parsed.error));
      socket.join(FLEET_ROOM);
      return { ok: true };
    },
    (reply) => {
      if (reply.ok) void ctx.routing.joinedFleet(socket);
    },
  );

  on(socket, EVENTS.fleetUnsubscribe, ctx, (payload): Ack => {
    const parsed = noPayload.safeParse(payload);
    if (!parsed.success) return invalid(ctx, formatZodError(parsed.error));
    socket.leave(FLEET_ROOM);
    return { ok: true };
  });
}

function invalid(ctx: HandlerContext, message: string): Refusal {
  ctx.metrics.rejectedEvents.inc({ reason: 'invalid' });
  return { ok: false, error: `invalid request: ${message}` };
}

/**
 * Registers the handler of `event`, whose reply is checked against the event's ack type in
 * `ClientToServerEvents`. The handler takes the payload as `unknown` (a client may send
 * anything; it is validated inside with zod) and the ack is found wherever the client put it:
 * socket.io passes arguments as sent, so `fleet:subscribe` with a payload, or `subscribe`
 * without an ack, must not confuse it. `afterAck` runs once the reply is written (or would have
 * been, for a client that asked for no ack).
 */
function on<E extends EventName>(
  socket: BroadcasterSocket,
  event: E,
  ctx: HandlerContext,
  handler: (payload: unknown) => AckOf<E> | Promise<AckOf<E>>,
  afterAck?: (reply: AckOf<E>) => void,
): void {
  const listener = (...args: unknown[]): void => {
    const ack =
      typeof args[args.length - 1] === 'function'
        ? (args.pop() as (r: AckOf<E> | Refusal) => void)
        : undefined;
    const payload = args.length > 1 ? args : args[0];
    let result: AckOf<E> | Promise<AckOf<E>>;
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
  // socket.io cannot resolve the listener type of a generic event name; this one takes its
  // arguments as sent and checks them.
  socket.on(event, listener as never);
}
