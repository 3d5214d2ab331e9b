/** The frontend bench's result and its summary table (`npm run bench:frontend`). */
import type { Bench } from './result.js';
import { type Json, arr, at, ms, num, table, targets } from './summary-format.js';

export const frontendBench: Bench<Json> = {
  name: 'frontend',
  title: 'Frontend',
  flags: (full) => (full ? [] : ['--quick']),
  fromJson: (json) => ({ name: 'frontend', json, table: () => frontendSection(json) }),
};

function frontendSection(j: Json): string {
  const rows = arr(j.scenarios).map((s) => [
    String(s.name ?? '?'),
    num(s.fps),
    `${ms(at(s, 'frameGapMs.p50'), 1)} / ${ms(at(s, 'frameGapMs.p99'), 1)}`,
    `${num(s.busyMsPerSecond, 0)} ms/s`,
    `${num(s.longTasks, 0)} (${ms(s.longTaskMs)})`,
    ms(at(s, 'renderMs.p99'), 1),
  ]);
  const bundle = j.bundle as Json | undefined;
  return [
    `Overview at SERVER_COUNT = ${num(j.serverCount, 0)} in Chromium ${String(at(j, 'machine.chromium') ?? '')}, viewport ${String(j.viewport ?? '?')}. ` +
      `Time to first data over ${num(at(j, 'firstDataMs.loads'), 0)} fresh page loads (median / worst): server names ${ms(at(j, 'firstDataMs.serverNames.p50'))} / ${ms(at(j, 'firstDataMs.serverNames.max'))}, values ${ms(at(j, 'firstDataMs.values.p50'))} / ${ms(at(j, 'firstDataMs.values.max'))} after navigation.` +
      (bundle
        ? ` Bundle: JS ${num(bundle.jsGzipKB)} KB gzip (${num(bundle.jsKB)} KB), CSS ${num(bundle.cssGzipKB)} KB gzip; budget ${num(bundle.budgetGzipKB, 0)} KB.`
        : ''),
    table(
      ['scenario', 'fps', 'frame gap p50 / p99', 'main thread busy', 'long tasks', 'render p99'],
      rows,
    ),
    targets(j.targets),
  ]
    .filter(Boolean)
    .join('\n\n');
}
