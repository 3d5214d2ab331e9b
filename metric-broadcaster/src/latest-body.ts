import { latestResponseSchema } from '@metrics/protocol/schemas';

/**
 * One sample as the generator serialized it: the exact JSON text of the object, kept as a string
 * so the broadcaster relays it to clients without parsing and re-encoding it.
 */
export interface RawSample {
  serverId: string;
  /** Epoch ms of the sample's tick. */
  tick: number;
  /** `{"serverId":"…","timestamp":"…",…}` exactly as the generator wrote it. */
  json: string;
}

export interface LatestTick {
  /** Epoch ms of the tick the answer holds (the newest tick among its samples). */
  tick: number;
  samples: RawSample[];
}

/** Thrown when a `/v1/latest` body is neither the documented layout nor valid JSON of its shape. */
export class LatestBodyError extends Error {
  override name = 'LatestBodyError';
}

const ID_PREFIX = '{"serverId":"';
const TS_INFIX = '","timestamp":"';
const SAFE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Splits a `GET /v1/latest` body into samples without `JSON.parse` when it has the layout the
 * generator guarantees (docs/architecture.md, "`/v1/latest` body layout"):
 *
 * ```
 * {"tick":<ms>,"samples":[
 * {"serverId":"server-1","timestamp":"…",…},
 * {"serverId":"server-2","timestamp":"…",…}
 * ]}
 * ```
 *
 * One sample per line, every line starting `{"serverId":"<id>","timestamp":"<iso>"`. Anything
 * else (other whitespace, key order, escapes in an id) falls back to `JSON.parse` + zod and
 * re-serializes each sample, so a relay never forwards text it did not understand.
 * `headerTick` is the `X-Tick` header, used when the body does not say.
 */
export function parseLatestBody(body: string, headerTick?: number): LatestTick {
  return parseFast(body, headerTick) ?? parseSlow(body, headerTick);
}

function parseFast(body: string, headerTick: number | undefined): LatestTick | undefined {
  if (!body.startsWith('{"tick":')) return undefined;
  const firstNl = body.indexOf('\n');
  if (firstNl < 0) return undefined;
  const head = body.slice(0, firstNl);
  const headMatch = /^\{"tick":(\d{1,16}),"samples":\[$/.exec(head);
  if (!headMatch) return undefined;
  const tick = Number(headMatch[1]);
  if (headerTick !== undefined && headerTick !== tick) return undefined;
  const tickIso = new Date(tick).toISOString();

  const samples: RawSample[] = [];
  let pos = firstNl + 1;
  for (;;) {
    const nl = body.indexOf('\n', pos);
    if (nl < 0) {
      // the last line must close the array and the object
      return body.slice(pos) === ']}' ? { tick, samples } : undefined;
    }
    let end = nl;
    if (body.charCodeAt(end - 1) === 44 /* , */) end--;
    if (end > pos) {
      if (!body.startsWith(ID_PREFIX, pos) || body.charCodeAt(end - 1) !== 125 /* } */) {
        return undefined;
      }
      const idStart = pos + ID_PREFIX.length;
      const idEnd = body.indexOf('"', idStart);
      if (idEnd < 0 || idEnd > end) return undefined;
      const serverId = body.slice(idStart, idEnd);
      if (!SAFE_ID.test(serverId) || !body.startsWith(TS_INFIX, idEnd)) return undefined;
      const tsStart = idEnd + TS_INFIX.length;
      const tsEnd = body.indexOf('"', tsStart);
      if (tsEnd < 0 || tsEnd > end) return undefined;
      const ts = body.slice(tsStart, tsEnd);
      const sampleTick = ts === tickIso ? tick : Date.parse(ts);
      if (!Number.isFinite(sampleTick)) return undefined;
      samples.push({ serverId, tick: sampleTick, json: body.slice(pos, end) });
    }
    pos = nl + 1;
  }
}

function parseSlow(body: string, headerTick: number | undefined): LatestTick {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new LatestBodyError('generator sent a /v1/latest body that is not JSON');
  }
  const parsed = latestResponseSchema.safeParse(json);
  if (!parsed.success) {
    throw new LatestBodyError('generator sent a /v1/latest body without a valid samples array');
  }
  const samples: RawSample[] = parsed.data.samples.map((s) => ({
    serverId: s.serverId,
    tick: Date.parse(s.timestamp),
    json: JSON.stringify(s),
  }));
  const bodyTick = (json as { tick?: unknown }).tick;
  const tick =
    typeof bodyTick === 'number' && Number.isSafeInteger(bodyTick)
      ? bodyTick
      : (headerTick ?? samples.reduce((max, s) => (s.tick > max ? s.tick : max), -1));
  if (tick < 0) throw new LatestBodyError('generator sent a /v1/latest body without a tick');
  return { tick, samples };
}
