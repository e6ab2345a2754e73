// One conformance suite for every ObjectStore implementation, run against the local store: CosStore through
// cos-nodejs-sdk-v5 (COS signatures, virtual-hosted names) and S3Store through @aws-sdk/client-s3 (SigV4, path
// style). Paging over 2,500 keys with and without delimiter, non-ASCII keys, ranged and pinned GETs, multipart with
// part copy, a copy larger than a part, Delete Multiple, error classes, and cancellation freeing the request.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { buildAccount } from '../../src/config/defaults';
import type { AccountConfig } from '../../src/config/types';
import type { LocalCos } from '../../src/store/localcos/index';
import {
  MAX_BATCH,
  type ObjectStore,
  type RequestEvent,
  createStore,
  isCancelled,
} from '../../src/store/index';
import { retryPolicy } from '../../src/store/retry';
import { multipartEtag } from '../../src/store/s3/s3-store';
import { testLogger } from '../helpers/stack';
import { BUCKET, SECRET_ID, SECRET_KEY, at, crc64Of, patternBytes, sdkClient, startStore, storeFailure } from './helpers';

const MIB = 1024 * 1024;
const MANY = 2500;

function accountFor(backend: 'cos' | 's3', local: LocalCos, change: Partial<AccountConfig> = {}): AccountConfig {
  const base = { secretId: SECRET_ID, secretKey: SECRET_KEY, bucket: BUCKET, ...change };
  if (backend === 'cos') return buildAccount({ ...base, endpoint: local.url });
  return buildAccount({ ...base, storage: 's3', s3: { endpoint: local.url, region: 'us-east-1', forcePathStyle: true } });
}

async function readAll(body: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(chunks);
}

const failure = storeFailure;

/** Multipart uploads still open in the bucket (asked through the COS SDK, whichever store is under test). */
async function openUploads(local: LocalCos): Promise<number> {
  const r = await sdkClient(local).multipartList({ ...at, Prefix: '', Delimiter: '' });
  return (r.Upload ?? []).length;
}

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('base64');

/** Puts a one-byte object at each key, 50 at a time (through the faster SDK: seeding is not under test). */
async function seed(store: ObjectStore, keys: string[]): Promise<void> {
  const body = Buffer.from('x');
  for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => store.put(k, body, { length: 1 })));
}

// One local store for both backends; each suite cleans up what it changes, and only reads the seeded keys.
let local: LocalCos;
let seeder: ObjectStore;
const saved = { ...retryPolicy };

before(async () => {
  retryPolicy.baseDelayMs = 5;
  retryPolicy.maxDelayMs = 20;
  local = await startStore();
  seeder = createStore(accountFor('s3', local), { logger: testLogger() });
  // 2,500 keys in 25 folders of 100, plus files at the root of the prefix.
  const keys: string[] = [];
  for (let d = 0; d < 25; d++) for (let i = 0; i < 100; i++) keys.push(`many/d${String(d).padStart(2, '0')}/f${String(i).padStart(3, '0')}`);
  for (let i = 0; i < 10; i++) keys.push(`many/top${i}`);
  await seed(seeder, keys);
});

after(async () => {
  Object.assign(retryPolicy, saved);
  await local?.close();
});

