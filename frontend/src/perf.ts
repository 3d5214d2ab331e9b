/**
 * Records how long a piece of work took as a User Timing measure that a `PerformanceObserver`
 * (the frontend benchmark) sees, then drops it from the timeline at once, so a dashboard left
 * open for weeks does not accumulate entries.
 */
export function measure(name: string, start: number): void {
  performance.measure(name, { start, end: performance.now() });
  performance.clearMeasures(name);
}
