// CosStore's GetObject client against the local store, over HTTP and HTTPS, real sockets only: keep-alive reuse,
// connections the store closes or drops, a chunked answer, an answer that breaks off, cancellation, Range with
// If-Match, timeouts and a skewed store clock.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildAccount } from '../../src/config/defaults';
import { type GetResult, type ObjectStore, type RequestEvent, StoreError, createStore, isCancelled } from '../../src/store/index';
import type { LocalCos } from '../../src/store/localcos/index';
import { retryPolicy } from '../../src/store/retry';
import { testLogger } from '../helpers/stack';
import { storeCertificate } from '../helpers/store-tls';
import { BUCKET, SECRET_ID, SECRET_KEY, crc64Of, patternBytes, startStore, storeFailure } from './helpers';

const MIB = 1024 * 1024;

async function readAll(result: GetResult): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of result.body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const failure = storeFailure;

const tick = (ms = 30): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, probe: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await tick(10);
  }
}

const saved = { ...retryPolicy };
before(() => {
  retryPolicy.baseDelayMs = 5;
  retryPolicy.maxDelayMs = 20;
});
after(() => Object.assign(retryPolicy, saved));

for (const secure of [false, true]) {
  describe(`CosStore GetObject client (${secure ? 'HTTPS' : 'HTTP'})`, () => {
    let local: LocalCos;
    let store: ObjectStore;
    const events: RequestEvent[] = [];
    const small = patternBytes(200_000, 5);
    const big = patternBytes(3 * MIB + 123, 6);

    const makeStore = (timeoutMs?: number, onRequest?: (e: RequestEvent) => void): ObjectStore =>
      createStore(buildAccount({ secretId: SECRET_ID, secretKey: SECRET_KEY, bucket: BUCKET, endpoint: local.url }), {
        logger: testLogger(),
        ca: secure ? storeCertificate().cert : undefined,
        timeoutMs,
        onRequest,
      });

    before(async () => {
      local = await startStore({ tls: secure ? storeCertificate() : undefined });
      store = makeStore(undefined, (e) => events.push(e));
      await store.put('small.bin', small, { length: small.length });
      await store.put('big.bin', big, { length: big.length });
    });
    after(async () => {
      await local?.close();
    });

    test('GETs one after the other share one keep-alive connection, an error answer included', async () => {
      await readAll(await store.get('small.bin'));
      const before = local.connectionCount();
      assert.deepEqual(await readAll(await store.get('big.bin')), big);
      assert.equal((await failure(store.get('missing'))).kind, 'not-found');
      assert.deepEqual(await readAll(await store.get('small.bin')), small);
      assert.equal(local.connectionCount(), before, 'no new connection');
    });

    test('a body whose last bytes met a full reader: the connection goes back reading, and serves the next GET', async () => {
      const quick = makeStore(2000);
      const oneSlab = patternBytes(MIB + 100, 8);
      await quick.put('one-slab.bin', oneSlab, { length: oneSlab.length });
      await readAll(await quick.get('small.bin'));
      const before = local.connectionCount();
      for (let i = 0; i < 3; i++) {
        const got = await quick.get('one-slab.bin');
        // Not read for a while: the reader's buffer fills (push() says stop) as the body completes.
        await tick(50);
        assert.deepEqual(await readAll(got), oneSlab);
      }
      assert.equal(local.connectionCount(), before, 'the same connection throughout (none timed out and replaced)');
    });

    test('the store closes the idle connection between two GETs: the next GET works on a new one', async () => {
      await readAll(await store.get('small.bin'));
      const before = local.connectionCount();
      local.closeIdleConnections();
      // At once (the close may still be on its way) and after the close was seen.
      assert.deepEqual(await readAll(await store.get('small.bin')), small);
      local.closeIdleConnections();
      await tick();
      assert.deepEqual(await readAll(await store.get('small.bin')), small);
      assert.ok(local.connectionCount() > before);
    });

    test('a reused connection dropped without an answer: the GET goes once more on a new connection', async () => {
      await readAll(await store.get('small.bin'));
      local.faults.add({ op: 'GetObject', key: 'small.bin', action: { dropConnection: true } });
      local.resetRequestCounts();
      events.length = 0;
      const before = local.connectionCount();
      assert.deepEqual(await readAll(await store.get('small.bin')), small);
      assert.equal(local.requestCounts().GetObject, 2);
      assert.equal(local.connectionCount(), before + 1);
      await tick();
      // One try as far as the retry policy and metrics go.
      assert.deepEqual(events.map((e) => [e.status, e.retry]), [[200, 0]]);
    });

    test('a new connection dropped without an answer is a retryable failure, retried', async () => {
      const fresh = makeStore(undefined, (e) => events.push(e));
      local.faults.add({ op: 'GetObject', key: 'small.bin', action: { dropConnection: true } });
      events.length = 0;
      assert.deepEqual(await readAll(await fresh.get('small.bin')), small);
      await tick();
      assert.deepEqual(events.map((e) => [e.status, e.retry, e.errorKind]), [[0, 0, 'retryable'], [200, 1, undefined]]);
    });

    test('a chunked answer (as a proxy may send): whole and ranged GETs, bytes and sizes right, connection reused', async () => {
      local.faults.add({ op: 'GetObject', key: 'big.bin', count: Infinity, action: { chunked: true } });
      try {
        const whole = await store.get('big.bin');
        assert.equal(whole.size, big.length);
        assert.equal(whole.crc64, crc64Of(big));
        assert.deepEqual(await readAll(whole), big);
        const before = local.connectionCount();
        const ranged = await store.get('big.bin', { start: 1000, end: 2 * MIB });
        assert.equal(ranged.size, big.length);
        assert.equal(ranged.length, 2 * MIB - 999);
        assert.deepEqual(await readAll(ranged), big.subarray(1000, 2 * MIB + 1));
        const tail = await store.get('big.bin', { start: MIB });
        assert.deepEqual(await readAll(tail), big.subarray(MIB));
        assert.equal(local.connectionCount(), before);
      } finally {
        local.faults.clear();
      }
    });

    test('a body that breaks off (plain or chunked) fails retryable and its connection is not reused', async () => {
      for (const chunked of [false, true]) {
        local.faults.add({ op: 'GetObject', key: 'big.bin', action: { cutAfterBytes: MIB + 7 } });
        if (chunked) local.faults.add({ op: 'GetObject', key: 'big.bin', action: { chunked: true } });
        const before = local.connectionCount();
        // Ranged: a whole chunked answer would add a HEAD (through the SDK, on a connection of its own).
        const got = await store.get('big.bin', { start: 0, end: big.length - 1 });
        const err = await failure(readAll(got));
        assert.equal(err.kind, 'retryable', err.describe());
        assert.deepEqual(await readAll(await store.get('big.bin', { start: MIB })), big.subarray(MIB));
        assert.equal(local.connectionCount(), before + 1);
      }
    });

    test('a cancelled GET is destroyed at once and its connection never reused', async () => {
      local.faults.add({ op: 'GetObject', key: 'big.bin', action: { throttleBytesPerSec: 256 * 1024 } });
      await readAll(await store.get('small.bin'));
      const before = local.connectionCount();
      const controller = new AbortController();
      const got = await store.get('big.bin', { signal: controller.signal });
      const closed = new Promise<unknown>((resolve) => {
        got.body.once('error', resolve);
        got.body.once('close', () => resolve(undefined));
      });
      got.body.resume();
      await tick(100);
      const open = local.openConnections();
      controller.abort();
      const err = await closed;
      assert.ok(err === undefined || isCancelled(err), String(err));
      await until('the store to see the connection closed', () => local.openConnections() < open);
      assert.deepEqual(await readAll(await store.get('small.bin')), small);
      assert.equal(local.connectionCount(), before + 1, 'a new connection after the cancelled one');
      // A body destroyed by its reader also drops its connection.
      const dropped = await store.get('big.bin');
      dropped.body.destroy();
      assert.deepEqual(await readAll(await store.get('small.bin')), small);
      assert.equal(local.connectionCount(), before + 2);
    });

    test('Range with If-Match: the range of that version; another version is a conflict; beyond the end is 416', async () => {
      const head = await store.head('big.bin');
      const part = await store.get('big.bin', { start: 5, end: 5 + MIB, ifMatch: head?.etag });
      assert.equal(part.length, MIB + 1);
      assert.equal(part.etag, head?.etag);
      assert.deepEqual(await readAll(part), big.subarray(5, 6 + MIB));
      const changed = await failure(store.get('big.bin', { start: 5, ifMatch: '"00000000000000000000000000000000"' }));
      assert.equal(changed.kind, 'conflict');
      assert.equal(changed.status, 412);
      const beyond = await failure(store.get('big.bin', { start: big.length + 1, ifMatch: head?.etag }));
      assert.equal(beyond.status, 416);
    });

    test('no progress for timeoutMs is a retryable failure: a stalled answer is retried', async () => {
      const observed: RequestEvent[] = [];
      const quick = makeStore(300, (e) => observed.push(e));
      local.faults.add({ op: 'GetObject', key: 'small.bin', action: { stallMs: 1500 } });
      assert.deepEqual(await readAll(await quick.get('small.bin')), small);
      await tick();
      assert.deepEqual(observed.map((e) => [e.status, e.errorKind]), [[0, 'retryable'], [200, undefined]]);
    });

    test('a body left unread (paused) for timeoutMs is given up as retryable, so it never holds its connection', async () => {
      const quick = makeStore(300);
      const got = await quick.get('big.bin');
      const failed = new Promise<unknown>((resolve) => got.body.once('error', resolve));
      const err = await failed;
      assert.ok(err instanceof StoreError && err.kind === 'retryable', String(err));
      assert.ok(got.body.destroyed);
    });

    test('a store clock an hour off: the first GET learns the offset and succeeds', async () => {
      const skewed = makeStore();
      local.faults.add({ op: '*', count: Infinity, action: { clockSkewMs: -3_600_000 } });
      try {
        assert.deepEqual(await readAll(await skewed.get('small.bin')), small);
        assert.deepEqual(await readAll(await skewed.get('small.bin', { start: 10 })), small.subarray(10));
      } finally {
        local.faults.clear();
      }
    });
  });
}
