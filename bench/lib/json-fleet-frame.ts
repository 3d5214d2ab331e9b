import { createFleetFrame, setFleetValues } from '@metrics/protocol';
import type { FleetBytes } from '../../metric-broadcaster/src/generator-client.js';
import type { RawSample } from '../../metric-broadcaster/src/latest-body.js';

/** The server list a JSON-built frame follows: its version and each id's column. */
export interface FleetIndex {
  version: number;
  index: ReadonlyMap<string, number>;
  count: number;
}

/**
 * The broadcaster's fleet frame as it was built before the generator published one (kept here
 * for bench:broadcaster's side-by-side `json-relay` run only): from every server's sample JSON
 * of `/v1/latest`, reading the three percentages where the generator's key order puts them
 * (`JSON.parse` only as a fallback). Servers without a sample stay MISSING.
 */
export function jsonFleetFrame(
  fleet: FleetIndex,
  tick: number,
  samples: readonly RawSample[],
): FleetBytes {
  const { version, count } = fleet;
  const frame = createFleetFrame({ tick, version, count });
  for (const s of samples) {
    if (s.tick !== tick) continue;
    const i = fleet.index.get(s.serverId);
    if (i === undefined) continue;
    const v = readPcts(s.json);
    if (v) setFleetValues(frame.values, count, i, v[0], v[1], v[2]);
  }
  const bytes = Buffer.from(frame.bytes.buffer, frame.bytes.byteOffset, frame.bytes.byteLength);
  return { tick, version, count, bytes };
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
