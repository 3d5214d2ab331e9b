/** The exporters bench's result and its summary table (`npm run bench:exporters`). */
import type { Bench } from './result.js';
import { type Json, arr, at, ms, num, table } from './summary-format.js';

export const exportersBench: Bench<Json> = {
  name: 'exporters',
  title: 'Exporters',
  flags: (full) => (full ? [] : ['--quick']),
  fromJson: (json) => ({ name: 'exporters', json, table: () => exportersSection(json) }),
};

/** Share of the measured scrapes that gave a sample (`ok`), e.g. `99.8 %`. */
function okShare(scrapes: unknown): string {
  if (!scrapes || typeof scrapes !== 'object') return '–';
  const counts = Object.values(scrapes as Record<string, number>);
  const total = counts.reduce((a, b) => a + b, 0);
  const ok = (scrapes as Record<string, number>).ok ?? 0;
  return total ? `${Math.round((1000 * ok) / total) / 10} %` : '–';
}

function exportersSection(j: Json): string {
  const rows = arr(j.results).flatMap((r) =>
    (['exporters', 'simulated'] as const).map((kind) => {
      const x = (r[kind] ?? {}) as Json;
      return [
        num(r.targets, 0),
        kind,
        `${ms(at(x, 'sample.p50'), 1)} / ${ms(at(x, 'sample.p99'), 1)}`,
        `${ms(at(x, 'work.p50'), 1)} / ${ms(at(x, 'work.p99'), 1)}`,
        `${num(x.cpuMsPerTick, 1)} ms`,
        num(x.rowsPerTick, 1),
        kind === 'simulated' ? '–' : okShare(x.scrapes),
        num(x.missedTicks, 0),
        kind === 'exporters' ? `${num(r.scrapeCpuUsPerTarget, 0)} µs` : '–',
      ];
    }),
  );
  return [
    `Scraping fake node_exporters (a real exporter's ${num(at(j, 'parse.bytes'), 0)}-byte body) at TICK_MS = ${num(j.tickMs, 0)}, beside as many simulated servers; parse + mapping of one body alone: ${num(at(j, 'parse.usPerBody'), 0)} µs. Load average at start: ${arr(j.loadAverageStart).join(' ')}.`,
    table(
      [
        'targets',
        'run',
        'sample p50 / p99',
        'tick work p50 / p99',
        'CPU per tick',
        'rows per tick',
        'scrapes ok',
        'missed ticks',
        'scrape CPU per target',
      ],
      rows,
    ),
  ].join('\n\n');
}
