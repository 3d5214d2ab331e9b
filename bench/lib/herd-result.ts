/** The recovery bench's result and its summary tables (`npm run bench:herd`). */
import type { Bench } from './result.js';
import { type Json, arr, at, ms, num, table, targets } from './summary-format.js';

export const herdBench: Bench<Json> = {
  name: 'herd',
  title: 'Recovery (herd and history flood)',
  flags: (full) => (full ? [] : ['--quick']),
  fromJson: (json) => ({ name: 'herd', json, table: () => herdSection(json) }),
};

function herdSection(j: Json): string {
  const herdRows = arr(j.herds).map((h) => [
    `${num(h.clients, 0)} × ${num(h.servers, 0)}`,
    `${num(h.reconnected, 0)} / ${num(h.clients, 0)}`,
    ms(h.allReconnectedMs),
    ms(h.allBackfilledMs),
    num(h.missingSeconds, 0),
    num(h.refused, 0),
    `${num(h.generatorReads, 0)} (+${num(h.sharedReads, 0)} shared)`,
    `≤ ${ms(h.tickLagP99Ms)}`,
    num(h.missedTicks, 0),
  ]);
  const floodRows = arr(j.floods).map((f) => [
    String(f.name ?? '?'),
    `${ms(at(f, 'tickLagMs.p50'), 1)} / ${ms(at(f, 'tickLagMs.p99'), 1)} / ${ms(at(f, 'tickLagMs.max'), 1)}`,
    ms(f.eventLoopDelayP99Ms, 1),
    num(f.missedTicks, 0),
    num(f.readsPerSecond, 0),
    Object.entries((f.statuses ?? {}) as Json)
      .map(([s, n]) => `${s}: ${num(n, 0)}`)
      .join(', '),
  ]);
  return [
    `Broadcaster kill -9, ${num(j.outageMs, 0)} ms down, restart on its port; times from the restart's \`listening\`. Load average (1 min) ${num(at(j, 'machine.loadAverage1m.before'), 2)} → ${num(at(j, 'machine.loadAverage1m.after'), 2)}.`,
    table(
      [
        'clients × servers',
        'reconnected',
        'all reconnected',
        'all backfilled',
        'missing s',
        'refused',
        'generator reads',
        'tick lag p99',
        'missed ticks',
      ],
      herdRows,
    ),
    `History flood at the generator, ${num(Number(j.floodMs) / 1000, 0)} s per scenario; tick lag from the ticker per tick (p50 / p99 / max).`,
    table(['scenario', 'tick lag', 'loop delay p99', 'missed', 'reads/s', 'statuses'], floodRows),
    targets(j.targets),
  ]
    .filter(Boolean)
    .join('\n\n');
}
