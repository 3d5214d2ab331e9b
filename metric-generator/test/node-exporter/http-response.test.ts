import { describe, expect, it } from 'vitest';
import { createResponseReader } from '../../src/node-exporter/http-response.js';
import { ScrapeError } from '../../src/node-exporter/scrape-error.js';

const HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n';

/** Feeds `wire` in pieces cut at `cuts`; the response, or the error, and whether it was at end. */
function read(wire: string, cuts: number[] = [], maxBytes = 1024, atEnd = false) {
  const reader = createResponseReader(maxBytes);
  const bytes = Buffer.from(wire, 'latin1');
  const points = [
    0,
    ...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b),
    bytes.length,
  ];
  try {
    for (let i = 0; i + 1 < points.length; i++) {
      const res = reader.push(bytes.subarray(points[i], points[i + 1]));
      if (res) return { body: res.body.toString('latin1'), reusable: res.reusable };
    }
    if (atEnd) {
      const res = reader.end();
      return { body: res.body.toString('latin1'), reusable: res.reusable };
    }
    return 'incomplete';
  } catch (err) {
    expect(err).toBeInstanceOf(ScrapeError);
    const e = err as ScrapeError;
    return `${e.kind}: ${e.message}`;
  }
}

const chunked = `${HEAD}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;ext=1\r\n world!\r\n0\r\nX-Trailer: 1\r\n\r\n`;

describe('createResponseReader', () => {
  it.each([
    ['Content-Length', `${HEAD}Content-Length: 12\r\n\r\nhello world!`, 'hello world!', true],
    ['chunked, with an extension and a trailer', chunked, 'hello world!', true],
    ['Connection: close', `${HEAD}Connection: close\r\nContent-Length: 2\r\n\r\nok`, 'ok', false],
    [
      'HTTP/1.0 without keep-alive',
      `${HEAD.replace('1.1', '1.0')}Content-Length: 2\r\n\r\nok`,
      'ok',
      false,
    ],
    [
      'HTTP/1.0 with keep-alive',
      `${HEAD.replace('1.1', '1.0')}Connection: keep-alive\r\nContent-Length: 2\r\n\r\nok`,
      'ok',
      true,
    ],
    [
      'an interim 100 first',
      `HTTP/1.1 100 Continue\r\n\r\n${HEAD}Content-Length: 2\r\n\r\nok`,
      'ok',
      true,
    ],
    ['an empty body', `${HEAD}Content-Length: 0\r\n\r\n`, '', true],
  ])('reads %s, cut anywhere', (_what, wire, body, reusable) => {
    for (let cut = 0; cut <= wire.length; cut++) {
      expect(read(wire, [cut])).toEqual({ body, reusable });
    }
    expect(
      read(
        wire,
        [...wire].map((_, i) => i),
      ),
    ).toEqual({ body, reusable });
  });

  it('marks a connection that sent bytes past the answer as not reusable', () => {
    // (Bytes arriving in a later read are the connection's business: http-client.ts drops it.)
    expect(read(`${HEAD}Content-Length: 2\r\n\r\nokEXTRA`)).toEqual({
      body: 'ok',
      reusable: false,
    });
  });

  it('reads a body framed by the end of the connection', () => {
    expect(read(`${HEAD}\r\nall of it`, [], 1024, true)).toEqual({
      body: 'all of it',
      reusable: false,
    });
  });

  it.each([
    ['a 503', 'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n', 'http: HTTP 503'],
    ['a redirect', 'HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n', 'http: HTTP 302'],
    [
      'HTML',
      'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n',
      'bad_answer: content type "text/html", not text/plain',
    ],
    [
      'gzip',
      `${HEAD}Content-Encoding: gzip\r\nContent-Length: 1\r\n\r\nx`,
      'bad_answer: content encoding "gzip"',
    ],
    [
      'not HTTP',
      'SSH-2.0-OpenSSH_9.2\r\n\r\n',
      'bad_answer: not an HTTP/1.x answer: "SSH-2.0-OpenSSH_9.2"',
    ],
    [
      'a bad header line',
      `${HEAD}no colon here\r\n\r\n`,
      'bad_answer: bad HTTP header line "no colon here"',
    ],
    ['a bad length', `${HEAD}Content-Length: 1x\r\n\r\n`, 'bad_answer: bad content length "1x"'],
    [
      'two lengths',
      `${HEAD}Content-Length: 1\r\nContent-Length: 2\r\n\r\n`,
      'bad_answer: bad content length "1, 2"',
    ],
    [
      'a length over the limit',
      `${HEAD}Content-Length: 2000\r\n\r\n`,
      'bad_answer: answer larger than 1024 bytes',
    ],
    [
      'chunks over the limit',
      `${HEAD}Transfer-Encoding: chunked\r\n\r\n${'200\r\n'.concat('x'.repeat(512), '\r\n').repeat(3)}`,
      'bad_answer: answer larger than 1024 bytes',
    ],
    [
      'a bad chunk size',
      `${HEAD}Transfer-Encoding: chunked\r\n\r\nzz\r\n`,
      'bad_answer: bad chunk size "zz"',
    ],
    [
      'a chunk without its CRLF',
      `${HEAD}Transfer-Encoding: chunked\r\n\r\n2\r\nokXX`,
      'bad_answer: chunk not followed by CRLF',
    ],
    [
      'another transfer coding',
      `${HEAD}Transfer-Encoding: gzip, chunked\r\n\r\n`,
      'bad_answer: transfer encoding "gzip, chunked"',
    ],
  ])('rejects %s', (_what, wire, message) => {
    expect(read(wire)).toBe(message);
  });

  it('rejects a head that never ends, and a connection that ends mid-answer', () => {
    expect(read(`${HEAD}X: ${'y'.repeat(70_000)}`)).toMatch(/^bad_answer: HTTP head larger than/);
    expect(read(`${HEAD}Content-Length: 10\r\n\r\nhalf`, [], 1024, true)).toBe(
      'network: answer cut short',
    );
    expect(read('', [], 1024, true)).toBe('network: connection closed before an answer');
    expect(read(chunked.slice(0, -3), [], 1024, true)).toBe('network: answer cut short');
  });
});
