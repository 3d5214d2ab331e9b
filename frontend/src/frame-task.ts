/**
 * One piece of rendering that runs at most once per animation frame, however many changes
 * ask for it in between: the views' "invalidate, then draw on the next frame" pattern.
 */
export interface FrameTask {
  /** Runs the task on the next animation frame, unless it is already waiting for one. */
  request(): void;
  /** Drops a waiting run (the task may be requested again later). */
  cancel(): void;
  /** True while a run is waiting for its frame. */
  readonly pending: boolean;
}

export function createFrameTask(run: () => void): FrameTask {
  let id = 0;
  const onFrame = () => {
    id = 0;
    run();
  };
  return {
    request() {
      if (!id) id = requestAnimationFrame(onFrame);
    },
    cancel() {
      if (!id) return;
      cancelAnimationFrame(id);
      id = 0;
    },
    get pending() {
      return id !== 0;
    },
  };
}
