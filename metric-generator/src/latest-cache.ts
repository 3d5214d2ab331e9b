import { createFleetFrame, serverListVersion, setFleetValues } from '@metrics/protocol';
import { createSampleColumns, type SampleColumns } from './simulation.js';
import type { ServerRef } from './server-ids.js';
import {
  samplePrefixes,
  serializeSlots,
  serializeTick,
  type SamplePrefixes,
} from './sample-bytes.js';

/**
 * The last committed tick, kept in memory for `GET /v1/latest`, `GET /v1/fleet` and
 * `/v1/servers/:id/latest`. At commit it keeps a copy of the tick's columns and builds the binary
 * fleet frame (protocol's fleet-frame.ts), so the overview costs a reader neither JSON nor
 * parsing. JSON is written from the columns when asked (see sample-bytes.ts, keys in the order of
 * the `Sample` type, `serverId` first): an answer for some ids costs those ids, and the body of
 * every server is built at most once per tick, by its first reader. So the tick's critical path
 * does not grow with a JSON body of the whole fleet nobody may read (15 MB at 100,000 servers).
 * Long-poll waiters are released when the next tick commits, at their deadline, or at close.
 */
export interface LatestTick {
  /** Epoch ms of the tick. */
  tick: number;
  /** Servers in the tick. */
  count: number;
  /** Slot of each server id. */
  slotOf: ReadonlyMap<string, number>;
  /** The tick's values (a copy: the sampler reuses its columns). */
  columns: SampleColumns;
  /** The `/v1/fleet` body: the encoded fleet frame of every server of the tick. */
  fleet: Buffer;
  /** `serverListVersion` of the tick's server ids, which `/v1/servers` also serves. */
  version: number;
  /** Each slot's constant JSON start (`{"serverId":…,"timestamp":`). */
  prefixes: SamplePrefixes;
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
  /** The `/v1/latest` body for `ids` (all servers when undefined), per docs/architecture.md. */
  body(latest: LatestTick, ids?: readonly string[]): Buffer;
  readonly waiting: number;
  /** Releases every waiter with `undefined`; later waits resolve at once with `undefined`. */
  close(): void;
}

const bodyHead = (tick: number) => `{"tick":${tick},"samples":[\n`;
const BODY_TAIL = '\n]}';

/** Whether slot `slot` has a sample in `latest` (a real server may have none this tick). */
export function hasSample(latest: LatestTick, slot: number): boolean {
  return slot < latest.count && !Number.isNaN(latest.columns.cpuPct[slot]!);
}

/** One server's sample object of `latest`, as JSON bytes (`hasSample` must hold). */
export function sampleJson(latest: LatestTick, slot: number): Buffer {
  const timestamp = new Date(latest.tick).toISOString();
  return serializeSlots('', '', timestamp, latest.prefixes, latest.columns, [slot]);
}

/** A copy of the first `count` slots of `columns`. */
function snapshot(columns: SampleColumns, count: number): SampleColumns {
  const copy = createSampleColumns(count);
  for (const key of COLUMN_KEYS) copy[key].set(columns[key].subarray(0, count));
  return copy;
}
const COLUMN_KEYS = ['cpuPct', 'memPct', 'diskPct', 'netRxBps', 'netTxBps', 'load1'] as const;

/** The tick's fleet frame: the cpu, mem and disk columns of its `count` servers. */
function fleetFrame(tick: number, version: number, columns: SampleColumns, count: number): Buffer {
  const frame = createFleetFrame({ tick, version, count });
  const { cpuPct, memPct, diskPct } = columns;
  for (let i = 0; i < count; i++) {
    setFleetValues(frame.values, count, i, cpuPct[i]!, memPct[i]!, diskPct[i]!);
  }
  return Buffer.from(frame.bytes.buffer, frame.bytes.byteOffset, frame.bytes.byteLength);
}

export function createLatestCache(): LatestCache {
  let latest: LatestTick | undefined;
  let closed = false;
  const waiters = new Set<{ after: number; done: (r: WaitResult) => void }>();
  let prefixes: SamplePrefixes | undefined;
  let slotOf = new Map<string, number>();
  let serversRef: readonly ServerRef[] | undefined;
  let version = 0;
  /** Each tick's body of every server, once someone asked for it. */
  const fullBodies = new WeakMap<LatestTick, Buffer>();

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
        version = serverListVersion(servers.map((s) => s.id));
      }
      latest = {
        tick,
        count,
        slotOf,
        columns: snapshot(columns, count),
        fleet: fleetFrame(tick, version, columns, count),
        version,
        prefixes,
      };
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
        let full = fullBodies.get(l);
        if (!full) {
          full = serializeTick(
            bodyHead(l.tick),
            BODY_TAIL,
            new Date(l.tick).toISOString(),
            l.prefixes,
            l.columns,
            l.count,
          ).body;
          fullBodies.set(l, full);
        }
        return full;
      }
      const slots: number[] = [];
      for (const id of ids) {
        const slot = l.slotOf.get(id);
        if (slot !== undefined && hasSample(l, slot)) slots.push(slot);
      }
      return serializeSlots(
        bodyHead(l.tick),
        BODY_TAIL,
        new Date(l.tick).toISOString(),
        l.prefixes,
        l.columns,
        slots,
      );
    },
    close() {
      closed = true;
      for (const w of [...waiters]) w.done(undefined);
    },
  };
}
