import https from 'node:https';
import { ACCEPT, createHttpClient, describeNetError } from './http-client.js';
import { ScrapeError } from './scrape-error.js';

/**
 * One HTTP GET of a node_exporter's `/metrics`, over keep-alive connections (each target keeps
 * its connection from tick to tick), bounded in time by `timeoutMs` and in size by `maxBytes`.
 * `http://` targets go through the lean client of http-client.ts (the common case, and the one
 * that must scale to 1,000 targets a tick), `https://` ones through `node:https`. Failures are
 * `ScrapeError`s (scrape-error.ts).
 */
export interface Scraper {
  /**
   * The body of `url` (its bytes, or its text); rejects with a `ScrapeError`, of kind `timeout`
   * when it is not in within `timeoutMs`.
   */
  get(url: string, timeoutMs: number): Promise<Uint8Array | string>;
  /** Closes every idle connection. */
  close(): void;
}

export interface ScraperOptions {
  /** Largest body accepted (default 4 MiB: a full node_exporter answer is about 60 KB). */
  maxBytes?: number;
}

export function createScraper({ maxBytes = 4 * 1024 * 1024 }: ScraperOptions = {}): Scraper {
  const plain = createHttpClient({ maxBytes });
  // maxSockets is per origin: one scrape per target at a time needs one connection each.
  const agent = new https.Agent({ keepAlive: true, maxSockets: 2, maxFreeSockets: 1 });
  return {
    get(url, timeoutMs) {
      if (url.startsWith('http:')) return plain.get(url, timeoutMs);
      const signal = AbortSignal.timeout(timeoutMs);
      return new Promise<Buffer>((resolve, reject) => {
        const u = new URL(url);
        let settled = false;
        const fail = (err: ScrapeError) => {
          if (settled) return;
          settled = true;
          signal.removeEventListener('abort', onAbort);
          req.destroy();
          reject(err);
        };
        const onAbort = () => fail(new ScrapeError('timeout', `no answer within ${timeoutMs} ms`));
        const req = https.get(u, { agent, headers: { accept: ACCEPT } }, (res) => {
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
            resolve(Buffer.concat(chunks, size));
          });
          res.on('aborted', () => fail(new ScrapeError('network', 'answer cut short')));
          res.on('error', (err) => fail(new ScrapeError('network', describeNetError(err))));
        });
        req.on('error', (err) => fail(new ScrapeError('network', describeNetError(err))));
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
    },
    close() {
      plain.close();
      agent.destroy();
    },
  };
}