for (const backend of ['cos', 's3'] as const) {
  describe(`ObjectStore conformance: ${backend}`, () => {
    let store: ObjectStore;
    const events: RequestEvent[] = [];

    before(() => {
      store = createStore(accountFor(backend, local), { logger: testLogger(), onRequest: (e) => events.push(e) });
    });

    test('paging over 2,510 keys: without delimiter every key once, in order; with delimiter 25 folders and 10 files', async () => {
      const seen: string[] = [];
      let pages = 0;
      for await (const page of store.list({ prefix: 'many/' })) {
        pages++;
        assert.ok(page.objects.length <= MAX_BATCH);
        seen.push(...page.objects.map((o) => o.key));
      }
      assert.equal(pages, 3);
      assert.equal(seen.length, MANY + 10);
      assert.equal(new Set(seen).size, seen.length);
      assert.deepEqual(seen, [...seen].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));

      const prefixes: string[] = [];
      const files: string[] = [];
      for await (const page of store.list({ prefix: 'many/', delimiter: '/', maxKeys: 7 })) {
        prefixes.push(...page.prefixes);
        files.push(...page.objects.map((o) => o.key));
      }
      assert.equal(prefixes.length, 25);
      assert.equal(prefixes[0], 'many/d00/');
      assert.equal(files.length, 10);
      const first = await store.listPage({ prefix: 'many/d01/', maxKeys: 1 });
      assert.equal(first.objects[0].key, 'many/d01/f000');
      assert.equal(first.objects[0].size, 1);
      assert.equal(first.nextMarker, 'many/d01/f000');
    });

    test('non-ASCII, space, plus and percent keys survive put, head, list, get, copy and delete', async () => {
      const keys = ['uni/한국어 文件.txt', 'uni/a+b %41 #.txt', 'uni/emoji 😀/x', 'uni/tab\there'];
      for (const [i, key] of keys.entries()) {
        const body = Buffer.from(`content ${i}`);
        await store.put(key, body, { length: body.length, md5: md5(body) });
        assert.equal((await store.head(key))?.size, body.length, key);
        assert.deepEqual(await readAll((await store.get(key)).body), body, key);
      }
      const listed: string[] = [];
      const dirs: string[] = [];
      for await (const page of store.list({ prefix: 'uni/', delimiter: '/' })) {
        listed.push(...page.objects.map((o) => o.key));
        dirs.push(...page.prefixes);
      }
      assert.deepEqual(listed.sort(), keys.filter((k) => !k.includes('😀')).sort());
      assert.deepEqual(dirs, ['uni/emoji 😀/']);
      await store.copy(keys[0], 'uni/copied 文件');
      assert.equal((await store.head('uni/copied 文件'))?.size, 9);
      assert.deepEqual(await store.deleteMany([...keys, 'uni/copied 文件']), []);
      assert.equal((await store.listPage({ prefix: 'uni/' })).objects.length, 0);
    });

    test('ranged GET, GET pinned to an ETag, and the size of the whole object', async () => {
      const data = patternBytes(100_000, 7);
      const put = await store.put('range.bin', [data.subarray(0, 40_000), data.subarray(40_000)], { length: data.length });
      const head = await store.head('range.bin');
      assert.equal(head?.size, data.length);
      assert.equal(head?.etag, put.etag);
      const mid = await store.get('range.bin', { start: 1000, end: 1999 });
      assert.equal(mid.size, data.length);
      assert.equal(mid.length, 1000);
      assert.deepEqual(await readAll(mid.body), data.subarray(1000, 2000));
      const tail = await store.get('range.bin', { start: 99_000, ifMatch: head?.etag });
      assert.deepEqual(await readAll(tail.body), data.subarray(99_000));
      if (store.capabilities.crc64) assert.equal(tail.crc64, crc64Of(data));
      const changed = await failure(store.get('range.bin', { ifMatch: '"0123456789abcdef0123456789abcdef"' }));
      assert.equal(changed.kind, 'conflict');
      const beyond = await failure(store.get('range.bin', { start: data.length }));
      assert.equal(beyond.status, 416);
    });

    test('multipart: two data parts after a part copied from another object, completed and read back', async () => {
      const old = patternBytes(MIB + 5, 3);
      await store.put('mp/old', old, { length: old.length });
      const uploadId = await store.initMultipart('mp/new');
      const copied = await store.uploadPartCopy('mp/new', uploadId, 1, 'mp/old', { first: 0, last: old.length - 1 });
      const a = patternBytes(MIB, 4);
      const b = patternBytes(1234, 5);
      const p2 = await store.uploadPart('mp/new', uploadId, 2, [a.subarray(0, 1000), a.subarray(1000)], {
        length: a.length,
        crc64: store.capabilities.crc64 ? crc64Of(a) : undefined,
      });
      const p3 = await store.uploadPart('mp/new', uploadId, 3, b, { length: b.length });
      const done = await store.completeMultipart('mp/new', uploadId, [
        { partNumber: 1, etag: copied.etag },
        { partNumber: 2, etag: p2.etag },
        { partNumber: 3, etag: p3.etag },
      ]);
      const whole = Buffer.concat([old, a, b]);
      if (store.capabilities.crc64) assert.equal(done.crc64, crc64Of(whole));
      // Without CRC-64, a Complete retried after a lost answer recognises its object by the ETag its parts make.
      if (backend === 's3') {
        const expected = multipartEtag([copied, p2, p3].map((p, i) => ({ partNumber: i + 1, etag: p.etag })));
        assert.equal((await store.head('mp/new'))?.etag, expected);
      }
      assert.deepEqual(await readAll((await store.get('mp/new')).body), whole);
      assert.equal(await openUploads(local), 0);
    });

    test('a copy larger than one part goes as ranged part copies; an aborted upload leaves nothing', async () => {
      const big = patternBytes(2 * MIB + 17, 9);
      await store.put('cp/src', big, { length: big.length });
      const uploadId = await store.initMultipart('cp/dst');
      const parts = [];
      for (let first = 0, n = 1; first < big.length; first += MIB, n++) {
        const last = Math.min(big.length, first + MIB) - 1;
        const r = await store.uploadPartCopy('cp/dst', uploadId, n, 'cp/src', { first, last });
        parts.push({ partNumber: n, etag: r.etag });
      }
      assert.equal(parts.length, 3);
      await store.completeMultipart('cp/dst', uploadId, parts);
      assert.deepEqual(await readAll((await store.get('cp/dst')).body), big);

      const abandoned = await store.initMultipart('cp/abandoned');
      await store.uploadPart('cp/abandoned', abandoned, 1, big.subarray(0, MIB), { length: MIB });
      await store.abortMultipart('cp/abandoned', abandoned);
      await store.abortMultipart('cp/abandoned', abandoned); // already gone: no error
      assert.equal(await openUploads(local), 0);
      assert.equal(await store.head('cp/abandoned'), undefined);
    });

    test('metadata: HEAD shows it; a copy onto itself replaces it keeping the headers repeated; a multipart upload may set it', async () => {
      const key = `meta/${backend}.txt`;
      await sdkClient(local).putObject({ ...at, Key: key, Body: Buffer.from('meta'), ContentType: 'text/plain', Headers: { 'x-cos-meta-color': 'blue' } });
      const before = await store.head(key);
      assert.equal(before?.metadata?.meta.color, 'blue');
      assert.equal(before?.metadata?.headers['content-type'], 'text/plain');
      const replaced = { meta: { ...before?.metadata?.meta, mtime: '1600000000' }, headers: { ...before?.metadata?.headers } };
      await store.copy(key, key, { replaceMetadata: replaced, sourceIfMatch: before?.etag });
      const after = await store.head(key);
      assert.deepEqual(after?.metadata?.meta, { color: 'blue', mtime: '1600000000' });
      assert.equal(after?.metadata?.headers['content-type'], 'text/plain');
      const uploadId = await store.initMultipart(`${key}.mp`, { metadata: replaced });
      const part = await store.uploadPart(`${key}.mp`, uploadId, 1, Buffer.from('mp'), { length: 2 });
      await store.completeMultipart(`${key}.mp`, uploadId, [{ partNumber: 1, etag: part.etag }]);
      assert.deepEqual((await store.head(`${key}.mp`))?.metadata?.meta, { color: 'blue', mtime: '1600000000' });
      await store.deleteMany([key, `${key}.mp`]);
    });

    test('Delete Multiple removes many keys in one request; deleting a missing key is no error', async () => {
      const keys = Array.from({ length: 300 }, (_, i) => `del/k${i}`);
      await seed(seeder, keys);
      local.resetRequestCounts();
      assert.deepEqual(await store.deleteMany(keys), []);
      assert.equal(local.requestCounts().DeleteMultipleObjects, 1);
      assert.equal((await store.listPage({ prefix: 'del/' })).objects.length, 0);
      await store.delete('del/k0');
    });

    test('error classes: not-found, denied, retryable (retried, then given up), a damaged body refused', async () => {
      assert.equal(await store.head('missing'), undefined);
      assert.equal((await failure(store.get('missing'))).kind, 'not-found');
      const noBucket = createStore(accountFor(backend, local, { bucket: 'nosuch-1250000000' }), { logger: testLogger() });
      const nb = await failure(noBucket.listPage({ prefix: '' }));
      assert.equal(nb.kind, 'not-found');
      assert.equal(nb.storeCode, 'NoSuchBucket');
      const wrongKey = createStore(accountFor(backend, local, { secretKey: 'wrong' }), { logger: testLogger() });
      const denied = await failure(wrongKey.listPage({ prefix: '' }));
      assert.equal(denied.kind, 'denied');
      assert.equal(denied.storeCode, 'SignatureDoesNotMatch');

      // Two 503s, then success: retried by the one policy, and each try observed.
      local.faults.add({ op: 'HeadObject', key: 'range.bin', count: 2, action: { status: 503, code: 'SlowDown' } });
      events.length = 0;
      assert.equal((await store.head('range.bin'))?.size, 100_000);
      // A request is reported once it has closed, which may be just after its answer was handed on.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const heads = events.filter((e) => e.operation === 'HeadObject');
      assert.deepEqual(heads.map((e) => e.status), [503, 503, 200].slice(-heads.length));
      assert.ok(heads.length >= 3);
      assert.equal(heads.at(-1)?.errorKind, undefined);
      assert.equal(heads[0].errorKind, 'retryable');

      local.faults.add({ op: 'PutObject', key: 'never', count: Infinity, action: { status: 500, code: 'InternalError' } });
      const gaveUp = await failure(store.put('never', Buffer.from('x'), { length: 1 }));
      local.faults.clear();
      assert.equal(gaveUp.kind, 'retryable');
      assert.equal(gaveUp.storeCode, 'InternalError');

      const body = Buffer.from('the real content');
      const damaged = await failure(store.put('digest', body, { length: body.length, md5: md5(Buffer.from('other')), tries: 1 }));
      assert.equal(damaged.storeCode, 'BadDigest');
      assert.equal(await store.head('digest'), undefined);

      // COS answers a failed copy with 200 and an <Error> body: classified by its code, not as success.
      if (backend === 'cos') {
        local.faults.add({ op: 'PutObjectCopy', count: 1, action: { status: 200, code: 'AccessDenied' } });
        const inBody = await failure(store.copy('range.bin', 'copy-denied', { tries: 1 }));
        local.faults.clear();
        assert.equal(inBody.kind, 'denied');
        assert.equal(inBody.status, 200);
      }
    });

    test('cancellation destroys the request in flight and stops retries at once', async () => {
      const data = patternBytes(2 * MIB, 11);
      await store.put('slow.bin', data, { length: data.length });
      local.faults.add({ op: 'GetObject', key: 'slow.bin', count: Infinity, action: { throttleBytesPerSec: 64 * 1024 } });
      const controller = new AbortController();
      const got = await store.get('slow.bin', { signal: controller.signal });
      const ended = new Promise<void>((resolve) => got.body.once('close', () => resolve()));
      got.body.resume();
      const started = Date.now();
      controller.abort();
      await ended;
      assert.ok(Date.now() - started < 2000, 'the body closed at once');

      // A stalled PUT: aborted mid-request at once, and no retry follows. (Whether the store keeps a body that had
      // arrived whole is up to the store; the upload stream's commit rules cover that.)
      const key = `stalled-${backend}`;
      local.faults.add({ op: 'PutObject', key, count: Infinity, action: { stallMs: 3_000 } });
      local.resetRequestCounts();
      const stop = new AbortController();
      const putting = failure(store.put(key, [data.subarray(0, MIB), data.subarray(MIB)], { length: data.length, signal: stop.signal }));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const t0 = Date.now();
      stop.abort();
      const err = await putting;
      assert.ok(isCancelled(err), err.describe());
      assert.ok(Date.now() - t0 < 2000);
      local.faults.clear();
      assert.equal(local.requestCounts().PutObject, 1);
    });
  });
}
