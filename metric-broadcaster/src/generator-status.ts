import type { Logger } from 'pino';
import type { GeneratorStatus as Status, StatusPayload } from '@metrics/protocol';

export interface GeneratorStatusOptions {
  log: Logger;
  /** The status changed: tell every client (the `status` event). */
  onChange(payload: StatusPayload): void;
  /** The generator came back after being down (it may have another server list). */
  onRecovered(): void;
}

export interface GeneratorStatus {
  readonly current: Status;
  readonly up: boolean;
  /** Every finished generator request reports whether the generator answered. */
  report(ok: boolean): void;
  payload(): StatusPayload;
}

/**
 * Whether the generator answers, as the last finished request saw it: `down` until the first
 * answer. Nothing stale goes to a client while it is down (the routing asks `up`).
 */
export function createGeneratorStatus(opts: GeneratorStatusOptions): GeneratorStatus {
  let current: Status = 'down';
  const payload = (): StatusPayload => ({ generator: current, timestamp: Date.now() });
  return {
    get current() {
      return current;
    },
    get up() {
      return current === 'up';
    },
    payload,
    report(ok) {
      const next: Status = ok ? 'up' : 'down';
      if (next === current) return;
      const wasDown = current === 'down';
      current = next;
      opts.log.info({ generator: current }, ok ? 'generator is up' : 'generator is down');
      opts.onChange(payload());
      if (wasDown && ok) opts.onRecovered();
    },
  };
}
