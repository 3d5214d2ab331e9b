/**
 * Watches a few servers through a running broadcaster and prints every sample with its
 * freshness (receive time − the sample's tick), flagging any sample received twice:
 *
 *   npm run example:watch -w metric-broadcaster -- http://localhost:3002 server-1 server-2 server-3
 *
 * After a reconnection (a broadcaster restart, a network blip) it backfills what it missed with
 * ONE batched `history` request for all its servers, and says how many samples that brought.
 * Stops after `--seconds` (default 10), or on Ctrl-C.
 */
import { io, type Socket } from 'socket.io-client';
import type {
  ClientToServerEvents,
  HistoryBatchAck,
  Sample,
  ServerToClientEvents,
} from '@metrics/protocol';

const args = process.argv.slice(2);
const secondsAt = args.indexOf('--seconds');
const seconds = secondsAt >= 0 ? Number(args.splice(secondsAt, 2)[1]) : 10;
const [url = 'http://localhost:3002', ...ids] = args;
const serverIds = ids.length ? ids : ['server-1', 'server-2', 'server-3'];
const out = (line: string) => process.stdout.write(`${line}\n`);

const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, {
  transports: ['websocket'],
});
const seen = new Set<string>();
/** Newest tick held per server (epoch ms): where a backfill starts. */
const newest = new Map<string, number>();
let duplicates = 0;
let connections = 0;

const hold = (s: Sample) => {
  newest.set(s.serverId, Math.max(newest.get(s.serverId) ?? 0, Date.parse(s.timestamp)));
};

socket.on('status', (s) => out(`status: generator ${s.generator}`));
socket.on('metrics', ({ data }) => {
  const now = Date.now();
  for (const s of data) {
    const key = `${s.serverId}@${s.timestamp}`;
    const again = seen.has(key);
    if (again) duplicates++;
    seen.add(key);
    hold(s);
    out(
      `${s.timestamp} ${s.serverId.padEnd(12)} cpu ${s.cpuPct.toFixed(1).padStart(5)} %  ` +
        `fresh ${String(now - Date.parse(s.timestamp)).padStart(4)} ms${again ? '  DUPLICATE' : ''}`,
    );
  }
});
socket.on('connect', () => {
  connections++;
  // Taken before subscribing: the sample the subscription sends at once must not hide the gap.
  const held = serverIds.map((id) => newest.get(id)).filter((t) => t !== undefined);
  const from = connections > 1 && held.length ? Math.min(...held) + 1 : undefined;
  socket.emit('subscribe', { serverIds }, (ack) => {
    out(
      ack.ok
        ? `subscribed ${ack.subscribed.join(', ')}; unknown: ${ack.unknown.join(', ') || '–'}`
        : ack.error,
    );
    if (from === undefined) return;
    socket.emit('history', { serverIds, from, limit: 10_000 }, (reply) => {
      const batch = reply as HistoryBatchAck;
      if (!batch.ok) {
        out(`backfill refused: ${batch.error}`);
        return;
      }
      let added = 0;
      for (const { samples } of batch.series) {
        for (const s of samples) {
          const key = `${s.serverId}@${s.timestamp}`;
          if (seen.has(key)) continue;
          seen.add(key);
          hold(s);
          added++;
        }
      }
      out(
        `reconnected: backfilled ${added} samples of ${batch.series.length} servers in one request`,
      );
    });
  });
});
socket.on('connect_error', (err) => out(`cannot connect to ${url}: ${err.message}`));

const stop = () => {
  out(`${seen.size} samples, ${duplicates} duplicates`);
  socket.close();
  process.exit(duplicates ? 1 : 0);
};
setTimeout(stop, seconds * 1000);
process.on('SIGINT', stop);
