/**
 * One server's live series while its detail page is open: subscribe, fill five minutes from
 * `history`, append every `metrics` sample, and after any interruption (reconnect, hidden tab,
 * a tick that never arrived) fetch exactly the missing ticks from `history`, so the charts hold
 * every second the generator recorded. Leaving unsubscribes.
 */
import { HISTORY_LIMIT_MAX } from '@metrics/protocol';
import type { DashboardSocket } from './dashboard-socket.js';
import { createSeriesBuffer, WINDOW_MS, type SeriesBuffer } from './series-buffer.js';
import type { ServerClock } from './server-clock.js';

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 15_000;

export type DetailStatus = 'loading' | 'ready' | 'unknown-server' | 'error';

export interface DetailSession {
  readonly serverId: string;
  readonly buffer: SeriesBuffer;
  readonly status: DetailStatus;
  readonly error: string | undefined;
  readonly active: boolean;
  /** Backfill requests sent so far (for the page's own diagnostics and tests). */
  readonly backfills: number;
  setActive(active: boolean): void;
  close(): void;
}

export interface DetailSessionOptions {
  socket: DashboardSocket;
  serverId: string;
  clock: ServerClock;
  onChange: () => void;
  windowMs?: number;
}

export function createDetailSession(options: DetailSessionOptions): DetailSession {
  const { socket, serverId, clock, onChange } = options;
  const windowMs = options.windowMs ?? WINDOW_MS;
  const buffer = createSeriesBuffer(serverId, windowMs);
  let status: DetailStatus = 'loading';
  let error: string | undefined;
  let active = true;
  let closed = false;
  let subscribed = false;
  /** Bumped on every (re)sync so answers to an older sync are ignored. */
  let generation = 0;
  let backfills = 0;
  let backfilling = false;
  /** A (re)sync is filling from history: gap checks wait for it. */
  let syncing = false;
  const attempted = new Set<string>();
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let retryMs = RETRY_MIN_MS;
  let gapTimer: ReturnType<typeof setTimeout> | undefined;

  const limitFor = (spanMs: number) =>
    Math.min(HISTORY_LIMIT_MAX, Math.ceil(spanMs / buffer.tickMs) + 5);

  function changed() {
    buffer.trim(clock.now());
    onChange();
  }

  async function sync(): Promise<void> {
    if (closed || !active || !socket.connected) return;
    const gen = ++generation;
    clearTimeout(retryTimer);
    attempted.clear();
    syncing = true;
    // Where the held series ends now: live samples that arrive during the sync must not hide
    // the hole between it and them.
    const resumeAfter = buffer.latest?.t;
    try {
      await resync(gen, resumeAfter);
    } finally {
      if (gen === generation) syncing = false;
    }
    void backfillGaps();
  }

  async function resync(gen: number, resumeAfter: number | undefined): Promise<void> {
    const ack = await socket.subscribe([serverId]);
    if (ack.ok && !ack.unknown.includes(serverId)) subscribed = true;
    if (gen !== generation) {
      // Left (hidden tab, closed page) while the ack was in flight.
      if (subscribed && (closed || !active)) release();
      return;
    }
    if (!ack.ok) {
      status = 'error';
      error = ack.error;
      onChange();
      return;
    }
    if (ack.unknown.includes(serverId)) {
      status = 'unknown-server';
      onChange();
      return;
    }
    // Subscribed first, then history up to now: live samples cover everything after it and
    // the overlap is deduplicated, so nothing falls between the two.
    // The broadcaster takes whole epoch milliseconds only.
    const now = Math.floor(clock.now());
    const from =
      resumeAfter === undefined ? now - windowMs : Math.max(resumeAfter + 1, now - windowMs);
    // The batched form, as every client backfilling after a reconnect should: one request
    // however many servers it watches (this view watches one).
    const history = await socket.historyBatch({
      serverIds: [serverId],
      from,
      limit: limitFor(now - from),
    });
    if (gen !== generation) return;
    if (history.ok) {
      for (const s of history.series) buffer.add(s.samples);
      status = 'ready';
      error = undefined;
      retryMs = RETRY_MIN_MS;
    } else {
      if (status === 'loading') {
        status = 'error';
        error = history.error;
      }
      // The fill failed (generator briefly unreachable, timeout, queue full): try again,
      // backing off, and never sooner than the broadcaster asked.
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => void sync(), Math.max(retryMs, history.retryAfterMs ?? 0));
      retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
    }
    changed();
  }

  function release() {
    if (subscribed && socket.connected) void socket.unsubscribe([serverId]);
    subscribed = false;
  }

  /** Asks `history` once for each hole between held points; one request in flight. */
  async function backfillGaps(): Promise<void> {
    if (backfilling || syncing || closed || !socket.connected) return;
    backfilling = true;
    try {
      for (;;) {
        const gen = generation;
        const gap = buffer.gaps().find((g) => !attempted.has(`${g.from}:${g.to}`));
        if (!gap) return;
        attempted.add(`${gap.from}:${gap.to}`);
        backfills++;
        const ack = await socket.history({
          serverId,
          from: gap.from,
          to: gap.to,
          limit: limitFor(gap.to - gap.from + buffer.tickMs),
        });
        if (closed || gen !== generation) return;
        if (ack.ok && buffer.add(ack.samples) > 0) changed();
        if (!ack.ok && ack.retryAfterMs !== undefined) {
          // Refused for now (queue full, generator busy): ask for this gap again later.
          attempted.delete(`${gap.from}:${gap.to}`);
          clearTimeout(gapTimer);
          gapTimer = setTimeout(() => void backfillGaps(), ack.retryAfterMs);
          return;
        }
      }
    } finally {
      backfilling = false;
    }
  }

  const offs = [
    socket.on('metrics', (payload) => {
      clock.observe(payload.timestamp);
      if (closed) return;
      if (buffer.add(payload.data) > 0) {
        if (status !== 'ready' && status !== 'unknown-server') status = 'ready';
        changed();
        void backfillGaps();
      }
    }),
    socket.on('connect', () => {
      subscribed = false;
      void sync();
    }),
    socket.on('disconnect', () => {
      subscribed = false;
      syncing = false;
      generation++;
    }),
    socket.on('servers', (payload) => {
      // A server the broadcaster did not know yet may appear with the next discovery.
      if (status === 'unknown-server' && payload.servers.some((s) => s.id === serverId)) {
        status = 'loading';
        void sync();
      }
    }),
  ];

  void sync();

  return {
    serverId,
    buffer,
    get status() {
      return status;
    },
    get error() {
      return error;
    },
    get active() {
      return active;
    },
    get backfills() {
      return backfills;
    },
    setActive(next) {
      if (next === active || closed) return;
      active = next;
      if (active) {
        void sync();
      } else {
        generation++;
        syncing = false;
        release();
      }
    },
    close() {
      if (closed) return;
      closed = true;
      generation++;
      clearTimeout(retryTimer);
      clearTimeout(gapTimer);
      for (const off of offs) off();
      release();
    },
  };
}
