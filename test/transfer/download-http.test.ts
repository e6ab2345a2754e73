// RETR on the gateway's own GetObject client, through real FTP sessions against the local store over HTTP and
// HTTPS: an answer re-framed as chunks (as a proxy may send it), and a body that breaks off whose resume is answered
// with an error first: the client gets the exact bytes and a 226 either way.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Stack, startStack } from '../helpers/stack';
import { MIB, fastRetries, hashingSink, putBytes, seededBytes, sha256OfBuffer, waitFor } from './helpers';

const bucket = 'bucket1-1250000000';

for (const storeTls of [false, true]) describe(`RETR through the GetObject client${storeTls ? ' (store over HTTPS)' : ''}`, () => {
  let stack: Stack;
  let data: Buffer;
  const key = 'dl/file.bin';

  before(async () => {
    fastRetries();
    stack = await startStack({ storeTls });
    data = await seededBytes('download-http', 5 * MIB + 99);
    await putBytes(stack.cos(), bucket, key, data);
  });
  after(async () => {
    await stack?.close();
  });

  test('a chunked answer: whole file and REST offset arrive byte-identical with 226', async () => {
    stack.store.faults.add({ op: 'GetObject', key, count: Infinity, action: { chunked: true } });
    const client = await stack.ftp();
    try {
      const whole = hashingSink();
      const reply = await client.downloadTo(whole.sink, 'dl/file.bin');
      assert.equal(reply.code, 226);
      assert.equal(whole.digest(), sha256OfBuffer(data));
      const tail = hashingSink();
      await client.downloadTo(tail.sink, 'dl/file.bin', 3 * MIB + 1);
      assert.equal(tail.digest(), sha256OfBuffer(data.subarray(3 * MIB + 1)));
    } finally {
      client.close();
      stack.store.faults.clear();
    }
  });

  test('a body cut mid-way whose resume is first answered 503: the download resumes and completes', async () => {
    stack.store.faults.add({ op: 'GetObject', key, action: { cutAfterBytes: 2 * MIB + 3 } });
    stack.store.faults.add({ op: 'GetObject', key, action: { throttleBytesPerSec: 8 * MIB } });
    stack.store.resetRequestCounts();
    const client = await stack.ftp();
    try {
      const sink = hashingSink();
      const done = client.downloadTo(sink.sink, 'dl/file.bin');
      // The 503 is armed once the first GET is under way, so that it answers the resume.
      await waitFor(() => stack.store.requestCounts().GetObject === 1);
      stack.store.faults.add({ op: 'GetObject', key, action: { status: 503, code: 'SlowDown' } });
      assert.equal((await done).code, 226);
      assert.equal(sink.digest(), sha256OfBuffer(data));
      assert.equal(stack.store.requestCounts().GetObject, 3);
    } finally {
      client.close();
      stack.store.faults.clear();
    }
  });
});
