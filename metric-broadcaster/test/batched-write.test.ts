import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo, Socket as TcpSocket } from 'node:net';
import { Server } from 'socket.io';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connected as clientConnected } from '../../scripts/lib/socket-client.js';
import {
  decodeFleetFrame,
  type ClientToServerEvents,
  type FleetFramePayload,
  type MetricsPayload,
  type ServerToClientEvents,
} from '@metrics/protocol';
import { writeBatch, writeFramed } from '../src/batched-write.js';
import { encodeMetricsPacket } from '../src/delivery.js';
import type { BroadcasterSocket, IoServer } from '../src/socket-types.js';
import { engineMessageFrames } from '../src/ws-frame.js';

const T = 1_800_000_000_000;
const sample = (id: string) =>
  `{"serverId":"${id}","timestamp":"${new Date(T).toISOString()}","cpuPct":1,"memPct":2,"diskPct":3,"netRxBps":4,"netTxBps":5,"load1":6}`;

let httpServer: http.Server;
let io: IoServer;
let client: Socket<ServerToClientEvents, ClientToServerEvents>;
let serverSocket: BroadcasterSocket;

beforeAll(async () => {
  httpServer = http.createServer();
  io = new Server(httpServer, { perMessageDeflate: false }) as unknown as IoServer;
  httpServer.listen(0, '127.0.0.1');
  await once(httpServer, 'listening');
  const connected = once(io, 'connection');
  client = connect(`http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`, {
    transports: ['websocket'],
  });
  [serverSocket] = (await connected) as [BroadcasterSocket];
  await clientConnected(client);
});

afterAll(async () => {
  client.close();
  await io.close();
});

/** Counts the TCP-level writes (`_write` / `_writev` calls) of the server side of the socket. */
function countWrites(): { count: () => number; restore: () => void } {
  const transport = serverSocket.conn.transport as unknown as { socket: { _socket: TcpSocket } };
  const tcp = transport.socket._socket as TcpSocket & {
    _write: (...a: unknown[]) => unknown;
    _writev: (...a: unknown[]) => unknown;
  };
  const original = { write: tcp._write, writev: tcp._writev };
  let n = 0;
  tcp._write = function (...a: unknown[]) {
    n++;
    return original.write.apply(this, a);
  };
  tcp._writev = function (...a: unknown[]) {
    n++;
    return original.writev.apply(this, a);
  };
  return {
    count: () => n,
    restore: () => {
      tcp._write = original.write;
      tcp._writev = original.writev;
    },
  };
}

function fleetPackets(): Array<string | Buffer> {
  const fleet = {
    tick: T,
    version: 9,
    count: 2,
    values: Buffer.from(new Uint16Array([1234, 5000, 100, 200, 10000, 0]).buffer),
  };
  return (io.encoder as unknown as { encode(p: object): Array<string | Buffer> }).encode({
    type: 2,
    nsp: '/',
    data: ['fleet', fleet],
  });
}

