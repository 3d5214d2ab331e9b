import http from 'node:http';
import https from 'node:https';

/**
 * One HTTP GET of a node_exporter's `/metrics`, over keep-alive connections (one agent per
 * scheme for every target, so each target keeps its connection from tick to tick), bounded in
 * time by `signal` and in size by `maxBytes`. Failures are `ScrapeError`s whose `kind` is what
 * `/metrics` counts and whose message is what `/v1/servers` and the dashboard show.
 */
export type ScrapeFailure = 'timeout' | 'network' | 'http' | 'bad_answer';

export class ScrapeError extends Error {
  constructor(
    readonly kind: ScrapeFailure,
    message: string,
  ) {
    super(message);
    this.name = 'ScrapeError';
  }
}

export interface Scraper {
  /** The body of `url`; rejects with a `ScrapeError`. */
  get(url: string, signal: AbortSignal): Promise<string>;
  /** Closes every idle connection. */
  close(): void;
}

export interface ScraperOptions {
  /** Largest body accepted (default 4 MiB: a full node_exporter answer is about 60 KB). */
  maxBytes?: number;
}

const ACCEPT = 'text/plain;version=0.0.4;q=1,*/*;q=0.1';

function describe(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
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

export function createScraper({ maxBytes = 4 * 1024 * 1024 }: ScraperOptions = {}): Scraper {
  // maxSockets is per origin: one scrape per target at a time needs one connection each.
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 2, maxFreeSockets: 1 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 2, maxFreeSockets: 1 }),
  };
  return {
    get(url, signal) {
      return new Promise<string>((resolve, reject) => {
        const u = new URL(url);
        const client = u.protocol === 'https:' ? https : http;
        const agent = agents[u.protocol as 'http:' | 'https:'];
        let settled = false;
        const fail = (err: ScrapeError) => {
          if (settled) return;
          settled = true;
          signal.removeEventListener('abort', onAbort);
          req.destroy();
          reject(err);
        };
        const onAbort = () => fail(new ScrapeError('timeout', String(signal.reason ?? 'aborted')));
        const req = client.get(u, { agent, headers: { accept: ACCEPT } }, (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            fail(new ScrapeError('http', `HTTP ${res.statusCode}`));
            return;
          }
          const type = res.headers['content-type'] ?? '';
          if (!/^text\/plain\b/i.test(type)) {
            res.resume();
            fail(
              new ScrapeError('bad_answer', `content type ${JSON.stringify(type)}, not text/plain`),
            );
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBytes) {
              fail(new ScrapeError('bad_answer', `answer larger than ${maxBytes} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => {
            if (settled) return;
            settled = true;
            signal.removeEventListener('abort', onAbort);
            resolve(Buffer.concat(chunks, size).toString('utf8'));
          });
          res.on('aborted', () => fail(new ScrapeError('network', 'answer cut short')));
          res.on('error', (err) => fail(new ScrapeError('network', describe(err))));
        });
        req.on('error', (err) => fail(new ScrapeError('network', describe(err))));
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
    },
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}
