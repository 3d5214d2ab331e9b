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
  // One entry per fleet size; results written before sizes were run together are one size.
  const runs = j.runs ? arr(j.runs) : [j];
  const bundle = j.bundle as Json | undefined;
  const load = at(j, 'machine.loadAverage.before') as number[] | undefined;
  const parts = [
    `Overview in Chromium ${String(at(j, 'machine.chromium') ?? '')}, viewport ${String(j.viewport ?? '?')}.` +
      (load ? ` Load average before: ${load.join(' / ')}.` : '') +
      (bundle
        ? ` Bundle: JS ${num(bundle.jsGzipKB)} KB gzip (${num(bundle.jsKB)} KB), CSS ${num(bundle.cssGzipKB)} KB gzip; budget ${num(bundle.budgetGzipKB, 0)} KB.`
        : ''),
  ];
  const base = j.baseline as Json | undefined;
  if (base) {
    parts.push(
      `Baseline, SERVER_COUNT = ${num(base.serverCount, 0)} in the same run (the page's own floor on this machine): values ${ms(at(base, 'firstDataMs.values.p50'))} / ${ms(at(base, 'firstDataMs.values.max'))} after navigation (median / worst of ${num(at(base, 'firstDataMs.loads'), 0)}).`,
    );
  }
  for (const r of runs) {
    parts.push(
      `SERVER_COUNT = ${num(r.serverCount, 0)}: time to first data over ${num(at(r, 'firstDataMs.loads'), 0)} fresh page loads (median / worst): server names ${ms(at(r, 'firstDataMs.serverNames.p50'))} / ${ms(at(r, 'firstDataMs.serverNames.max'))}, values ${ms(at(r, 'firstDataMs.values.p50'))} / ${ms(at(r, 'firstDataMs.values.max'))} after navigation.`,
      table(
        ['scenario', 'fps', 'frame gap p50 / p99', 'main thread busy', 'long tasks', 'render p99'],
        arr(r.scenarios).map((s) => [
          String(s.name ?? '?'),
          num(s.fps),
          `${ms(at(s, 'frameGapMs.p50'), 1)} / ${ms(at(s, 'frameGapMs.p99'), 1)}`,
          `${num(s.busyMsPerSecond, 0)} ms/s`,
          `${num(s.longTasks, 0)} (${ms(s.longTaskMs)})`,
          ms(at(s, 'renderMs.p99'), 1),
        ]),
      ),
    );
    const lh = r.lighthouse as Json | undefined;
    if (lh) {
      parts.push(
        table(
          ['Lighthouse (mobile)', 'performance', 'accessibility', 'best practices', 'CLS'],
          Object.entries(lh).map(([view, v]) => [
            view,
            num(at(v as Json, 'scores.performance'), 0),
            num(at(v as Json, 'scores.accessibility'), 0),
            num(at(v as Json, 'scores.best-practices'), 0),
            num((v as Json).cls, 3),
          ]),
        ),
      );
    }
  }
  parts.push(targets(j.targets));
  return parts.filter(Boolean).join('\n\n');
}