describe('writeFramed', () => {
  it('writes pre-built frames straight to the TCP socket, in one write, decoded as usual', async () => {
    const metricsPacket = encodeMetricsPacket([sample('server-1'), sample('server-2')], T + 7);
    const fleet = fleetPackets();
    const gotMetrics = new Promise<MetricsPayload>((resolve) => client.once('metrics', resolve));
    const gotFleet = new Promise<FleetFramePayload>((resolve) => client.once('fleet', resolve));
    const writes = countWrites();
    const direct = writeFramed(serverSocket.conn, [
      { packets: [metricsPacket] },
      { packets: fleet, frames: engineMessageFrames(fleet) },
    ]);
    const [metrics, frame] = await Promise.all([gotMetrics, gotFleet]);
    writes.restore();
    expect(direct).toBe(true);
    expect(writes.count()).toBe(1);
    expect(metrics.timestamp).toBe(T + 7);
    expect(metrics.data.map((s) => s.serverId)).toEqual(['server-1', 'server-2']);
    const decoded = decodeFleetFrame(frame);
    expect(decoded).toMatchObject({ tick: T, version: 9, count: 2 });
    expect(decoded.cpuPct[0]).toBeCloseTo(12.34, 2);
  });

  it('goes through engine.io when the direct path is switched off (DIRECT_WRITES=false)', async () => {
    const packet = encodeMetricsPacket([sample('server-3')], T + 9);
    const got = new Promise<MetricsPayload>((resolve) => client.once('metrics', resolve));
    const direct = writeFramed(serverSocket.conn, [{ packets: [packet] }], false);
    expect(direct).toBe(false);
    expect((await got).timestamp).toBe(T + 9);
  });

  it('goes through engine.io, after what it holds, while engine.io has packets queued', async () => {
    const got: number[] = [];
    const done = new Promise<void>((resolve) =>
      client.on('metrics', (p) => {
        got.push(p.timestamp);
        if (got.length === 4) resolve();
      }),
    );
    const paths: boolean[] = [];
    // Through engine.io first: its write is in flight and the next packet waits in its queue,
    // so a direct write now would overtake them.
    serverSocket.conn.write(encodeMetricsPacket([sample('server-1')], 1));
    serverSocket.conn.write(encodeMetricsPacket([sample('server-1')], 2));
    for (const ts of [3, 4]) {
      const packet = encodeMetricsPacket([sample('server-2')], ts);
      paths.push(writeFramed(serverSocket.conn, [{ packets: [packet] }]));
    }
    await done;
    client.off('metrics');
    expect(paths[0]).toBe(false);
    expect(got).toEqual([1, 2, 3, 4]);
  });
});

describe('writeBatch', () => {
  it('sends a metrics event and a binary fleet frame in one TCP write, decoded as usual', async () => {
    const fleet = {
      tick: T,
      version: 9,
      count: 2,
      values: Buffer.from(new Uint16Array([1234, 5000, 100, 200, 10000, 0]).buffer),
    };
    const packets = [
      encodeMetricsPacket([sample('server-1'), sample('server-2')], T + 5),
      ...(io.encoder as unknown as { encode(p: object): Array<string | Buffer> }).encode({
        type: 2,
        nsp: '/',
        data: ['fleet', fleet],
      }),
    ];
    expect(packets).toHaveLength(3);
    const gotMetrics = new Promise<MetricsPayload>((resolve) => client.once('metrics', resolve));
    const gotFleet = new Promise<FleetFramePayload>((resolve) => client.once('fleet', resolve));
    const writes = countWrites();
    writeBatch(serverSocket.conn, packets);
    const [metrics, frame] = await Promise.all([gotMetrics, gotFleet]);
    writes.restore();
    expect(writes.count()).toBe(1);
    expect(metrics).toMatchObject({ timestamp: T + 5 });
    expect(metrics.data.map((s) => s.serverId)).toEqual(['server-1', 'server-2']);
    const decoded = decodeFleetFrame(frame);
    expect(decoded).toMatchObject({ tick: T, version: 9, count: 2 });
    expect(decoded.cpuPct[0]).toBeCloseTo(12.34, 2);
    expect(decoded.memPct[1]).toBeCloseTo(2, 2);
  });

  it('keeps order and loses nothing when the transport is busy with a previous write', async () => {
    const got: number[] = [];
    const done = new Promise<void>((resolve) =>
      client.on('metrics', (p) => {
        got.push(p.timestamp);
        if (got.length === 6) resolve();
      }),
    );
    for (let i = 0; i < 3; i++) {
      writeBatch(serverSocket.conn, [
        encodeMetricsPacket([sample('server-1')], i * 2),
        encodeMetricsPacket([sample('server-2')], i * 2 + 1),
      ]);
    }
    await done;
    client.off('metrics');
    expect(got).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
