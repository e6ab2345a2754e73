// The store's SDK requests (everything but GetObject, which has its own client: cos-get.test.ts) reuse keep-alive
// connections, over HTTP and HTTPS. Each new connection starts with small TCP windows (and, over HTTPS, a TLS
// handshake): an UploadPart per new connection cost the store ~6 % more CPU per byte (docs/hot-path.md). And a kept
// connection must not keep what its requests sent (a part buffer each).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { buildAccount } from '../../src/config/defaults';
import { type ObjectStore, createStore } from '../../src/store/index';
import type { LocalCos } from '../../src/store/localcos/index';
import { testLogger } from '../helpers/stack';
import { storeCertificate } from '../helpers/store-tls';
import { BUCKET, SECRET_ID, SECRET_KEY, patternBytes, startStore } from './helpers';

/** A full collection (V8 installs `gc` in new contexts once the flag is set). */
function collect(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

for (const secure of [false, true]) {
  describe(`SDK requests share keep-alive connections (${secure ? 'HTTPS' : 'HTTP'})`, () => {
    let local: LocalCos;
    let store: ObjectStore;

    before(async () => {
      local = await startStore({ tls: secure ? storeCertificate() : undefined });
      store = createStore(buildAccount({ secretId: SECRET_ID, secretKey: SECRET_KEY, bucket: BUCKET, endpoint: local.url }), {
        logger: testLogger(),
        ca: secure ? storeCertificate().cert : undefined,
      });
    });
    after(async () => {
      await local?.close();
    });

    test('PUT, HEAD, a multipart upload and DELETE one after the other: one connection', async () => {
      const part = patternBytes(256 * 1024, 3);
      await store.put('first.bin', part, { length: part.length });
      const connections = local.connectionCount();
      assert.equal((await store.head('first.bin'))?.size, part.length);
      await store.put('second.bin', part, { length: part.length });
      const uploadId = await store.initMultipart('multi.bin');
      const parts: { partNumber: number; etag: string }[] = [];
      const whole = patternBytes(1024 * 1024, 4);
      for (const [n, body] of [whole, whole, part].entries()) {
        const written = await store.uploadPart('multi.bin', uploadId, n + 1, body, { length: body.length });
        parts.push({ partNumber: n + 1, etag: written.etag });
      }
      await store.completeMultipart('multi.bin', uploadId, parts);
      assert.equal((await store.head('multi.bin'))?.size, 2 * whole.length + part.length);
      await store.delete('second.bin');
      assert.equal(local.connectionCount(), connections, 'every request after the first went on the same connection');
    });

    test('a kept connection does not hold the bodies it sent', async () => {
      const uploadId = await store.initMultipart('held.bin');
      const sent: WeakRef<Buffer>[] = [];
      const parts = await Promise.all(
        [1, 2, 3].map(async (partNumber) => {
          const body = patternBytes(1024 * 1024, 10 + partNumber);
          sent.push(new WeakRef(body));
          return { partNumber, etag: (await store.uploadPart('held.bin', uploadId, partNumber, body, { length: body.length })).etag };
        }),
      );
      await store.completeMultipart('held.bin', uploadId, parts);
      assert.ok(local.openConnections() >= 1, 'connections kept alive');
      await new Promise((resolve) => setTimeout(resolve, 50));
      collect();
      assert.deepEqual(
        sent.map((ref) => ref.deref() === undefined),
        [true, true, true],
        'every part body collected while its connection stays open',
      );
    });
  });
}
