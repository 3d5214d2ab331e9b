/** The generator bench's result and its summary table (`npm run bench:generator`). */
import type { Bench } from './result.js';
import { type Json, arr, at, ms, num, table, targets } from './summary-format.js';

export const generatorBench: Bench<Json> = {
  name: 'generator',
  title: 'Generator',
  flags: (full) => (full ? [] : ['--quick']),
  fromJson: (json) => ({ name: 'generator', json, table: () => generatorSection(json) }),
};

function generatorSection(j: Json): string {
  const rows = arr(j.results).map((r) => [
    num(r.servers, 0),
    ms(at(r, 'work.p50'), 1),
    ms(at(r, 'work.p99'), 1),
    ms(at(r, 'write.p50'), 1),
    ms(at(r, 'write.p99'), 1),
    num(r.rowsPerSecond, 0),
    num(r.ratioToBestBare, 2),
    num(r.missedTicks, 0),
    `${num(r.rssPeakMb)} MiB`,
  ]);
  const steady = j.steadyState as Json | undefined;
  if (steady?.servers) {
    rows.push([
      `${num(steady.servers, 0)} (${num(steady.historyTicks, 0)} ticks of history)`,
      ms(at(steady, 'work.p50'), 1),
      ms(at(steady, 'work.p99'), 1),
      ms(at(steady, 'write.p50'), 1),
      ms(at(steady, 'write.p99'), 1),
      num(steady.rowsPerSecond, 0),
      '–',
      num(steady.missedTicks, 0),
      `${num(steady.rssPeakMb)} MiB`,
    ]);
  }
  return [
    `Tick work of the real generator at TICK_MS = ${num(j.tickMs, 0)} (${num(j.ticksPerRun ?? j.ticksPerSize, 0)} ticks per size).`,
    table(
      [
        'servers',
        'tick work p50',
        'tick work p99',
        'write p50',
        'write p99',
        'rows/s',
        'vs bare insert',
        'missed ticks',
        'RSS peak',
      ],
      rows,
    ),
    targets(j.targets),
  ]
    .filter(Boolean)
    .join('\n\n');
}
