// A client's ABOR or close that lands while a store request of the transfer is under way (Initiate, Complete, a
// resumed download's second GET), and a store failure while RETR checks a REST offset at the end of the file: the
// reply tells what happened, nothing is left behind in the store, no store request outlives the transfer.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, beforeEach, describe, test } from 'node:test';
import { type Stack, startStack } from '../helpers/stack';
import { RawSession, writeBytes } from './ftp-front';
import { MIB, fastRetries, objectHash, objectSize, openUploads, putBytes, seededBytes, sha256OfBuffer, waitFor } from './helpers';

const PART = MIB;
const bucket = 'bucket1-1250000000';

describe('ABOR or close while a store request is under way', () => {
  let stack: Stack;

  before(async () => {
    fastRetries();
    stack = await startStack({ transfer: { minPartSize: PART, singleFileMaxSize: 16 * MIB, uploadThreadNum: 4 } });
  });
  after(async () => {
    await stack?.close();
  });
  beforeEach(() => {
    stack.store.faults.clear();
    stack.store.resetRequestCounts();
  });

  const raw = (): Promise<RawSession> => RawSession.open(stack.ftpPort, 'user1', 'pass1');
  const count = (op: string): number => stack.store.requestCounts()[op] ?? 0;

  for (const how of ['ABOR', 'close'] as const) {
    test(`${how} while InitiateMultipartUpload is in flight: no multipart upload is left open`, async () => {
      const key = `initiate-${how}.bin`;
      const stallMs = 300;
      stack.store.faults.add({ op: 'InitiateMultipartUpload', key, action: { stallMs } });
      const s = await raw();
      const data = await s.startTransfer(`STOR ${key}`);
      // One byte past a part: the part is sent, so the multipart upload is initiated.
      await writeBytes(data, PART + 1);
      await waitFor(() => count('InitiateMultipartUpload') === 1);
      const initiatedAt = Date.now();
      if (how === 'ABOR') {
        s.control.socket.write('ABOR\r\n');
        assert.equal((await s.read()).code, 426);
        assert.equal((await s.read()).code, 226);
        data.destroy();
        s.close();
      } else {
        s.close();
        data.destroy();
        await waitFor(() => stack.gateway.context.stats.transfers === 0);
      }
      // The store creates the upload once the stall is over, whether or not anybody still waits for its answer.
      await sleep(Math.max(0, initiatedAt + stallMs + 200 - Date.now()));
      await waitFor(() => stack.gateway.context.stats.transfers === 0);
      assert.deepEqual(await openUploads(stack.cos(), bucket), []);
      assert.equal(await objectSize(stack.cos(), bucket, key), undefined);
    });
  }

  test('ABOR while CompleteMultipartUpload is in flight: the commit finishes, 226 for the transfer, 226 for ABOR', async () => {
    const key = 'complete-abor.bin';
    const old = await seededBytes('complete-old', 100);
    await putBytes(stack.cos(), bucket, key, old);
    const body = await seededBytes('complete-new', 3 * PART + 7);
    // COS goes on with a Complete it has received whoever stops waiting for it; here the gateway's clean-up
    // (an Abort) would come too late to stop it either.
    stack.store.faults.add({ op: 'CompleteMultipartUpload', key, action: { slowCompleteMs: 400 } });
    stack.store.faults.add({ op: 'AbortMultipartUpload', key, action: { stallMs: 300 } });
    const s = await raw();
    try {
      const data = await s.startTransfer(`STOR ${key}`);
      data.end(body);
      await waitFor(() => count('CompleteMultipartUpload') === 1);
      s.control.socket.write('ABOR\r\n');
      const transferReply = await s.read();
      const aborReply = await s.read();
      // Whatever the reply, it must be the truth: the store holds exactly what it says.
      const stored = await objectHash(stack.cos(), bucket, key);
      assert.equal(transferReply.code, 226, `${transferReply.text}; stored ${stored === sha256OfBuffer(body) ? 'new' : 'old'}`);
      assert.equal(aborReply.code, 226, aborReply.text);
      assert.equal(stored, sha256OfBuffer(body));
      assert.equal((await s.send('NOOP')).code, 200);
    } finally {
      s.close();
    }
    assert.deepEqual(await openUploads(stack.cos(), bucket), []);
  });

  for (const how of ['ABOR', 'close'] as const) {
    test(`${how} while a whole-file PutObject waits in the store with its whole body: the reply tells the truth`, async () => {
      const key = `put-${how}.bin`;
      const old = await seededBytes('put-old', 100);
      await putBytes(stack.cos(), bucket, key, old);
      const body = await seededBytes(`put-new-${how}`, 200_000);
      // The store holds the request (its body already sent, in the socket) before reading it; it then stores the
      // object whoever still waits for the answer, as COS does with a body it has received whole.
      stack.store.faults.add({ op: 'PutObject', key, action: { stallMs: 400 } });
      const s = await raw();
      const data = await s.startTransfer(`STOR ${key}`);
      data.end(body);
      await waitFor(() => count('PutObject') === 1);
      await sleep(100);
      if (how === 'ABOR') {
        s.control.socket.write('ABOR\r\n');
        const transferReply = await s.read();
        const aborReply = await s.read();
        await sleep(500);
        const stored = await objectHash(stack.cos(), bucket, key);
        assert.equal(transferReply.code, 226, `${transferReply.text}; stored ${stored === sha256OfBuffer(body) ? 'new' : 'old'}`);
        assert.equal(aborReply.code, 226, aborReply.text);
        assert.equal(stored, sha256OfBuffer(body));
        assert.equal((await s.send('NOOP')).code, 200);
        s.close();
      } else {
        // The client gives up; what matters is that the gateway finishes the upload (its log says 226), and the
        // object is the new one, whole.
        s.close();
        await waitFor(() => stack.gateway.context.stats.transfers === 0);
        assert.equal(await objectHash(stack.cos(), bucket, key), sha256OfBuffer(body));
      }
    });
  }

  test('REST+RETR whose GET is re-issued after a break: ABOR cancels the re-issued GET at once', async () => {
    const key = 'resume-abor.bin';
    await putBytes(stack.cos(), bucket, key, await seededBytes('resume-abor', 4 * PART));
    // The first GET breaks off after 512 KiB (sent slowly, so that the next fault is armed before the break); the
    // GET that resumes it hangs in the store.
    stack.store.faults.add({ op: 'GetObject', key, action: { cutAfterBytes: 512 * 1024 } });
    stack.store.faults.add({ op: 'GetObject', key, action: { throttleBytesPerSec: 1024 * 1024 } });
    const s = await raw();
    try {
      assert.equal((await s.send(`REST ${PART}`)).code, 350);
      const data = await s.startTransfer(`RETR ${key}`);
      data.on('data', () => undefined);
      stack.store.faults.add({ op: 'GetObject', key, action: { stallMs: 10_000 } });
      await waitFor(() => count('GetObject') === 2);
      await sleep(50);
      const open = stack.store.openConnections();
      s.control.socket.write('ABOR\r\n');
      assert.equal((await s.read()).code, 426);
      assert.equal((await s.read()).code, 226);
      data.destroy();
      // The hanging GET's connection is closed by the gateway, long before the store would answer it.
      await waitFor(() => stack.store.openConnections() < open, 3_000);
      assert.equal(count('GetObject'), 2);
    } finally {
      s.close();
    }
  });

  test('REST at the end of a file while HEAD fails: 451 (the store may work later), not 550', async () => {
    const key = 'rest-end.bin';
    const body = await seededBytes('rest-end', 1000);
    await putBytes(stack.cos(), bucket, key, body);
    stack.store.faults.add({ op: 'HeadObject', key, count: Infinity, action: { status: 503, code: 'SlowDown' } });
    const s = await raw();
    try {
      assert.equal((await s.send(`REST ${body.length}`)).code, 350);
      const data = await s.openData();
      const r = await s.send(`RETR ${key}`);
      data.destroy();
      assert.equal(r.code, 451, r.text);
      stack.store.faults.clear();
      // Once the store is back, the same request is an empty transfer.
      assert.equal((await s.send(`REST ${body.length}`)).code, 350);
      const again = await s.startTransfer(`RETR ${key}`);
      let got = 0;
      again.on('data', (c: Buffer) => (got += c.length));
      await new Promise((resolve) => again.once('close', resolve));
      assert.equal((await s.read()).code, 226);
      assert.equal(got, 0);
    } finally {
      s.close();
    }
  });
});
