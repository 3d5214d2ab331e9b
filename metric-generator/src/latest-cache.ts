import type { SampleColumns } from './simulation.js';
import type { ServerRef } from './server-ids.js';

/**
 * The last committed tick, kept in memory for `GET /v1/latest` and `/v1/servers/:id/latest`.
 * Each sample is serialized to JSON once, at commit, with keys in the order of the shared
 * DESIGN (`serverId` first); responses are assembled by string concatenation. Long-poll waiters
 * are released when the next tick commits, at their deadline, or at close.
 */
export interface LatestTick {
  /** Epoch ms of the tick. */
  tick: number;
  /** One JSON object per server, in fleet order. */
  lines: readonly string[];
  /** Slot of each server id in `lines`. */
  slotOf: ReadonlyMap<string, number>;
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
  /** The `/v1/latest` body for `ids` (all servers when undefined), per the README layout. */
  body(latest: LatestTick, ids?: readonly string[]): string;
  readonly waiting: number;
  /** Releases every waiter with `undefined`; later waits resolve at once with `undefined`. */
  close(): void;
}

/**
 * Serializes one sample: the same text as `JSON.stringify` of the sample object (values are
 * finite numbers, for which `String(n)` and `JSON.stringify(n)` agree). An integer-arithmetic
 * formatter was tried and measured no faster here.
 */
export function sampleLine(
  idJson: string,
  timestampJson: string,
  c: SampleColumns,
  slot: number,
): string {
  return (
    `{"serverId":${idJson},"timestamp":${timestampJson},"cpuPct":${c.cpuPct[slot]},` +
    `"memPct":${c.memPct[slot]},"diskPct":${c.diskPct[slot]},"netRxBps":${c.netRxBps[slot]},` +
    `"netTxBps":${c.netTxBps[slot]},"load1":${c.load1[slot]}}`
  );
}

export function latestBody(tick: number, lines: readonly string[]): string {
  return `{"tick":${tick},"samples":[\n${lines.join(',\n')}\n]}`;
}

export function createLatestCache(): LatestCache {
  let latest: LatestTick | undefined;
  let fullBody: { tick: number; body: string } | undefined;
  let closed = false;
  const waiters = new Set<{ after: number; done: (r: WaitResult) => void }>();
  let idJson: string[] = [];
  let slotOf = new Map<string, number>();
  let serversRef: readonly ServerRef[] | undefined;

  return {
    current: () => latest,
    get waiting() {
      return waiters.size;
    },
    publish(tick, servers, columns, count) {
      if (servers !== serversRef) {
        serversRef = servers;
        idJson = servers.map((s) => JSON.stringify(s.id));
        slotOf = new Map(servers.map((s, i) => [s.id, i]));
      }
      const ts = JSON.stringify(new Date(tick).toISOString());
      const lines = new Array<string>(count);
      for (let i = 0; i < count; i++) lines[i] = sampleLine(idJson[i]!, ts, columns, i);
      latest = { tick, lines, slotOf };
      fullBody = undefined;
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
      if (ids === undefined) {
        if (fullBody?.tick !== l.tick)
          fullBody = { tick: l.tick, body: latestBody(l.tick, l.lines) };
        return fullBody.body;
      }
      const picked: string[] = [];
      for (const id of ids) {
        const slot = l.slotOf.get(id);
        if (slot !== undefined && slot < l.lines.length) picked.push(l.lines[slot]!);
      }
      return latestBody(l.tick, picked);
    },
    close() {
      closed = true;
      for (const w of [...waiters]) w.done(undefined);
    },
  };
}
