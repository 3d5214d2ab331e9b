/**
 * The fleet overview's view state: every server's last known cpu/mem/disk, when each was last
 * seen, staleness, sorting, filtering and the summary. Pure and deterministic: no DOM, no timers,
 * no socket; `now` is always passed in. Columns are typed arrays so 10,000 servers cost a few
 * hundred kilobytes and a frame applies in well under a millisecond.
 */
import {
  expandServerInfos,
  isServerIdRange,
  type FleetFrame,
  type ServerInfo,
  type ServersPayload,
} from '@metrics/protocol';
import { matchesTerms, parseFilter, searchLabels } from './server-filter.js';
import { orderByValue } from './value-order.js';

export const FLEET_METRICS = ['cpuPct', 'memPct', 'diskPct'] as const;
export type FleetMetric = (typeof FLEET_METRICS)[number];
export type SortKey = 'name' | FleetMetric;
export type SortDir = 'asc' | 'desc';

export interface FleetQuery {
  filter: string;
  sortKey: SortKey;
  sortDir: SortDir;
}

export interface FleetSummary {
  total: number;
  reporting: number;
  stale: number;
  /** Means over the servers that reported in the latest frame; NaN when none did. */
  avg: Record<FleetMetric, number>;
  /** Index of the server with the highest CPU in the latest frame, -1 when none. */
  hottest: number;
  /** Servers at or above `HOT_PCT` CPU. */
  hot: number;
}

/** CPU at or above this is "hot" in the summary. */
export const HOT_PCT = 90;
/** A server is stale when nothing arrived for more than this many ticks. */
export const STALE_TICKS = 3;
export const DEFAULT_TICK_MS = 1000;

export type ApplyResult = 'applied' | 'pending' | 'old';

