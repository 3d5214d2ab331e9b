import net from 'node:net';
import { createResponseReader, type HttpResponse, type ResponseReader } from './http-response.js';
import { ScrapeError } from './scrape-error.js';

/**
 * A plain-HTTP GET over `net` sockets, kept alive (one idle connection per origin, reused tick
 * after tick), for the scrapes of `http://` targets. Why not `node:http`: its client costs
 * about 0.3 ms of CPU per 24 KB answer (request object, streams, events, header objects), ten
 * times a socket write and the reads of the answer; at 1,000 targets per tick that alone was more
 * than the deadline (issue 12, point 4). The answer's framing is read by http-response.ts;
 * `https://` targets still go through `node:https` (scraper.ts).
 */
export interface HttpClient {
  /**
   * The body of `url` (an `http:` URL); rejects with a `ScrapeError`, of kind `timeout` if the
   * answer is not read within `timeoutMs` (see `Connection.send`).
   */
  get(url: string, timeoutMs: number): Promise<Buffer>;
  /** Closes every idle connection. */
  close(): void;
}

interface Endpoint {
  host: string;
  port: number;
  key: string;
  request: string;
}

export const ACCEPT = 'text/plain;version=0.0.4;q=1,*/*;q=0.1';

export function describeNetError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host not found (${err.code})`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    default:
      return err.code ? `${err.code}: ${err.message}` : err.message;
  }
}

function endpointOf(url: string): Endpoint {
  const u = new URL(url);
  if (u.protocol !== 'http:') throw new Error(`not an http: URL: ${url}`);
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  const port = u.port ? Number(u.port) : 80;
  const auth = u.username
    ? `Authorization: Basic ${Buffer.from(
        `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`,
      ).toString('base64')}\r\n`
    : '';
  return {
    host,
    port,
    key: `${host}:${port}`,
    request:
      `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\n` +
      `Accept: ${ACCEPT}\r\n${auth}Connection: keep-alive\r\n\r\n`,
  };
}

/** The scrape a connection is carrying. */
interface Exchange {
  reader: ResponseReader;
  timeoutMs: number;
  timer?: ReturnType<typeof setTimeout>;
  /** The connection carrying it (a new one after a stale kept-alive one). */
  connection?: Connection;
  /** Whether the connection had carried an earlier scrape (then a stale one may be retried). */
  reused: boolean;
  resolve(body: Buffer): void;
  reject(err: ScrapeError): void;
}

/** The deadline's timer: fail only after the next poll for I/O (see `Connection.send`). */
function afterDeadline(x: Exchange): void {
  setImmediate(failIfLate, x);
}
function failIfLate(x: Exchange): void {
  x.connection?.late(x);
}

/**
 * One connection to one origin. Its listeners are installed once, when it opens, and serve each
 * scrape it carries (listeners and closures per scrape cost more than the scrape's reads).
 */
class Connection {
  readonly socket: net.Socket;
  private exchange: Exchange | undefined;
  private carried = 0;

  constructor(
    readonly endpoint: Endpoint,
    private readonly pool: Pool,
  ) {
    this.socket = net.connect({ host: endpoint.host, port: endpoint.port, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('end', () => this.onEnd());
    this.socket.on('close', () => this.onEnd());
    this.socket.on('error', (err: NodeJS.ErrnoException) =>
      this.fail(new ScrapeError('network', describeNetError(err))),
    );
  }

  get alive(): boolean {
    return !this.socket.destroyed && this.socket.writable;
  }

  /**
   * Sends the request of `x`. Its deadline fails it only once the event loop has read the
   * sockets ready by then: an answer that arrived in time but waited behind other work (another
   * answer's parse, the tick's commit) is read, not thrown away as late. A plain timer, not an
   * `AbortSignal`: a signal and its listener cost more than the rest of the exchange's
   * bookkeeping, 1,000 times a tick.
   */
  send(x: Exchange): void {
    this.exchange = x;
    this.carried++;
    x.connection = this;
    x.timer ??= setTimeout(afterDeadline, x.timeoutMs, x);
    this.socket.write(this.endpoint.request);
  }

  /** `x`'s deadline has passed and the sockets ready by then have been read. */
  late(x: Exchange): void {
    if (this.exchange === x)
      this.fail(new ScrapeError('timeout', `no answer within ${x.timeoutMs} ms`));
  }

  private settle(): Exchange | undefined {
    const x = this.exchange;
    this.exchange = undefined;
    return x;
  }

  private fail(err: ScrapeError): void {
    const x = this.settle();
    this.socket.destroy();
    this.pool.forget(this);
    if (!x) return;
    const stale = x.reused && !x.reader.started && err.kind === 'network';
    if (stale && !this.pool.closed) {
      // A kept-alive connection its server had closed meanwhile: once more on a new one, within
      // the same deadline (its timer goes along).
      this.pool.open(this.endpoint).send({ ...x, reused: false });
    } else {
      clearTimeout(x.timer);
      x.reject(err);
    }
  }

  private finish(res: HttpResponse): void {
    const x = this.settle()!;
    clearTimeout(x.timer);
    if (res.reusable && this.alive) this.pool.release(this);
    else {
      this.socket.destroy();
      this.pool.forget(this);
    }
    x.resolve(res.body);
  }

  private onData(chunk: Buffer): void {
    const x = this.exchange;
    if (!x) {
      // Bytes between scrapes: the connection is out of step.
      this.fail(new ScrapeError('network', 'unexpected data'));
      return;
    }
    let res: HttpResponse | undefined;
    try {
      res = x.reader.push(chunk);
    } catch (err) {
      this.fail(err as ScrapeError);
      return;
    }
    if (res) this.finish(res);
  }

  private onEnd(): void {
    const x = this.exchange;
    if (!x) {
      this.socket.destroy();
      this.pool.forget(this);
      return;
    }
    let res: HttpResponse;
    try {
      res = x.reader.end();
    } catch (err) {
      this.fail(err as ScrapeError);
      return;
    }
    this.finish(res);
  }

  /** Whether it had carried a scrape before the next one. */
  get used(): boolean {
    return this.carried > 0;
  }
}

interface Pool {
  readonly closed: boolean;
  open(e: Endpoint): Connection;
  release(c: Connection): void;
  forget(c: Connection): void;
}

export function createHttpClient({ maxBytes }: { maxBytes: number }): HttpClient {
  const endpoints = new Map<string, Endpoint>();
  /** Per origin, its idle connection. */
  const idle = new Map<string, Connection>();
  const open = new Set<Connection>();
  let closed = false;

  const endpoint = (url: string) => {
    let e = endpoints.get(url);
    if (!e) endpoints.set(url, (e = endpointOf(url)));
    return e;
  };

  const pool: Pool = {
    get closed() {
      return closed;
    },
    open(e) {
      const c = new Connection(e, pool);
      open.add(c);
      return c;
    },
    release(c) {
      if (closed || idle.has(c.endpoint.key)) {
        c.socket.destroy();
        open.delete(c);
        return;
      }
      // Like node:http's agent: an idle connection does not keep the process alive.
      c.socket.unref();
      idle.set(c.endpoint.key, c);
    },
    forget(c) {
      open.delete(c);
      if (idle.get(c.endpoint.key) === c) idle.delete(c.endpoint.key);
    },
  };

  return {
    get(url, timeoutMs) {
      return new Promise<Buffer>((resolve, reject) => {
        if (closed) {
          reject(new ScrapeError('network', 'scraper closed'));
          return;
        }
        const e = endpoint(url);
        let c = idle.get(e.key);
        if (c) {
          idle.delete(e.key);
          if (c.alive) c.socket.ref();
          else {
            c.socket.destroy();
            open.delete(c);
            c = undefined;
          }
        }
        c ??= pool.open(e);
        c.send({
          reader: createResponseReader(maxBytes),
          timeoutMs,
          reused: c.used,
          resolve,
          reject,
        });
      });
    },
    close() {
      closed = true;
      for (const c of open) c.socket.destroy();
      open.clear();
      idle.clear();
    },
  };
}
