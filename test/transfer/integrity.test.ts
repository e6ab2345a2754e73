// Damage on the way to COS: a TCP proxy between the gateway and the store flips one byte of what the gateway sends.
// A damaged part is caught by its CRC-64 and sent again; a damaged single PUT is refused by COS (Content-MD5) and
// sent again; either way the stored object is byte-identical and no damaged object ever replaces the old one. A
// download damaged on the way back fails its whole-object CRC-64 check (451 instead of 226).
import assert from 'node:assert/strict';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { type Stack, startStack } from '../helpers/stack';
import { MIB, fastRetries, objectHash, openUploads, putBytes, seededBytes, seededHash, seededStream, sha256OfBuffer } from './helpers';

const PART = MIB;
const bucket = 'bucket1-1250000000';

/** Forwards to `target`; when armed, flips one byte of the body of the next request whose request line matches. */
class FlippingProxy {
  target = 0;
  private armed: { requestLine: RegExp; bodyOffset: number; times: number } | undefined;
  flips = 0;
  private readonly server = net.createServer((client) => this.handle(client));
  private readonly sockets = new Set<net.Socket>();

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  arm(requestLine: RegExp, bodyOffset: number, times = 1): void {
    this.armed = { requestLine, bodyOffset, times };
  }

  disarm(): void {
    this.armed = undefined;
  }

  /** Flips one byte of the response body to the next request whose request line matches. */
  armResponse(requestLine: RegExp, bodyOffset: number): void {
    this.armedResponse = { requestLine, bodyOffset };
  }

  private armedResponse: { requestLine: RegExp; bodyOffset: number } | undefined;

  private handle(client: net.Socket): void {
    const upstream = net.connect(this.target, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => this.sockets.delete(s));
    }
    // Body bytes still to pass before the byte to flip, once a matching request's headers went by.
    let skip: number | undefined;
    // Response: -1 = waiting for the headers to end, then body bytes still to pass before the flip.
    let responseSkip: number | undefined;
    let responseOffset = 0;
    client.on('data', (chunk: Buffer) => {
      if (this.armedResponse && this.armedResponse.requestLine.test(chunk.toString('latin1'))) {
        responseOffset = this.armedResponse.bodyOffset;
        responseSkip = -1;
        this.armedResponse = undefined;
      }
      let bodyStart = 0;
      if (skip === undefined && this.armed) {
        const text = chunk.toString('latin1');
        const m = this.armed.requestLine.exec(text);
        const headersEnd = m ? text.indexOf('\r\n\r\n', m.index) : -1;
        if (m && headersEnd >= 0) {
          skip = this.armed.bodyOffset;
          if (--this.armed.times <= 0) this.armed = undefined;
          bodyStart = headersEnd + 4;
        }
      }
      if (skip !== undefined && skip < chunk.length - bodyStart) {
        chunk = Buffer.from(chunk);
        chunk[bodyStart + skip] ^= 0xff;
        this.flips++;
        skip = undefined;
      } else if (skip !== undefined) {
        skip -= chunk.length - bodyStart;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      let start = 0;
      if (responseSkip === -1) {
        const end = chunk.indexOf('\r\n\r\n');
        if (end >= 0) {
          responseSkip = responseOffset;
          start = end + 4;
        }
      }
      if (responseSkip !== undefined && responseSkip >= 0) {
        if (responseSkip < chunk.length - start) {
          chunk = Buffer.from(chunk);
          chunk[start + responseSkip] ^= 0xff;
          this.flips++;
          responseSkip = undefined;
        } else responseSkip -= chunk.length - start;
      }
      client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('damage between the gateway and COS', () => {
  let stack: Stack;
  const proxy = new FlippingProxy();

  before(async () => {
    fastRetries();
    const port = await proxy.listen();
    stack = await startStack({
      accounts: [{ endpoint: `http://127.0.0.1:${port}` }],
      transfer: { minPartSize: PART, singleFileMaxSize: 64 * MIB, uploadThreadNum: 4 },
    });
    proxy.target = stack.store.port;
  });
  after(async () => {
    await stack?.close();
    await proxy.close();
  });

  test('a damaged part is detected by its CRC-64 and sent again', async () => {
    proxy.arm(/^PUT \/damaged-part\.bin\?\S*partNumber=1(&|\s)/m, 1000);
    stack.store.resetRequestCounts();
    const flipsBefore = proxy.flips;
    const client = await stack.ftp();
    try {
      await client.uploadFrom(seededStream('dmg', 3 * PART + 5), 'damaged-part.bin');
    } finally {
      client.close();
    }
    assert.equal(proxy.flips, flipsBefore + 1);
    assert.equal(stack.store.requestCounts().UploadPart, 5, 'four parts, one of them twice');
    assert.equal(await objectHash(stack.cos(), bucket, 'damaged-part.bin'), await seededHash('dmg', 3 * PART + 5));
    assert.deepEqual(await openUploads(stack.cos(), bucket), []);
  });

  test('a damaged single PUT is refused by COS (Content-MD5) and sent again; the old object is never damaged', async () => {
    const old = await seededBytes('dmg-old', 500);
    await putBytes(stack.cos(), bucket, 'damaged-put.bin', old);
    proxy.arm(/^PUT \/damaged-put\.bin HTTP/m, 1000);
    stack.store.resetRequestCounts();
    const flipsBefore = proxy.flips;
    const client = await stack.ftp();
    try {
      await client.uploadFrom(seededStream('dmg-put', 50_000), 'damaged-put.bin');
    } finally {
      client.close();
    }
    assert.equal(proxy.flips, flipsBefore + 1);
    assert.equal(stack.store.requestCounts().PutObject, 2);
    assert.equal(await objectHash(stack.cos(), bucket, 'damaged-put.bin'), await seededHash('dmg-put', 50_000));
  });

  test('when every try arrives damaged: 451, and the object being overwritten stays as it was', async () => {
    const old = await seededBytes('dmg-old2', 700);
    await putBytes(stack.cos(), bucket, 'damaged-always.bin', old);
    proxy.arm(/^PUT \/damaged-always\.bin HTTP/m, 10, Infinity);
    const client = await stack.ftp();
    try {
      await assert.rejects(client.uploadFrom(seededStream('dmg-always', 9000), 'damaged-always.bin'), /451/);
    } finally {
      proxy.disarm();
      client.close();
    }
    assert.equal(await objectHash(stack.cos(), bucket, 'damaged-always.bin'), sha256OfBuffer(old));
  });

  test('a download damaged on the way from COS fails its CRC-64 check: 451, not 226', async () => {
    const data = await seededBytes('dmg-dl', 2 * PART);
    await putBytes(stack.cos(), bucket, 'damaged-dl.bin', data);
    proxy.armResponse(/^GET \/damaged-dl\.bin HTTP/m, 777_777);
    const client = await stack.ftp();
    try {
      const sink = new PassThrough();
      sink.resume();
      await assert.rejects(client.downloadTo(sink, 'damaged-dl.bin'), /451/);
      assert.equal((await client.send('NOOP')).code, 200);
    } finally {
      client.close();
    }
  });
});
