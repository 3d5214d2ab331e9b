import { ScrapeError } from './scrape-error.js';

/**
 * An HTTP/1.1 response read from a socket's chunks as they come (RFC 9112): status line,
 * headers, then a body framed by `Content-Length`, by chunked transfer coding (what Go's
 * `net/http`, hence node_exporter, sends for a body past 4 KB), or by the connection's end.
 * Pure: the socket adapter (http-client.ts) pushes bytes in and acts on what comes out.
 *
 * Only what a scrape accepts gets through: status 200 (1xx interim answers are skipped), a
 * `text/plain` body, no content coding, at most `maxBytes`. Everything else is a `ScrapeError`
 * with the same kinds and messages as before (`HTTP 503`, `answer larger than … bytes`, …).
 */
export interface HttpResponse {
  /** The body, once complete. */
  body: Buffer;
  /** Whether the connection may carry the next request. */
  reusable: boolean;
}

export interface ResponseReader {
  /** Feeds the next bytes; returns the response once it is complete. Throws `ScrapeError`. */
  push(chunk: Buffer): HttpResponse | undefined;
  /** The connection ended: the response if its end was its framing, else throws. */
  end(): HttpResponse;
  /** Whether any byte was received (a reused connection that closed before: safe to retry). */
  readonly started: boolean;
}

/** Longest status line + headers accepted. */
const MAX_HEAD_BYTES = 64 * 1024;
/** Longest chunk-size line (size, extensions) or trailer line accepted. */
const MAX_LINE_BYTES = 4 * 1024;

type Framing = { kind: 'length'; left: number } | { kind: 'chunked' } | { kind: 'close' };

const enum Phase {
  Head,
  Body,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  Done,
}

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
const NOTHING = Buffer.alloc(0);

/** The value of a hex digit's byte, or -1. */
function hexDigit(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const l = b | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

const bad = (message: string) => new ScrapeError('bad_answer', message);

/** What the head says: status, framing, reuse; throws for an answer a scrape does not take. */
function readHead(
  head: string,
  maxBytes: number,
): { interim: boolean; framing: Framing; keepAlive: boolean } {
  const lines = head.split('\r\n');
  const status = /^HTTP\/1\.([01]) ([0-9]{3})(?: |$)/.exec(lines[0]!);
  if (!status) throw bad(`not an HTTP/1.x answer: ${JSON.stringify(lines[0]!.slice(0, 40))}`);
  const code = Number(status[2]);
  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0 || /[\s]/.test(line.slice(0, colon))) {
      throw bad(`bad HTTP header line ${JSON.stringify(line.slice(0, 40))}`);
    }
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    const before = headers.get(name);
    headers.set(name, before === undefined ? value : `${before}, ${value}`);
  }
  if (code >= 100 && code < 200 && code !== 101) {
    return { interim: true, framing: { kind: 'length', left: 0 }, keepAlive: true };
  }
  if (code !== 200) throw new ScrapeError('http', `HTTP ${code}`);
  const type = headers.get('content-type') ?? '';
  if (!/^text\/plain\b/i.test(type)) {
    throw bad(`content type ${JSON.stringify(type)}, not text/plain`);
  }
  const coding = (headers.get('content-encoding') ?? 'identity').toLowerCase();
  if (coding !== 'identity') throw bad(`content encoding ${JSON.stringify(coding)}`);
  const connection = (headers.get('connection') ?? '').toLowerCase();
  let keepAlive =
    status[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
  const te = headers.get('transfer-encoding');
  let framing: Framing;
  if (te !== undefined) {
    if (te.toLowerCase() !== 'chunked') throw bad(`transfer encoding ${JSON.stringify(te)}`);
    framing = { kind: 'chunked' };
  } else if (headers.has('content-length')) {
    const cl = headers.get('content-length')!;
    // Repeated identical values (`10, 10`) are allowed by RFC 9110; differing ones are not.
    const values = new Set(cl.split(',').map((v) => v.trim()));
    const only = values.size === 1 ? [...values][0]! : '';
    if (!/^[0-9]{1,15}$/.test(only)) throw bad(`bad content length ${JSON.stringify(cl)}`);
    const length = Number(only);
    if (length > maxBytes) throw bad(`answer larger than ${maxBytes} bytes`);
    framing = { kind: 'length', left: length };
  } else {
    framing = { kind: 'close' };
    keepAlive = false;
  }
  return { interim: false, framing, keepAlive };
}

