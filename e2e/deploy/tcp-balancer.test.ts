import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/free-port.ts';
import { leastConnected, startBalancer, type Balancer } from '../../scripts/lib/tcp-balancer.ts';

describe('leastConnected', () => {
  it.each([
    [[3, 1, 2], [], 1],
    [[0, 0, 0], [], 0],
    [[3, 1, 2], [1], 2],
    [[1, 1], [0, 1], -1],
  ])('open %j, tried %j → %i', (open, tried, expected) => {
    expect(leastConnected(open, new Set(tried))).toBe(expected);
  });
});

/** A TCP server that answers every line with its name. */
async function namedServer(name: string): Promise<Server> {
  const server = createServer((socket) => socket.on('data', () => socket.write(`${name}\n`)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

const opened: Array<Server | Socket | Balancer> = [];
afterEach(async () => {
  for (const item of opened.splice(0)) {
    if ('destroy' in item) item.destroy();
    else await item.close();
  }
});

async function ask(url: string): Promise<{ socket: Socket; answer: string }> {
  const { port } = new URL(url);
  const socket = connect(Number(port), '127.0.0.1');
  opened.push(socket);
  await once(socket, 'connect');
  socket.write('who?\n');
  const [chunk] = (await once(socket, 'data')) as [Buffer];
  return { socket, answer: chunk.toString().trim() };
}

describe('startBalancer (the fallback ingress in front of several replicas)', () => {
  it('sends each new connection to the target holding the fewest, skipping one that refuses', async () => {
    const a = await namedServer('a');
    const c = await namedServer('c');
    opened.push(a, c);
    const dead = await freePort();
    const balancer = await startBalancer([
      { host: '127.0.0.1', port: (a.address() as AddressInfo).port },
      { host: '127.0.0.1', port: dead },
      { host: '127.0.0.1', port: (c.address() as AddressInfo).port },
    ]);
    opened.push(balancer);
    const answers: string[] = [];
    for (let i = 0; i < 4; i++) answers.push((await ask(balancer.url)).answer);
    expect(answers.sort()).toEqual(['a', 'a', 'c', 'c']);
    expect(balancer.connections()).toEqual([2, 0, 2]);
  });

  it('forgets a connection once it closes, so the next one goes there', async () => {
    const a = await namedServer('a');
    const b = await namedServer('b');
    opened.push(a, b);
    const balancer = await startBalancer(
      [a, b].map((s) => ({ host: '127.0.0.1', port: (s.address() as AddressInfo).port })),
    );
    opened.push(balancer);
    const first = await ask(balancer.url);
    const second = await ask(balancer.url);
    expect([first.answer, second.answer].sort()).toEqual(['a', 'b']);
    first.socket.destroy();
    const deadline = Date.now() + 5_000;
    while (balancer.connections().reduce((x, y) => x + y, 0) > 1 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await ask(balancer.url)).answer).toBe(first.answer);
  });
});
