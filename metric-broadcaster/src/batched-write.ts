import type { Socket as TcpSocket } from 'node:net';
import type { BroadcasterSocket } from './socket-types.js';
import { engineMessageFrames } from './ws-frame.js';

type EngineConnection = BroadcasterSocket['conn'];
type Packet = string | Buffer;

/** ws's `WebSocket.OPEN`. */
const WS_OPEN = 1;
/** ws's Sender state when it writes frames at once (not deflating, not reading a Blob). */
const WS_SENDER_IDLE = 0;

/**
 * The parts of engine.io 6's websocket transport (and of the ws socket under it) this relies
 * on: its public `writable` flag, the `ready` event its Socket flushes on, the ws socket's state
 * and sender queue, and its TCP socket. Checked at run time; anything unexpected falls back to
 * plain `conn.write` calls.
 */
interface WebSocketTransport {
  name: string;
  writable: boolean;
  socket?: {
    readyState?: number;
    _socket?: TcpSocket;
    _sender?: { _state?: number; _queue?: unknown[] };
  };
  emit(event: 'ready'): boolean;
}

/**
 * Consecutive engine.io messages of one client's write. `frames`, when given, is the same
 * messages already framed as engine.io would (`engineMessageFrames`), built once and shared by
 * many clients (the tick's fleet frame); otherwise they are framed only if the direct path is
 * taken.
 */
export interface WritePart {
  packets: readonly Packet[];
  frames?: Buffer;
}

/**
 * The client's TCP socket when pre-framed bytes can go straight to it without breaking the
 * stream: websocket transport, nothing queued in engine.io (so nothing written later overtakes
 * an earlier message), no engine.io write in flight, the ws socket open and its sender idle (it
 * writes whole frames synchronously, so ours can never land inside one of its frames).
 */
function directSocket(conn: EngineConnection): TcpSocket | undefined {
  const transport = conn.transport as unknown as WebSocketTransport;
  if (transport.name !== 'websocket' || !transport.writable) return undefined;
  if ((conn as unknown as { writeBuffer?: unknown[] }).writeBuffer?.length !== 0) return undefined;
  const ws = transport.socket;
  const sender = ws?._sender;
  const tcp = ws?._socket;
  if (ws?.readyState !== WS_OPEN || !tcp || !tcp.writable) return undefined;
  if (sender?._state !== WS_SENDER_IDLE || sender._queue?.length !== 0) return undefined;
  return tcp;
}

/**
 * Writes one client's messages of a tick with ONE TCP write. A socket write costs about the same
 * CPU whatever its size and is most of what a tick costs per client (docs/performance.md), so
 * this is the broadcaster's hot path: shared frames are built once (the fleet frame once per
 * tick for every client), a client's own packet is framed into one buffer, and they go to the
 * TCP socket as they are, corked into one `writev`, without engine.io's per-packet objects,
 * events and callbacks. When that path is not open (see `directSocket`) the packets go through
 * engine.io (`writeBatch`), which sends exactly the same bytes; so does `allowDirect: false`
 * (the `DIRECT_WRITES=false` kill switch). Returns whether the fast path was taken.
 */
export function writeFramed(
  conn: EngineConnection,
  parts: readonly WritePart[],
  allowDirect = true,
): boolean {
  if (parts.length === 0) return false;
  const tcp = allowDirect ? directSocket(conn) : undefined;
  if (!tcp) {
    writeBatch(
      conn,
      parts.flatMap((p) => p.packets),
    );
    return false;
  }
  if (parts.length === 1) {
    tcp.write(frameOf(parts[0]!));
    return true;
  }
  tcp.cork();
  try {
    for (const part of parts) tcp.write(frameOf(part));
  } finally {
    tcp.uncork();
  }
  return true;
}

/** A part's frames: shared ones as built, a client's own framed now (a function, not a closure per call). */
function frameOf(part: WritePart): Buffer {
  return part.frames ?? engineMessageFrames(part.packets);
}

/**
 * Writes several engine.io messages to one client with one TCP write, through engine.io: the
 * transport is held for the moment the packets are queued, then flushed once with the TCP socket
 * corked: ws writes each frame into the cork, `uncork()` sends them in one `writev`. The
 * packets, their order and their framing are exactly what `conn.write` would send.
 */
export function writeBatch(conn: EngineConnection, packets: readonly Packet[]): void {
  if (packets.length === 0) return;
  const transport = conn.transport as unknown as WebSocketTransport;
  const tcp = transport.name === 'websocket' ? transport.socket?._socket : undefined;
  if (packets.length === 1 || !tcp || !transport.writable || typeof tcp.cork !== 'function') {
    // Not writable now: engine.io queues them and flushes them together when it is.
    for (const p of packets) conn.write(p);
    return;
  }
  transport.writable = false;
  try {
    for (const p of packets) conn.write(p);
  } finally {
    transport.writable = true;
  }
  tcp.cork();
  try {
    transport.emit('ready');
  } finally {
    tcp.uncork();
  }
}
