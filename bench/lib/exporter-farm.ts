/**
 * A farm of fake node_exporters for `bench/exporters.ts`, run as its own process so that its
 * CPU is not counted as the generator's: `node … exporter-farm.ts <count>` starts `count` fake
 * exporters on free loopback ports, prints `{"ports":[…]}` on one line, and exits when stdin
 * closes or on SIGTERM.
 *
 * The bodies are those of scripts/lib/fake-node-exporter.ts (a real exporter's answer, counters
 * moving with time, nine levels of CPU use): one such exporter per level renders them, and the
 * farm refreshes its copy of each every 100 ms. The `count` endpoints answer over plain sockets
 * as Go's net/http answers for node_exporter: HTTP/1.1 keep-alive, the body in 4 KB chunks. Why
 * not `count` instances of the fake exporter itself: on a 2-core machine the farm shares the
 * cores with the generator it stands in for 1,000 machines for, and node:http plus a render per
 * request cost it about 0.3 ms per answer, as much as the generator's scrape it is there to
 * measure.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { startFakeExporter, type FakeExporter } from '../../scripts/lib/fake-node-exporter.ts';

const LEVELS = 9;
const REFRESH_MS = 250;
const CHUNK = 4096;
const HEAD = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n' +
    'Transfer-Encoding: chunked\r\n\r\n',
);

/** A whole chunked answer carrying `body`. */
function answer(body: Buffer): Buffer {
  const parts: Buffer[] = [HEAD];
  for (let at = 0; at < body.length; at += CHUNK) {
    const chunk = body.subarray(at, at + CHUNK);
    parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

const count = Number(process.argv[2] ?? 100);
const renderers: FakeExporter[] = [];
for (let level = 0; level < LEVELS; level++) {
  renderers.push(await startFakeExporter({ busy: 0.1 + level / 10 }));
}
const answers: Buffer[] = [];
async function refresh(): Promise<void> {
  await Promise.all(
    renderers.map(async (r, level) => {
      const res = await fetch(`${r.origin}/metrics`);
      answers[level] = answer(Buffer.from(await res.arrayBuffer()));
    }),
  );
}
await refresh();
const refresher = setInterval(() => void refresh().catch(() => {}), REFRESH_MS);

const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();
for (let i = 0; i < count; i++) {
  const level = i % LEVELS;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let head = '';
    socket.on('data', (data) => {
      head += data.toString('latin1');
      // One answer per request head; a scraper sends one request at a time.
      let end = head.indexOf('\r\n\r\n');
      while (end !== -1) {
        head = head.slice(end + 4);
        socket.write(answers[level]!);
        end = head.indexOf('\r\n\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
}
process.stdout.write(
  `${JSON.stringify({ ports: servers.map((s) => (s.address() as AddressInfo).port) })}\n`,
);

const stop = async () => {
  clearInterval(refresher);
  for (const s of sockets) s.destroy();
  await Promise.all([
    ...servers.map((s) => new Promise((r) => s.close(r))),
    ...renderers.map((r) => r.close()),
  ]);
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.resume();
