/** The soak bench's result and its summary table (`npm run bench:soak`). */
import type { Bench } from './result.js';
import { type Json, arr, at, ms, num, ordinal, table } from './summary-format.js';

export const soakBench: Bench<Json> = {
  name: 'soak',
  title: 'Soak',
  flags: (full) => (full ? ['--full'] : []),
  fromJson: (json) => ({ name: 'soak', json, table: () => soakSection(json) }),
};

function soakSection(j: Json): string {
  const c = (j.config ?? {}) as Json;
  const d = (j.delivery ?? {}) as Json;
  const rss = (j.broadcasterRss ?? {}) as Json;
  const causes = Object.entries((d.causes ?? {}) as Json)
    .filter(([, n]) => typeof n === 'number' && n > 0)
    .map(([cause, n]) => `${cause} ${num(n, 0)}`)
    .join(', ');
  const lines = [
    `${num(c.clients, 0)} clients (${num(c.loadProcesses, 0)} load processes, + ${num(c.probes, 0)} probes) × ${num(c.perClient, 0)} servers of SERVER_COUNT = ${num(c.servers, 0)}, every ${ordinal(c.fleetEvery)} on the fleet; ${num(c.warmupS, 0)} s warm-up, ${num(c.measureS, 0)} s measured${j.full ? ' (--full)' : ''}.`,
    table(
      ['measure', 'result'],
      [
        [
          'machine load average (1 min) before / after',
          `${num(at(j, 'machine.loadAverage1m.before'), 2)} / ${num(at(j, 'machine.loadAverage1m.after'), 2)}`,
        ],
        [
          'samples delivered (client × server × tick)',
          `${num(d.received, 0)} of ${num(d.expected, 0)}: lost ${num(d.lost, 0)} (${num(d.lossPct, 4)} %)${causes ? `: ${causes}` : ''}`,
        ],
        ['duplicates', num(d.duplicates, 0)],
        [
          'fleet frames',
          `${num(at(d, 'fleet.received'), 0)} of ${num(at(d, 'fleet.expected'), 0)}`,
        ],
        ['client disconnects', num(d.disconnects, 0)],
        [
          'generator missed / failed ticks',
          `${num(d.generatorMissedTicks, 0)} / ${num(d.generatorFailedTicks, 0)}`,
        ],
        ['broadcaster slow-client drops', num(d.broadcasterSlowClientDrops, 0)],
        [
          'broadcaster RSS after warm-up',
          `${num(rss.baselineMb)} → ${num(rss.endMb)} MiB (${num(rss.growthPct, 1)} %, limit ${num(rss.limitPct, 0)} %: ${rss.met ? 'met' : '**not met**'}), max ${num(rss.maxMb)} MiB`,
        ],
        [
          'broadcaster JS heap after GC (lowest, first → last quarter)',
          j.broadcasterHeap
            ? `${num(at(j, 'broadcasterHeap.firstQuarterFloorMb'))} → ${num(at(j, 'broadcasterHeap.lastQuarterFloorMb'))} MiB (${num(at(j, 'broadcasterHeap.growthPct'))} %)`
            : '–',
        ],
        [
          'CPU (broadcaster / generator)',
          `${num(at(j, 'cpuPct.broadcaster'))} % / ${num(at(j, 'cpuPct.generator'))} %`,
        ],
        [
          'freshness p50 / p99 (load clients)',
          `${ms(at(j, 'freshnessMs.load.p50'))} / ${ms(at(j, 'freshnessMs.load.p99'))}`,
        ],
        [
          'freshness p50 / p99 (probes)',
          `${ms(at(j, 'freshnessMs.probe.p50'))} / ${ms(at(j, 'freshnessMs.probe.p99'))}`,
        ],
      ],
    ),
    table(
      ['window', 'load p50', 'load p99', 'load max', 'probe p99', 'fleet p99'],
      arr(at(j, 'freshnessMs.perBucket')).map((b) => [
        `${num(b.fromS, 0)}–${num(b.toS, 0)} s`,
        ms(b.loadP50Ms),
        ms(b.loadP99Ms),
        ms(b.loadMaxMs),
        ms(b.probeP99Ms),
        ms(b.fleetP99Ms),
      ]),
    ),
  ];
  return lines.join('\n\n');
}
