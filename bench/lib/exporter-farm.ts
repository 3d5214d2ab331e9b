/**
 * A farm of fake node_exporters for `bench/exporters.ts`, run as its own process so that its
 * CPU is not counted as the generator's: `node … exporter-farm.ts <count>` starts `count` fake
 * exporters (scripts/lib/fake-node-exporter.ts: a real exporter's body, counters moving) on free
 * loopback ports, prints `{"ports":[…]}` on one line, and exits when stdin closes or on SIGTERM.
 */
import { startFakeExporter, type FakeExporter } from '../../scripts/lib/fake-node-exporter.ts';

const count = Number(process.argv[2] ?? 100);
const farm: FakeExporter[] = [];
for (let i = 0; i < count; i++) farm.push(await startFakeExporter({ busy: 0.1 + (i % 9) / 10 }));
process.stdout.write(`${JSON.stringify({ ports: farm.map((f) => f.port) })}\n`);

const stop = async () => {
  await Promise.all(farm.map((f) => f.close()));
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.resume();
