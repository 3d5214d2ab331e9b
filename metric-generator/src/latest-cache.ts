import type { SampleColumns } from './simulation.js';
import type { ServerRef } from './server-ids.js';
import { samplePrefixes, serializeTick, type SamplePrefixes } from './sample-bytes.js';

/**
 * The last committed tick, kept in memory for `GET /v1/latest` and `/v1/servers/:id/latest`.
 * Each sample is serialized to JSON once, at commit, with keys in the order of the `Sample`
 * type (`serverId` first), straight into the bytes of the full `/v1/latest` body (see
 * sample-bytes.ts); answers for a subset of ids are assembled by copying byte ranges. Long-poll
 * waiters are released when the next tick commits, at their deadline, or at close.
 */
export interface LatestTick {
  /** Epoch ms of the tick. */
  tick: number;
  /** Servers in the tick. */
  count: number;
  /** Slot of each server id. */
  slotOf: ReadonlyMap<string, number>;
  /** The `/v1/latest` body for every server. */
  body: Buffer;
  /** Byte range of slot i's sample object in `body`. */
  starts: Int32Array;
  ends: Int32Array;
}

/** What a waiter is told: the tick that arrived, or `undefined` (timed out or closing). */
export type WaitResult = LatestTick | undefined;

export interface LatestCache {
  current(): LatestTick | undefined;
  /** Publishes a committed tick and wakes every waiter. */
  publish(
    tick: number,
    servers: readonly ServerRef[],
    columns: SampleColumns,
    count: number,
  ): LatestTick;
  /**
   * Resolves with the first tick newer than `after` (at once if it is already committed), or
   * with `undefined` after `timeoutMs` or at close. `signal` aborts the wait (client gone).
   */
  waitForTick(after: number, timeoutMs: number, signal?: AbortSignal): Promise<WaitResult>;
  /** The `/v1/latest` body for `ids` (all servers when undefined), per the layout of docs/architecture.md. */
  body(latest: LatestTick, ids?: readonly string[]): Buffer;
  readonly waiting: number;
  /** Releases every waiter with `undefined`; later waits resolve at once with `undefined`. */
  close(): void;
}

const bodyHead = (tick: number) => `{"tick":${tick},"samples":[\n`;
const BODY_TAIL = '\n]}';

/** One server's sample object of `latest`, as JSON bytes (a view, not a copy). */
export function sampleJson(latest: LatestTick, slot: number): Buffer {
  return latest.body.subarray(latest.starts[slot], latest.ends[slot]);
}

/** The body for the samples of `slots`, in that order (ranges copied out of the full body). */
function pickedBody(latest: LatestTick, slots: readonly number[]): Buffer {
  const head = bodyHead(latest.tick);
  let size = head.length + BODY_TAIL.length + 2 * Math.max(0, slots.length - 1);
  for (const s of slots) size += latest.ends[s]! - latest.starts[s]!;
  const out = Buffer.allocUnsafe(size);
  let o = out.write(head, 0, 'latin1');
  slots.forEach((s, i) => {
    if (i > 0) o += out.write(',\n', o, 'latin1');
    o += latest.body.copy(out, o, latest.starts[s], latest.ends[s]);
  });
  out.write(BODY_TAIL, o, 'latin1');
  return out;
}

export function createLatestCache(): LatestCache {
  let latest: LatestTick | undefined;
  let closed = false;
  const waiters = new Set<{ after: number; done: (r: WaitResult) => void }>();
  let prefixes: SamplePrefixes | undefined;
  let slotOf = new Map<string, number>();
  let serversRef: readonly ServerRef[] | undefined;

  return {
    current: () => latest,
    get waiting() {
      return waiters.size;
    },
    publish(tick, servers, columns, count) {
      if (servers !== serversRef || !prefixes) {
        serversRef = servers;
        prefixes = samplePrefixes(servers.map((s) => s.id));
        slotOf = new Map(servers.map((s, i) => [s.id, i]));
      }
      const serialized = serializeTick(
        bodyHead(tick),
        BODY_TAIL,
        new Date(tick).toISOString(),
        prefixes,
        columns,
        count,
      );
      latest = { tick, count, slotOf, ...serialized };
      for (const w of waiters) if (tick > w.after) w.done(latest);
      return latest;
    },
    waitForTick(after, timeoutMs, signal) {
      if (latest && latest.tick > after) return Promise.resolve(latest);
      if (closed || signal?.aborted) return Promise.resolve(undefined);
      return new Promise<WaitResult>((resolve) => {
        const waiter = {
          after,
          done: (r: WaitResult) => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            waiters.delete(waiter);
            resolve(r);
          },
        };
        const onAbort = () => waiter.done(undefined);
        const timer = setTimeout(onAbort, timeoutMs);
        signal?.addEventListener('abort', onAbort, { once: true });
        waiters.add(waiter);
      });
    },
    body(l, ids) {
      if (ids === undefined) return l.body;
      const slots: number[] = [];
      for (const id of ids) {
        const slot = l.slotOf.get(id);
        if (slot !== undefined && slot < l.count) slots.push(slot);
      }
      return pickedBody(l, slots);
    },
    close() {
      closed = true;
      for (const w of [...waiters]) w.done(undefined);
    },
  };
}
