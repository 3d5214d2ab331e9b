/** The broadcaster bench's result and its summary table (`npm run bench:broadcaster`). */
import type { Bench } from './result.js';
import { type Json, arr, at, ms, num, ordinal, table, targets } from './summary-format.js';

export const broadcasterBench: Bench<Json> = {
  name: 'broadcaster',
  title: 'Broadcaster',
  flags: (full) => (full ? [] : ['--quick']),
  fromJson: (json) => ({ name: 'broadcaster', json, table: () => broadcasterSection(json) }),
};

function broadcasterSection(j: Json): string {
  const rows = arr(j.runs).map((r) => [
    String(r.impl ?? '?'),
    `${num(r.connected, 0)} / ${num(r.clients, 0)}`,
    `${ms(at(r, 'freshnessMs.p50'))} / ${ms(at(r, 'freshnessMs.p99'))}`,
    `${ms(at(r, 'probeFreshnessMs.p50'))} / ${ms(at(r, 'probeFreshnessMs.p99'))}`,
    `${num(r.samplesPerSecond, 0)} / ${num(r.expectedSamplesPerSecond, 0)}`,
    num(r.generatorRequestsPerTick, 2),
    `${num(r.cpuPct)} %`,
    `${num(r.rssMb)} MiB`,
    `${num(r.duplicates, 0)} / ${num(r.disconnects, 0)}`,
  ]);
  const setup = j.setup as Json | undefined;
  return [
    setup
      ? `SERVER_COUNT = ${num(setup.servers, 0)}, ${num(setup.perClient, 0)} servers per client, every ${ordinal(setup.fleetEvery)} client on the fleet, ${num(setup.loadProcesses, 0)} load processes + ${num(setup.probes, 0)} probes; freshness = receive time − tick.`
      : '',
    table(
      [
        'broadcaster',
        'clients',
        'freshness p50 / p99',
        'probe p50 / p99',
        'samples/s (got / expected)',
        'generator req/tick',
        'CPU',
        'RSS',
        'dups / disconnects',
      ],
      rows,
    ),
    targets(j.targets),
  ]
    .filter(Boolean)
    .join('\n\n');
}
