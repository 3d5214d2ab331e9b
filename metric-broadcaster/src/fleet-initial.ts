import type { Logger } from 'pino';
import type { EncodedFleetFrame, Fanout } from './fanout.js';
import { buildFleetFrame, type FleetIndex } from './fleet-builder.js';
import type { GeneratorClient } from './generator-client.js';
import type { RawSample } from './latest-body.js';
import type { BroadcasterSocket } from './socket-types.js';

export interface FleetInitialOptions {
  fanout: Fanout;
  client: GeneratorClient;
  /** The `servers` list the frame's columns follow. */
  fleetIndex(): FleetIndex;
  /** Newest tick the poll loop has seen: a kept frame older than this is not reused. */
  currentTick(): number;
  /** Stores fetched samples for `subscribe`'s immediate sample. */
  remember(samples: readonly RawSample[]): void;
  generatorUp(): boolean;
  /** A kept frame is reused for at most this long after it was built (`POLL_INTERVAL_MS`). */
  maxAgeMs: number;
  timeoutMs: number;
  log: Logger;
}

export interface FleetInitial {
  /**
   * Sends a socket that just joined the `fleet` room one frame of the newest tick available,
   * unless it already has that tick or a newer one. Never rejects; sends nothing while the
   * generator is down (`status` says so) or when the fetch fails.
   */
  sendTo(socket: BroadcasterSocket): Promise<void>;
}

/**
 * The first `fleet` frame of a socket that joins the fleet room, so an overview shows values at
 * connect time instead of at the next tick. The frame the last tick's fan-out built is reused
 * while it is the newest the broadcaster knows (same `servers` version, no newer tick seen, built
 * less than a poll period ago); otherwise one `GET /v1/latest` (every server, no `after`: answered
 * at once) is shared by every socket that joins while it is in flight, and its frame is kept for
 * those that join after it until the next tick.
 */
export function createFleetInitial(opts: FleetInitialOptions): FleetInitial {
  const { fanout, client, log } = opts;
  let inFlight: Promise<EncodedFleetFrame | undefined> | undefined;

  function usable(frame: EncodedFleetFrame | undefined): frame is EncodedFleetFrame {
    return (
      frame !== undefined &&
      frame.version === opts.fleetIndex().version &&
      frame.tick >= opts.currentTick() &&
      Date.now() - frame.builtAt <= opts.maxAgeMs
    );
  }

  async function fetchFrame(): Promise<EncodedFleetFrame | undefined> {
    let answer: Awaited<ReturnType<GeneratorClient['latest']>>;
    try {
      answer = await client.latest({ timeoutMs: opts.timeoutMs, kind: 'fleet_initial' });
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'fleet frame fetch for a new member failed');
      return undefined;
    }
    if (answer === 'no-tick') return undefined;
    opts.remember(answer.samples);
    const index = opts.fleetIndex();
    if (!index.count) return undefined;
    return fanout.rememberFleet(buildFleetFrame(index, answer.tick, answer.samples));
  }

  function newest(): Promise<EncodedFleetFrame | undefined> {
    const kept = fanout.lastFleet();
    if (usable(kept)) return Promise.resolve(kept);
    inFlight ??= fetchFrame().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  return {
    async sendTo(socket) {
      if (!opts.generatorUp()) return;
      try {
        const frame = await newest();
        if (frame) fanout.sendFleetTo(socket, frame);
      } catch (err) {
        log.error({ err, socket: socket.id }, 'initial fleet frame failed');
      }
    },
  };
}
