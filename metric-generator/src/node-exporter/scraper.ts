import { Client, type Dispatcher } from 'undici';
import { ScrapeError } from './scrape-error.js';

/**
 * One HTTP GET of a node_exporter's `/metrics` per call, through undici: one `Client` per target
 * URL (one kept-alive connection, pipelining 1, reused tick after tick), for `http://` and
 * `https://` targets alike (TLS with Node's defaults: the system's CAs, certificates checked).
 * Bounded in time by `timeoutMs` and in size by `maxBytes`; failures are `ScrapeError`s
 * (scrape-error.ts).
 *
 * It dispatches with a handler of its own (`Exchange`) rather than `client.request()`: the body's
 * chunks are collected as undici hands them over, with no stream, no header object and no body
 * mixin per answer. Measured on 200 kept-alive loopback targets with 24 KB answers, CPU per scrape
 * after warm-up: see docs/node-exporter.md ("Figures").
 */
export interface Scraper {
  /**
   * The body of `url`; rejects with a `ScrapeError`, of kind `timeout` when it is not in within
   * `budgetMs` (see `Exchange.late`). A timeout says `no answer within <timeoutMs> ms`: the
   * scrape's timeout, of which the budget may be what is left (default: the budget).
   */
  get(url: string, budgetMs: number, timeoutMs?: number): Promise<Buffer>;
  /** Closes the connection of `url` (its target was removed). */
  drop(url: string): Promise<void>;
  /** Closes every connection; later scrapes fail. */
  close(): Promise<void>;
}

export interface ScraperOptions {
  /** Largest body accepted (default 4 MiB: a full node_exporter answer is about 60 KB). */
  maxBytes?: number;
  /**
   * Longest a connection may take to open (default 10 s). A scrape's deadline does not wait for
   * it, but a connection stuck opening is only closed by this.
   */
  connectTimeoutMs?: number;
  /** Certificates trusted for `https://` targets instead of the system's (tests). */
  ca?: string;
}

export const ACCEPT = 'text/plain;version=0.0.4;q=1,*/*;q=0.1';

/**
 * How long an idle connection is kept when its server gives no `Keep-Alive: timeout` (Go's
 * net/http, hence node_exporter, gives none and never closes it): well past any tick, so each
 * target keeps its connection. One its server closed meanwhile is retried (`Exchange.onError`).
 */
const KEEP_ALIVE_MS = 5 * 60_000;

/** Errors of a kept-alive connection its server had closed before our request reached it. */
const STALE = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

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
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connect timeout';
    default:
      return err.code ? `${err.code}: ${err.message}` : err.message;
  }
}

