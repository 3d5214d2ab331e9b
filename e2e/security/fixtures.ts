/**
 * What the exposure tests of issue 16 make for themselves: an htpasswd file with one apr1 entry
 * (`openssl passwd -apr1`) and one bcrypt entry (bcryptjs), a self-signed certificate for
 * 127.0.0.1/localhost (`openssl req`), HTTP(S) requests that trust only that certificate, and
 * the listening sockets of a process tree read back from /proc.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';

export interface Credentials {
  user: string;
  pass: string;
}

export interface AuthFile {
  path: string;
  apr1: Credentials;
  bcrypt: Credentials;
}

function run(cmd: string, args: string[]): string {
  const result = spawnSync(cmd, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

export function makeAuthFile(dir: string): AuthFile {
  const apr1 = { user: 'ops', pass: 'apr1-pass-word' };
  const bcryptUser = { user: 'viewer', pass: 'bcrypt pass: wörd' };
  const apr1Hash = run('openssl', ['passwd', '-apr1', apr1.pass]).trim();
  // `htpasswd -B` writes $2y$; bcryptjs writes $2b$: nginx (libxcrypt) must take both.
  const bcryptHash = bcrypt.hashSync(bcryptUser.pass, 8).replace(/^\$2b\$/, '$2y$');
  const path = join(dir, 'htpasswd');
  writeFileSync(path, `${apr1.user}:${apr1Hash}\n${bcryptUser.user}:${bcryptHash}\n`, {
    mode: 0o600,
  });
  return { path, apr1, bcrypt: bcryptUser };
}

export interface Certificate {
  cert: string;
  key: string;
  /** The PEM text: the only CA the test's clients trust. */
  ca: string;
}

export function makeCertificate(dir: string): Certificate {
  const cert = join(dir, 'tls.crt');
  const key = join(dir, 'tls.key');
  run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=metrics-test',
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout',
    key,
    '-out',
    cert,
  ]);
  return { cert, key, ca: readFileSync(cert, 'utf8') };
}

export const basic = ({ user, pass }: Credentials) =>
  `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  ms: number;
}

/** One GET (http or https, trusting `ca` only), without following redirects. */
export function get(
  url: string,
  options: { headers?: Record<string, string>; ca?: string; timeoutMs?: number } = {},
): Promise<Reply> {
  const started = Date.now();
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        headers: options.headers,
        ca: options.ca,
        agent: false,
        timeout: options.timeoutMs ?? 30_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body,
            ms: Date.now() - started,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

export interface ListeningSocket {
  pid: number;
  address: string;
  port: number;
}

/** `pid` and every process below it, from /proc. */
export function processTree(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: the ppid follows the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // exited meanwhile
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, parent] of parents) if (parent === tree[i]) tree.push(child);
  }
  return tree;
}

function hexAddress(hex: string): string {
  if (hex.length === 8) {
    return [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
  }
  // IPv6: four little-endian 32-bit words.
  const words = hex.match(/.{8}/g)!.map((w) => w.match(/../g)!.reverse().join(''));
  const groups = words
    .join('')
    .match(/.{4}/g)!
    .map((g) => g.replace(/^0+(?=.)/, ''));
  const text = groups.join(':');
  if (text === '0:0:0:0:0:0:0:0') return '::';
  if (text === '0:0:0:0:0:0:0:1') return '::1';
  return text;
}

/** Every listening TCP socket held by one of `pids`, with the address it is bound to. */
export function listeningSockets(pids: readonly number[]): ListeningSocket[] {
  const listening = new Map<string, { address: string; port: number }>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== '0A') continue;
      const [addr, port] = fields[1]!.split(':');
      listening.set(fields[9]!, { address: hexAddress(addr!), port: parseInt(port!, 16) });
    }
  }
  const sockets: ListeningSocket[] = [];
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
      const socket = inode ? listening.get(inode) : undefined;
      if (socket) sockets.push({ pid, ...socket });
    }
  }
  return sockets;
}

export const isLoopback = (address: string) => address.startsWith('127.') || address === '::1';

/** Why a network namespace cannot be made here, or undefined when it can. */
export function namespaceUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: `ip netns add` needs CAP_SYS_ADMIN';
  if (spawnSync('ip', ['-V'], { stdio: 'ignore' }).status !== 0) {
    return 'no `ip` command (Debian package iproute2)';
  }
  return undefined;
}

export interface Namespace {
  name: string;
  /** This machine's address as the namespace sees it (the root end of the veth pair). */
  hostAddress: string;
  /** Runs `node -e script` inside the namespace; resolves with its stdout. */
  node(script: string): string;
  remove(): void;
}

/**
 * A second network namespace joined to this one by a veth pair with its own /30 of 10.216.x.y:
 * a "machine on the same network" whose traffic reaches the host's interfaces, not loopback.
 */
export function makeNamespace(): Namespace {
  const tag = `${process.pid % 10_000}${Math.floor(Math.random() * 100)}`;
  const name = `m16-${tag}`;
  const hostEnd = `v16h${tag}`.slice(0, 15);
  const nsEnd = `v16n${tag}`.slice(0, 15);
  const subnet = 4 * Math.floor(Math.random() * 60);
  const third = Math.floor(Math.random() * 250);
  const hostAddress = `10.216.${third}.${subnet + 1}`;
  const nsAddress = `10.216.${third}.${subnet + 2}`;
  const remove = () => {
    // Deleting the namespace deletes its end of the pair, which takes the other end with it.
    spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    spawnSync('ip', ['link', 'del', hostEnd], { stdio: 'ignore' });
  };
  try {
    run('ip', ['netns', 'add', name]);
    run('ip', ['link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', nsEnd]);
    run('ip', ['link', 'set', nsEnd, 'netns', name]);
    run('ip', ['addr', 'add', `${hostAddress}/30`, 'dev', hostEnd]);
    run('ip', ['link', 'set', hostEnd, 'up']);
    run('ip', ['-n', name, 'addr', 'add', `${nsAddress}/30`, 'dev', nsEnd]);
    run('ip', ['-n', name, 'link', 'set', nsEnd, 'up']);
    run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (err) {
    remove();
    throw err;
  }
  return {
    name,
    hostAddress,
    node: (script) => run('ip', ['netns', 'exec', name, process.execPath, '-e', script]),
    remove,
  };
}