/** A reader per answer (a class, not closures: one per scrape, 1,000 a second). */
class Reader implements ResponseReader {
  private phase = Phase.Head;
  /** Bytes not consumed yet (a partial head or line). */
  private pending: Buffer = NOTHING;
  private framing: Framing = { kind: 'close' };
  private keepAlive = false;
  private parts: Buffer[] = [];
  private size = 0;
  /** Bytes left of the current chunk. */
  private chunkLeft = 0;
  /** Bytes after the answer: the connection is out of step, not reusable. */
  private extra = false;
  started = false;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): HttpResponse | undefined {
    if (chunk.length > 0) this.started = true;
    const data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = NOTHING;
    return this.run(data);
  }

  end(): HttpResponse {
    if (this.phase === Phase.Body && this.framing.kind === 'close') return this.done();
    throw new ScrapeError(
      'network',
      this.started ? 'answer cut short' : 'connection closed before an answer',
    );
  }

  private take(part: Buffer): void {
    this.size += part.length;
    if (this.size > this.maxBytes) throw bad(`answer larger than ${this.maxBytes} bytes`);
    this.parts.push(part);
  }

  private done(): HttpResponse {
    this.phase = Phase.Done;
    const { parts, size } = this;
    return {
      body: parts.length === 1 ? parts[0]! : Buffer.concat(parts, size),
      reusable: this.keepAlive && !this.extra,
    };
  }

  /** The CRLF-ended line of `data` at `at` and where the next starts; undefined: kept for later. */
  private line(data: Buffer, at: number, what: string): [string, number] | undefined {
    const end = data.indexOf(CRLF, at);
    if (end === -1) {
      if (data.length - at > MAX_LINE_BYTES) throw bad(`${what} line too long`);
      this.pending = data.subarray(at);
      return undefined;
    }
    if (end - at > MAX_LINE_BYTES) throw bad(`${what} line too long`);
    return [data.toString('latin1', at, end), end + 2];
  }

  private run(data: Buffer): HttpResponse | undefined {
    let at = 0;
    while (true) {
      switch (this.phase) {
        case Phase.Head: {
          const end = data.indexOf(HEAD_END, at);
          if (end === -1) {
            if (data.length - at > MAX_HEAD_BYTES) {
              throw bad(`HTTP head larger than ${MAX_HEAD_BYTES} bytes`);
            }
            this.pending = data.subarray(at);
            return undefined;
          }
          const head = readHead(data.toString('latin1', at, end), this.maxBytes);
          at = end + 4;
          if (head.interim) continue;
          this.framing = head.framing;
          this.keepAlive = head.keepAlive;
          this.phase = head.framing.kind === 'chunked' ? Phase.ChunkSize : Phase.Body;
          if (head.framing.kind === 'length' && head.framing.left === 0) {
            this.extra = at < data.length;
            return this.done();
          }
          continue;
        }
        case Phase.Body: {
          if (at >= data.length) return undefined;
          const f = this.framing;
          if (f.kind !== 'length') {
            this.take(data.subarray(at));
            return undefined;
          }
          const n = Math.min(f.left, data.length - at);
          this.take(data.subarray(at, at + n));
          f.left -= n;
          at += n;
          if (f.left > 0) return undefined;
          this.extra = at < data.length;
          return this.done();
        }
        case Phase.ChunkSize: {
          const end = data.indexOf(CRLF, at);
          if (end === -1 || end - at > MAX_LINE_BYTES) {
            this.line(data, at, 'chunk size'); // keeps the partial line, or throws if too long
            return undefined;
          }
          // 1*HEXDIG [ blanks ] [ ";" extensions ] CRLF, read without a string
          let size = 0;
          let i = at;
          for (; i < end && i - at < 12; i++) {
            const d = hexDigit(data[i]!);
            if (d < 0) break;
            size = size * 16 + d;
          }
          let j = i;
          while (j < end && (data[j] === 0x20 || data[j] === 0x09)) j++;
          if (i === at || (j < end && data[j] !== 0x3b) /* ; */) {
            const text = data.toString('latin1', at, end);
            throw bad(`bad chunk size ${JSON.stringify(text.slice(0, 40))}`);
          }
          at = end + 2;
          this.chunkLeft = size;
          if (this.size + this.chunkLeft > this.maxBytes) {
            throw bad(`answer larger than ${this.maxBytes} bytes`);
          }
          this.phase = this.chunkLeft === 0 ? Phase.Trailers : Phase.ChunkData;
          continue;
        }
        case Phase.ChunkData: {
          if (at >= data.length) return undefined;
          const n = Math.min(this.chunkLeft, data.length - at);
          this.take(data.subarray(at, at + n));
          this.chunkLeft -= n;
          at += n;
          if (this.chunkLeft > 0) return undefined;
          this.phase = Phase.ChunkEnd;
          continue;
        }
        case Phase.ChunkEnd: {
          if (data.length - at < 2) {
            this.pending = data.subarray(at);
            return undefined;
          }
          if (data[at] !== 13 || data[at + 1] !== 10) throw bad('chunk not followed by CRLF');
          at += 2;
          this.phase = Phase.ChunkSize;
          continue;
        }
        case Phase.Trailers: {
          const l = this.line(data, at, 'trailer');
          if (!l) return undefined;
          at = l[1];
          if (l[0] !== '') continue; // a trailer field: ignored
          this.extra = at < data.length;
          return this.done();
        }
        case Phase.Done:
          this.extra = true;
          return undefined;
      }
    }
  }
}

export function createResponseReader(maxBytes: number): ResponseReader {
  return new Reader(maxBytes);
}
