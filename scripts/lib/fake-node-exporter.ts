/**
 * A stand-in for Prometheus node_exporter, for tests and the exporter bench: one HTTP server
 * answering `/metrics` with the body of a real exporter (captured from Debian's
 * prometheus-node-exporter 1.5, collectors cpu, meminfo, loadavg, filesystem, netdev) whose CPU
 * and network counters advance with time, like a machine's. `mode` makes it misbehave.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const REAL_BODY_PATH = new URL(
  '../../metric-generator/test/fixtures/node-exporter-1.5.txt',
  import.meta.url,
);

export type FakeExporterMode =
  /** A realistic answer; counters grow with time. */
  | 'ok'
  /** Accepts the request and never answers. */
  | 'hang'
  /** Answers 200 with text that is not the exposition format. */
  | 'garbage'
  /** Answers with a valid but enormous body (`hugeBytes`). */
  | 'huge'
  /** Answers 503. */
  | 'error'
  /** Answers as a machine that has just rebooted: counters start again near zero. */
  | 'reset';

export interface FakeExporter {
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  mode: FakeExporterMode;
  /** Requests answered or held so far. */
  readonly requests: number;
  close(): Promise<void>;
}

export interface FakeExporterOptions {
  port?: number;
  mode?: FakeExporterMode;
  /** Size of the `huge` answer (default 8 MiB). */
  hugeBytes?: number;
  /** Busy share of the CPUs this machine reports (default 0.3). */
  busy?: number;
}

/** A counter line: its prefix up to the value, and how fast the value grows per second. */
interface Part {
  text: string;
  base?: number;
  rate?: number;
}

/** Splits the captured body into constant text and counters that advance with time. */
function template(busy: number): Part[] {
  const parts: Part[] = [];
  let text = '';
  for (const line of readFileSync(REAL_BODY_PATH, 'utf8').split('\n')) {
    const cpu = /^(node_cpu_seconds_total\{cpu="\d+",mode="(\w+)"\}) (\S+)$/.exec(line);
    const net = /^(node_network_(?:receive|transmit)_bytes_total\{device="(\w+)"\}) (\S+)$/.exec(
      line,
    );
    const m = cpu ?? net;
    if (!m) {
      text += `${line}\n`;
      continue;
    }
    parts.push({ text: `${text}${m[1]} ` });
    text = '\n';
    const rate = cpu
      ? m[2] === 'idle'
        ? 1 - busy
        : m[2] === 'user'
          ? busy * 0.7
          : m[2] === 'system'
            ? busy * 0.3
            : 0
      : m[2] === 'lo'
        ? 0
        : 125_000;
    parts.push({ text: '', base: Number(m[3]), rate });
  }
  parts.push({ text });
  return parts;
}

function render(parts: Part[], seconds: number): string {
  let out = '';
  for (const p of parts) {
    out +=
      p.base === undefined ? p.text : String(Math.round((p.base + p.rate! * seconds) * 100) / 100);
  }
  return out;
}

export async function startFakeExporter(options: FakeExporterOptions = {}): Promise<FakeExporter> {
  const parts = template(options.busy ?? 0.3);
  const started = Date.now();
  let resetAt: number | undefined;
  let requests = 0;
  const held = new Set<ServerResponse>();
  const state = { mode: options.mode ?? ('ok' as FakeExporterMode) };

  const server: Server = createServer((req, res) => {
    requests++;
    if (!req.url?.startsWith('/metrics')) {
      res.writeHead(404).end();
      return;
    }
    const text = (body: string) =>
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body);
    switch (state.mode) {
      case 'hang':
        held.add(res);
        res.on('close', () => held.delete(res));
        return;
      case 'garbage':
        text('<html><body>It works!</body></html>\n');
        return;
      case 'error':
        res.writeHead(503, { 'content-type': 'text/plain' }).end('exporter is broken\n');
        return;
      case 'huge': {
        const line =
          'node_textfile_padding{pad="xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"} 1\n';
        text(line.repeat(Math.ceil((options.hugeBytes ?? 8 * 1024 * 1024) / line.length)));
        return;
      }
      case 'reset':
        resetAt ??= Date.now();
        text(
          render(
            parts.map((p) => (p.base === undefined ? p : { ...p, base: 1 })),
            (Date.now() - resetAt) / 1000,
          ),
        );
        return;
      case 'ok':
        resetAt = undefined;
        text(render(parts, (Date.now() - started) / 1000));
    }
  });
  // Many scrapers keep their connection open; keep-alive must outlive a tick.
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    get mode() {
      return state.mode;
    },
    set mode(m) {
      state.mode = m;
    },
    get requests() {
      return requests;
    },
    async close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
