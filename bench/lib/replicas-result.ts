/** The replica bench's result and its summary table (`npm run bench:replicas`). */
import type { Bench } from './result.js';
import { type Json, arr, ms, num, table, at } from './summary-format.js';

export const replicasBench: Bench<Json> = {
  name: 'replicas',
  title: 'Broadcaster replicas behind nginx',
  flags: (full) => (full ? [] : ['--quick']),
  fromJson: (json) => ({ name: 'replicas', json, table: () => replicasSection(json) }),
};

function replicasSection(j: Json): string {
  const rows = arr(j.runs).map((r) => [
    num(r.replicas, 0),
    `${num(r.connected, 0)} of ${num(r.clients, 0)}`,
    arr(r.spread).join(' / '),
    `${ms(at(r, 'freshnessMs.p50'))} / ${ms(at(r, 'freshnessMs.p99'))}`,
    `${num(r.samplesPerSecond, 0)} of ${num(r.expectedSamplesPerSecond, 0)}`,
    num(r.generatorRequestsPerTick, 2),
    `${num(r.broadcasterCpuPct)} %`,
    `${num(r.nginxCpuPct)} %`,
    `${num(r.loadClientCpuPct)} %`,
  ]);
  const held = j.heldAtReference as Json | undefined;
  return [
    table(
      [
        'replicas',
        'clients connected',
        'per replica',
        'freshness p50 / p99',
        'samples/s',
        'generator req/tick',
        'broadcasters CPU',
        'nginx CPU',
        'load clients CPU',
      ],
      rows,
    ),
    held
      ? `${num(held.replicas, 0)} replicas held ${num(held.clients, 0)} clients at the freshness of ${String(held.reference)} (tried ${arr(held.tried).join(', ')}).`
      : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}
