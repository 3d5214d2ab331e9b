import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFrameTask } from '../src/frame-task.js';

describe('frame task', () => {
  let frames: Map<number, FrameRequestCallback>;
  let next: number;
  const runFrame = () => {
    const due = [...frames.values()];
    frames.clear();
    for (const cb of due) cb(0);
  };

  beforeEach(() => {
    frames = new Map();
    next = 1;
    vi.stubGlobal('requestAnimationFrame', (cb: FrameRequestCallback) => {
      frames.set(next, cb);
      return next++;
    });
    vi.stubGlobal('cancelAnimationFrame', (id: number) => frames.delete(id));
  });
  afterEach(() => vi.unstubAllGlobals());

  it('runs once on the next frame however many times it was requested', () => {
    const run = vi.fn();
    const task = createFrameTask(run);
    task.request();
    task.request();
    expect(task.pending).toBe(true);
    expect(frames.size).toBe(1);
    runFrame();
    expect(run).toHaveBeenCalledTimes(1);
    expect(task.pending).toBe(false);
  });

  it('can be requested again from inside its own run', () => {
    let runs = 0;
    const task = createFrameTask(() => {
      runs++;
      if (runs === 1) task.request();
    });
    task.request();
    runFrame();
    runFrame();
    expect(runs).toBe(2);
  });

  it('does not run once cancelled, and can be requested again', () => {
    const run = vi.fn();
    const task = createFrameTask(run);
    task.request();
    task.cancel();
    expect(task.pending).toBe(false);
    runFrame();
    expect(run).not.toHaveBeenCalled();
    task.request();
    runFrame();
    expect(run).toHaveBeenCalledTimes(1);
  });
});
