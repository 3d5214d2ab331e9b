import { createFleetValues, setFleetValues, type FleetFramePayload } from '@metrics/protocol';
import type { RawSample } from './latest-body.js';

export interface FleetIndex {
  /** The `servers` version the columns follow. */
  version: number;
  /** Position of each server id in that list. */
  index: ReadonlyMap<string, number>;
  count: number;
}

/**
 * Builds the tick's fleet frame (three Uint16 fixed-point columns, 6 bytes per server, codec in
 * `@metrics/protocol`) from the samples' JSON text. The three numbers are read where the
 * generator's key order puts them, with `JSON.parse` only as a fallback, so a frame for 10,000
 * servers costs a few milliseconds. Servers without a sample stay MISSING.
 */
export function buildFleetFrame(
  fleet: FleetIndex,
  tick: number,
  samples: readonly RawSample[],
): FleetFramePayload {
  const values = createFleetValues(fleet.count);
  for (const s of samples) {
    if (s.tick !== tick) continue;
    const i = fleet.index.get(s.serverId);
    if (i === undefined) continue;
    const v = readPcts(s.json);
    if (v) setFleetValues(values, fleet.count, i, v[0], v[1], v[2]);
  }
  return {
    tick,
    version: fleet.version,
    count: fleet.count,
    values: Buffer.from(values.buffer, values.byteOffset, values.byteLength),
  };
}

/** `[cpuPct, memPct, diskPct]` of one sample's JSON; undefined when it has no such numbers. */
export function readPcts(json: string): [number, number, number] | undefined {
  const cpu = readNumber(json, '"cpuPct":');
  const mem = readNumber(json, '"memPct":');
  const disk = readNumber(json, '"diskPct":');
  if (cpu !== undefined && mem !== undefined && disk !== undefined) return [cpu, mem, disk];
  try {
    const o = JSON.parse(json) as Record<string, unknown>;
    const { cpuPct, memPct, diskPct } = o;
    return typeof cpuPct === 'number' && typeof memPct === 'number' && typeof diskPct === 'number'
      ? [cpuPct, memPct, diskPct]
      : undefined;
  } catch {
    return undefined;
  }
}

function readNumber(json: string, key: string): number | undefined {
  const at = json.indexOf(key);
  if (at < 0) return undefined;
  const start = at + key.length;
  let end = start;
  for (; end < json.length; end++) {
    const c = json.charCodeAt(end);
    if (c === 44 /* , */ || c === 125 /* } */) break;
  }
  const text = json.slice(start, end);
  if (!/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}