/** What undici's error means for a scrape. */
function scrapeErrorOf(err: Error, answered: boolean): ScrapeError {
  if (err instanceof ScrapeError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (err.name === 'HTTPParserError') {
    return new ScrapeError('bad_answer', `bad HTTP answer: ${err.message}`);
  }
  if (code === 'UND_ERR_SOCKET') {
    return new ScrapeError(
      'network',
      answered ? 'answer cut short' : 'connection closed before an answer',
    );
  }
  return new ScrapeError('network', describeNetError(err as NodeJS.ErrnoException));
}

/** The connection of one target URL: its client (replaced when stuck) and how it is asked. */
class Target {
  readonly origin: string;
  readonly options: Dispatcher.DispatchOptions;
  client: Client;
  /** Connections opened so far (to tell a reused connection from a new one). */
  connects = 0;

  constructor(
    url: string,
    private readonly connectTimeoutMs: number,
    private readonly ca: string | undefined,
  ) {
    const u = new URL(url);
    this.origin = u.origin;
    this.options = { method: 'GET', path: `${u.pathname}${u.search}`, headers: { accept: ACCEPT } };
    this.client = this.open();
  }

  /** A new client (the first, or instead of one whose connection is stuck). */
  open(): Client {
    const client = new Client(this.origin, {
      pipelining: 1,
      keepAliveTimeout: KEEP_ALIVE_MS,
      keepAliveMaxTimeout: KEEP_ALIVE_MS,
      // The scrape's own deadline bounds it; undici's timers would only cost.
      headersTimeout: 0,
      bodyTimeout: 0,
      connectTimeout: this.connectTimeoutMs,
      ...(this.ca === undefined ? {} : { connect: { ca: this.ca } }),
    });
    client.on('connect', () => this.connects++);
    return client;
  }
}

/**
 * One scrape: undici's handler (its original, callback form, which undici 7 dispatches without
 * an adapter) plus the deadline. A class, not closures: one per scrape, 1,000 a second.
 */
class Exchange implements Dispatcher.DispatchHandler {
  private chunks: Buffer[] = [];
  private size = 0;
  private answered = false;
  private settled = false;
  private retried = false;
  private abortFn: ((err: Error) => void) | undefined;
  private connectsAtStart = 0;
  private readonly timer: ReturnType<typeof setTimeout>;

  constructor(
    private readonly target: Target,
    budgetMs: number,
    private readonly timeoutMs: number,
    private readonly maxBytes: number,
    private readonly resolve: (body: Buffer) => void,
    private readonly reject: (err: ScrapeError) => void,
  ) {
    this.timer = setTimeout(afterDeadline, budgetMs, this);
    this.send();
  }

  private send(): void {
    this.connectsAtStart = this.target.connects;
    this.target.client.dispatch(this.target.options, this);
  }

  /**
   * The deadline has passed and the sockets ready by then have been read (`afterDeadline`): an
   * answer that arrived in time but waited behind other work (another answer's parse, the tick's
   * commit) is read, not thrown away as late.
   */
  late(): void {
    if (this.settled) return;
    this.fail(new ScrapeError('timeout', `no answer within ${this.timeoutMs} ms`));
    if (this.abortFn) this.abortFn(new ScrapeError('timeout', 'aborted'));
    else {
      // Not on a socket yet (still connecting): a new client for the next scrape.
      const stuck = this.target.client;
      this.target.client = this.target.open();
      void stuck.destroy().catch(() => {});
    }
  }

  private fail(err: ScrapeError): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.reject(err);
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortFn = abort;
  }

  /** Throwing here (or in `onData`) makes undici abort the request and call `onError`. */
  onHeaders(statusCode: number, headers: Buffer[]): boolean {
    if (statusCode < 200) return true;
    this.answered = true;
    if (statusCode !== 200) throw new ScrapeError('http', `HTTP ${statusCode}`);
    let type = '';
    let coding = 'identity';
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      // Only the lengths of the names looked for are decoded.
      if (name.length === 12 && name.toString('latin1').toLowerCase() === 'content-type') {
        type = headers[i + 1]!.toString('latin1');
      } else if (
        name.length === 16 &&
        name.toString('latin1').toLowerCase() === 'content-encoding'
      ) {
        coding = headers[i + 1]!.toString('latin1').trim().toLowerCase();
      } else if (
        name.length === 14 &&
        name.toString('latin1').toLowerCase() === 'content-length' &&
        Number(headers[i + 1]!.toString('latin1')) > this.maxBytes
      ) {
        throw new ScrapeError('bad_answer', `answer larger than ${this.maxBytes} bytes`);
      }
    }
    if (!/^text\/plain\b/i.test(type)) {
      throw new ScrapeError('bad_answer', `content type ${JSON.stringify(type)}, not text/plain`);
    }
    if (coding !== 'identity') {
      throw new ScrapeError('bad_answer', `content encoding ${JSON.stringify(coding)}`);
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      throw new ScrapeError('bad_answer', `answer larger than ${this.maxBytes} bytes`);
    }
    this.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    const { chunks, size } = this;
    this.resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
  }

  onError(err: Error): void {
    if (this.settled) return;
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const reused = this.target.connects === this.connectsAtStart && this.target.connects > 0;
    if (!this.answered && !this.retried && reused && STALE.has(code)) {
      // A kept-alive connection its server had closed meanwhile: once more on a new one,
      // within the same deadline.
      this.retried = true;
      this.abortFn = undefined;
      this.send();
      return;
    }
    this.fail(scrapeErrorOf(err, this.answered));
  }
}

/** The deadline's timer: fail only after the next poll for I/O. */
function afterDeadline(x: Exchange): void {
  setImmediate(lateIfUnsettled, x);
}
function lateIfUnsettled(x: Exchange): void {
  x.late();
}

export function createScraper({
  maxBytes = 4 * 1024 * 1024,
  connectTimeoutMs = 10_000,
  ca,
}: ScraperOptions = {}): Scraper {
  const targets = new Map<string, Target>();
  let closed = false;

  const targetOf = (url: string): Target => {
    let t = targets.get(url);
    if (!t) targets.set(url, (t = new Target(url, connectTimeoutMs, ca)));
    return t;
  };

  return {
    get(url, budgetMs, timeoutMs = budgetMs) {
      return new Promise<Buffer>((resolve, reject) => {
        if (closed) {
          reject(new ScrapeError('network', 'scraper closed'));
          return;
        }
        new Exchange(targetOf(url), budgetMs, timeoutMs, maxBytes, resolve, reject);
      });
    },
    async drop(url) {
      const t = targets.get(url);
      if (!t) return;
      targets.delete(url);
      await t.client.destroy();
    },
    async close() {
      closed = true;
      const all = [...targets.values()];
      targets.clear();
      await Promise.all(all.map((t) => t.client.destroy()));
    },
  };
}
