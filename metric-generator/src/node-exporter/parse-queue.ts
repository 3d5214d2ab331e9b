/**
 * Where the scrapes' parsing waits its turn behind the sockets (issue 12, point 4).
 *
 * Every target of a tick is asked at once, and the answers come in over the next tens of ms. A
 * parse run as soon as its answer is complete holds the thread for its whole length, while the
 * other answers sit unread in the kernel: at 1,000 targets the last ones were read after their
 * deadline although they had arrived in time. Here an answer is read off its socket first (its
 * arrival is what the deadline judges) and its parse is queued; the queue runs in slices of at
 * most `sliceMs` between turns of the event loop, so the sockets are read at least that often.
 */
export interface ParseQueue {
  /** Runs `job` in a later slice; settles with its result. */
  run<T>(job: () => T): Promise<T>;
}

export interface ParseQueueOptions {
  /** Longest run of jobs before the event loop gets a turn (default 4 ms). */
  sliceMs?: number;
  /** Schedules the next slice after pending I/O (default `setImmediate`). */
  schedule?: (fn: () => void) => void;
  now?: () => number;
}

interface Job {
  job: () => unknown;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

export function createParseQueue({
  sliceMs = 4,
  schedule = setImmediate,
  now = () => performance.now(),
}: ParseQueueOptions = {}): ParseQueue {
  let queue: Job[] = [];
  let head = 0;
  let scheduled = false;

  function drain(): void {
    scheduled = false;
    const until = now() + sliceMs;
    while (head < queue.length) {
      const { job, resolve, reject } = queue[head]!;
      queue[head++] = undefined as unknown as Job;
      try {
        resolve(job());
      } catch (err) {
        reject(err);
      }
      if (now() >= until) break;
    }
    if (head < queue.length) {
      scheduled = true;
      schedule(drain);
    } else {
      queue = [];
      head = 0;
    }
  }

  return {
    run<T>(job: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ job, resolve: resolve as (v: unknown) => void, reject });
        if (!scheduled) {
          scheduled = true;
          schedule(drain);
        }
      });
    },
  };
}