export interface FleetModel {
  readonly version: number;
  readonly ids: readonly string[];
  readonly count: number;
  readonly values: Readonly<Record<FleetMetric, Float32Array>>;
  /** Tick (epoch ms) of each server's last value; NaN when it never reported. */
  readonly seenTick: Float64Array;
  /** Tick of the latest applied frame; NaN before the first. */
  readonly tick: number;
  /** Local time the latest frame was applied; NaN before the first. */
  readonly receivedAt: number;
  /** Tick period estimated from consecutive frames. */
  readonly tickMs: number;
  /** Increments on every change, so views can skip work when nothing changed. */
  readonly revision: number;
  setServers(payload: ServersPayload): void;
  /** The server's entry in the `servers` list (source, labels, scrape state of real servers). */
  info(index: number): ServerInfo | undefined;
  applyFrame(frame: FleetFrame, now: number): ApplyResult;
  indexOf(id: string): number;
  isStale(index: number, now: number): boolean;
  /** Milliseconds since the server's last value, by the broadcaster's clock plus local elapsed. */
  ageOf(index: number, now: number): number;
  /** Server indices matching `query.filter`, sorted by `query.sortKey`. */
  view(query: FleetQuery): Uint32Array;
  summary(now: number): FleetSummary;
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/**
 * Whether the list is already in natural name order without comparing names: one range of
 * numbered ids (`server-1` … `server-N`, the simulated fleet), whose numbers ascend under one
 * prefix. Sorting 100,000 names with the collator costs about 50 ms a list.
 */
function inNaturalOrder(payload: ServersPayload): boolean {
  const [only, ...rest] = payload.servers;
  return rest.length === 0 && only !== undefined && isServerIdRange(only);
}

export function createFleetModel(): FleetModel {
  let version = -1;
  let ids: string[] = [];
  let infos: readonly ServerInfo[] = [];
  // Built when first needed, not with the list: at 100,000 servers the lookup map and the
  // filter's texts cost a fresh page about 100 ms before its first values, and most pages never
  // filter or look a server up by id.
  let searchable: { lowerIds: string[]; labelTexts: (readonly string[])[] } | undefined;
  let byIdMap: Map<string, number> | undefined;
  const byId = (): Map<string, number> => (byIdMap ??= new Map(ids.map((id, i) => [id, i])));
  const search = () =>
    (searchable ??= {
      lowerIds: ids.map((id) => id.toLowerCase()),
      labelTexts: infos.map(searchLabels),
    });
  /** Rank of each index in natural name order (server-2 before server-10). */
  let nameRank = new Uint32Array(0);
  /** Every index in natural name order (the inverse of `nameRank`). */
  let byName = new Uint32Array(0);
  let values: Record<FleetMetric, Float32Array> = emptyColumns(0);
  let seenTick = new Float64Array(0);
  let tick = NaN;
  let receivedAt = NaN;
  let tickMs = DEFAULT_TICK_MS;
  const recentPeriods: number[] = [];
  let revision = 0;
  let pending: { frame: FleetFrame; at: number } | undefined;
  let filterCache: { key: string; revisionOfIds: number; indices: Uint32Array } | undefined;
  let idsRevision = 0;

  function setServers(payload: ServersPayload): void {
    // The list comes compact (ranges plus explicit entries, protocol's server-list.ts).
    const nextInfos = expandServerInfos(payload.servers);
    if (nextInfos.length !== payload.count) throw new RangeError('servers: count does not match');
    if (payload.version === version && nextInfos.length === ids.length) {
      // Same servers in the same order; their details (a real server's state) may be new.
      infos = nextInfos;
      searchable = undefined;
      idsRevision++;
      revision++;
      return;
    }
    const nextIds = nextInfos.map((s) => s.id);
    const nextValues = emptyColumns(nextIds.length);
    const nextSeen = new Float64Array(nextIds.length).fill(NaN);
    // Carry every known server's values over to its new position (none before the first frame).
    if (Number.isFinite(tick)) {
      const old = byId();
      nextIds.forEach((id, i) => {
        const o = old.get(id);
        if (o === undefined) return;
        for (const m of FLEET_METRICS) nextValues[m][i] = values[m][o]!;
        nextSeen[i] = seenTick[o]!;
      });
    }
    infos = nextInfos;
    searchable = undefined;
    byIdMap = undefined;
    version = payload.version;
    ids = nextIds;
    const order = inNaturalOrder(payload)
      ? nextIds.map((_, i) => i)
      : nextIds.map((_, i) => i).sort((a, b) => collator.compare(nextIds[a]!, nextIds[b]!));
    nameRank = new Uint32Array(nextIds.length);
    order.forEach((index, rank) => (nameRank[index] = rank));
    byName = Uint32Array.from(order);
    values = nextValues;
    seenTick = nextSeen;
    idsRevision++;
    revision++;
    if (pending && pending.frame.version === version) {
      const { frame, at } = pending;
      pending = undefined;
      applyFrame(frame, at);
    }
  }

  function applyFrame(frame: FleetFrame, now: number): ApplyResult {
    if (frame.version !== version || frame.count !== ids.length) {
      // The `servers` list for this version has not arrived yet: keep the newest such frame.
      if (!pending || frame.tick >= pending.frame.tick) pending = { frame, at: now };
      return 'pending';
    }
    if (Number.isFinite(tick) && frame.tick <= tick) return 'old';
    if (Number.isFinite(tick)) {
      recentPeriods.push(frame.tick - tick);
      if (recentPeriods.length > 10) recentPeriods.shift();
      tickMs = Math.min(...recentPeriods);
    }
    const n = frame.count;
    const { cpuPct, memPct, diskPct } = frame;
    for (let i = 0; i < n; i++) {
      const cpu = cpuPct[i]!;
      // A server absent from this tick keeps its last values and its old seenTick: it is stale.
      if (cpu !== cpu) continue;
      values.cpuPct[i] = cpu;
      values.memPct[i] = memPct[i]!;
      values.diskPct[i] = diskPct[i]!;
      seenTick[i] = frame.tick;
    }
    tick = frame.tick;
    receivedAt = now;
    revision++;
    return 'applied';
  }

  function ageOf(index: number, now: number): number {
    const seen = seenTick[index];
    if (seen === undefined || Number.isNaN(seen) || Number.isNaN(tick)) return Infinity;
    return tick - seen + Math.max(0, now - receivedAt);
  }

  function isStale(index: number, now: number): boolean {
    const seen = seenTick[index];
    if (seen === undefined || seen !== tick) return true; // missing from the latest frame
    return now - receivedAt > STALE_TICKS * tickMs;
  }

  function filtered(filter: string): Uint32Array {
    const key = filter.trim().toLowerCase();
    if (filterCache && filterCache.key === key && filterCache.revisionOfIds === idsRevision) {
      return filterCache.indices;
    }
    let indices: Uint32Array;
    if (!key) {
      indices = new Uint32Array(ids.length);
      for (let i = 0; i < ids.length; i++) indices[i] = i;
    } else {
      const terms = parseFilter(key);
      const { lowerIds, labelTexts } = search();
      const hits: number[] = [];
      for (let i = 0; i < lowerIds.length; i++) {
        if (matchesTerms(terms, lowerIds[i]!, labelTexts[i]!)) hits.push(i);
      }
      indices = Uint32Array.from(hits);
    }
    filterCache = { key, revisionOfIds: idsRevision, indices };
    return indices;
  }

  function view(query: FleetQuery): Uint32Array {
    const out = filtered(query.filter).slice();
    const sign = query.sortDir === 'asc' ? 1 : -1;
    if (query.sortKey === 'name') {
      return out.sort((a, b) => sign * (nameRank[a]! - nameRank[b]!));
    }
    // Linear: hundredths of a percent, ties in name order, never-reported last (value-order.ts).
    return orderByValue(out, byName, values[query.sortKey], query.sortDir);
  }

  function summary(now: number): FleetSummary {
    const sums = { cpuPct: 0, memPct: 0, diskPct: 0 };
    let reporting = 0;
    let hottest = -1;
    let hottestCpu = -Infinity;
    let hot = 0;
    const fresh = !(now - receivedAt > STALE_TICKS * tickMs);
    for (let i = 0; i < ids.length; i++) {
      if (seenTick[i] !== tick || !fresh) continue;
      reporting++;
      const cpu = values.cpuPct[i]!;
      sums.cpuPct += cpu;
      sums.memPct += values.memPct[i]!;
      sums.diskPct += values.diskPct[i]!;
      if (cpu > hottestCpu) {
        hottestCpu = cpu;
        hottest = i;
      }
      if (cpu >= HOT_PCT) hot++;
    }
    const mean = (s: number) => (reporting ? s / reporting : NaN);
    return {
      total: ids.length,
      reporting,
      stale: ids.length - reporting,
      avg: { cpuPct: mean(sums.cpuPct), memPct: mean(sums.memPct), diskPct: mean(sums.diskPct) },
      hottest,
      hot,
    };
  }

  return {
    get version() {
      return version;
    },
    get ids() {
      return ids;
    },
    get count() {
      return ids.length;
    },
    get values() {
      return values;
    },
    get seenTick() {
      return seenTick;
    },
    get tick() {
      return tick;
    },
    get receivedAt() {
      return receivedAt;
    },
    get tickMs() {
      return tickMs;
    },
    get revision() {
      return revision;
    },
    setServers,
    info: (index) => infos[index],
    applyFrame,
    indexOf: (id) => byId().get(id) ?? -1,
    isStale,
    ageOf,
    view,
    summary,
  };
}

function emptyColumns(n: number): Record<FleetMetric, Float32Array> {
  return {
    cpuPct: new Float32Array(n).fill(NaN),
    memPct: new Float32Array(n).fill(NaN),
    diskPct: new Float32Array(n).fill(NaN),
  };
}
