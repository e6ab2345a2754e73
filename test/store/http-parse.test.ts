// The GetObject client's response-head parser and chunked decoder, on real bytes: every split point of a chunked
// body, and the malformed heads and framings a careful client refuses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkedDecoder } from '../../src/store/cos/chunked-decoder';
import { HttpProtocolError, MAX_HEAD_BYTES, parseResponseHead } from '../../src/store/cos/http-head';

const head = (text: string): ReturnType<typeof parseResponseHead> => {
  const bytes = Buffer.from(text, 'latin1');
  return parseResponseHead(bytes, 0, bytes.length);
};

test('a COS head: status, lower-case headers, length framing, keep-alive; incomplete until the empty line', () => {
  const text = 'HTTP/1.1 206 Partial Content\r\nContent-Length: 10\r\nContent-Range: bytes 0-9/100\r\nETag: "e"\r\nX-A: 1\r\nx-a: 2\r\n\r\n';
  const parsed = head(text + 'body');
  assert.equal(parsed?.status, 206);
  assert.deepEqual(parsed?.framing, { kind: 'length', length: 10 });
  assert.equal(parsed?.headers['content-range'], 'bytes 0-9/100');
  assert.equal(parsed?.headers['x-a'], '1, 2');
  assert.equal(parsed?.keepAlive, true);
  assert.equal(parsed?.size, text.length);
  assert.equal(head(text.slice(0, -2)), undefined);
  // Bytes beyond `end` (an older answer in a reused slab) are never read.
  const stale = Buffer.from(text, 'latin1');
  assert.equal(parseResponseHead(stale, 0, text.length - 2), undefined);
  assert.equal(head('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')?.keepAlive, false);
  assert.equal(head('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n')?.keepAlive, false);
  assert.deepEqual(head('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n')?.framing, { kind: 'chunked' });
  assert.deepEqual(head('HTTP/1.1 200 OK\r\n\r\n')?.framing, { kind: 'close' });
  assert.deepEqual(head('HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n')?.framing, { kind: 'none' });
  // Both framings: read by the chunks, then the connection is not reused.
  const both = head('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n');
  assert.deepEqual([both?.framing.kind, both?.keepAlive], ['chunked', false]);
});

test('malformed heads are refused', () => {
  for (const bad of [
    'HTTP/2 200 OK\r\n\r\n',
    'ICY 200 OK\r\n\r\n',
    'HTTP/1.1 20 OK\r\n\r\n',
    'HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\n\r\n',
    'HTTP/1.1 200 OK\r\nBad Name: a\r\n\r\n',
    'HTTP/1.1 200 OK\r\nno colon\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n',
  ]) {
    assert.throws(() => head(bad), HttpProtocolError, JSON.stringify(bad));
  }
  assert.deepEqual(head('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n')?.framing, { kind: 'length', length: 5 });
  assert.throws(() => head(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(MAX_HEAD_BYTES)}`), HttpProtocolError);
});

/** Decodes `wire` fed in pieces cut at `cuts`; returns the body and where decoding stopped in the last piece. */
function decode(wire: Buffer, cuts: number[]): { body: Buffer; done: boolean; stop: number } {
  const decoder = new ChunkedDecoder();
  const out: Buffer[] = [];
  let stop = 0;
  const bounds = [0, ...cuts, wire.length];
  for (let i = 0; i + 1 < bounds.length; i++) {
    // Each piece in a buffer of its own with bytes before it, as reads land inside a larger slab.
    const piece = Buffer.concat([Buffer.from('junk'), wire.subarray(bounds[i], bounds[i + 1])]);
    stop = decoder.push(piece, 4, piece.length, (a, b) => out.push(Buffer.from(piece.subarray(a, b)))) - 4;
  }
  return { body: Buffer.concat(out), done: decoder.done, stop };
}

test('chunked bodies decode the same whatever the reads cut them at, extensions and trailers skipped', () => {
  const wire = Buffer.from('5;name=value\r\nhello\r\n1A\r\n abcdefghijklmnopqrstuvwxy\r\n0\r\nX-Trailer: t\r\n\r\n', 'latin1');
  const expected = Buffer.from('hello abcdefghijklmnopqrstuvwxy');
  for (let a = 0; a <= wire.length; a++) {
    for (const b of [a, Math.min(wire.length, a + 1), Math.min(wire.length, a + 7)]) {
      const r = decode(wire, [a, b]);
      assert.deepEqual(r.body, expected, `cut at ${a}, ${b}`);
      assert.equal(r.done, true);
    }
  }
  // What follows the body is not decoded: the caller sees where it stopped.
  const extra = decode(Buffer.concat([wire, Buffer.from('HTTP/1.1')]), []);
  assert.equal(extra.stop, wire.length);
});

test('the chunked decoder reads nothing beyond the end it is given', () => {
  const decoder = new ChunkedDecoder();
  const bytes = Buffer.from('3\r\nabc\r\n0\r\n\r\n', 'latin1');
  const out: string[] = [];
  const data = (a: number, b: number): number => out.push(bytes.toString('latin1', a, b));
  // Cut inside the size line: the newline after the cut belongs to the next read.
  assert.equal(decoder.push(bytes, 0, 2, data), 2);
  assert.deepEqual(out, []);
  assert.equal(decoder.push(bytes, 2, bytes.length, data), bytes.length);
  assert.deepEqual(out, ['abc']);
  assert.equal(decoder.done, true);
});

test('malformed chunked framing is refused', () => {
  for (const bad of ['zz\r\nab\r\n0\r\n\r\n', '2\r\nabc\r\n0\r\n\r\n', '2\nab\n0\n\n', `${'1'.repeat(5000)}\r\n`]) {
    assert.throws(() => decode(Buffer.from(bad, 'latin1'), []), HttpProtocolError, JSON.stringify(bad.slice(0, 20)));
  }
});
