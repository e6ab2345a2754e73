// Fault injection and request counters, in-process and through the token-guarded admin endpoint.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type COS from 'cos-nodejs-sdk-v5';
import type { LocalCos } from '../../src/store/localcos';
import { at, md5Hex, patternBytes, sdkClient, sdkError, startStore } from './helpers';

const TOKEN = 'admin-secret';

function admin(port: number, method: string, path: string, body?: unknown, token = TOKEN): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? '' : JSON.stringify(body);
    const req = request(
      { host: '127.0.0.1', port, method, path, headers: { 'x-admin-token': token, 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('local COS fault injection', () => {
  let store: LocalCos;
  let cos: COS;
  const body = patternBytes(300_000, 11);
  before(async () => {
    store = await startStore({ adminToken: TOKEN });
    cos = sdkClient(store);
    await cos.putObject({ ...at, Key: 'f/a.bin', Body: body });
    await cos.putObject({ ...at, Key: 'f/b.bin', Body: body });
  });
  after(async () => {
    await store.close();
  });

  it('fails the next N matching requests with a chosen status and code, by key', async () => {
    store.faults.add({ op: 'HeadObject', key: 'f/a.bin', count: 2, action: { status: 403, code: 'AccessDenied' } });
    assert.equal((await sdkError(cos.headObject({ ...at, Key: 'f/a.bin' }))).statusCode, 403);
    assert.equal((await cos.headObject({ ...at, Key: 'f/b.bin' })).statusCode, 200);
    const second = await sdkError(cos.headObject({ ...at, Key: 'f/a.bin' }));
    assert.equal(second.statusCode, 403);
    assert.equal((await cos.headObject({ ...at, Key: 'f/a.bin' })).statusCode, 200);
  });

  it('counts requests per operation, SDK retries included', async () => {
    store.resetRequestCounts();
    store.faults.add({ op: 'GetObject', key: /^f\//, count: Infinity, action: { status: 503, code: 'SlowDown' } });
    const err = await sdkError(cos.getObject({ ...at, Key: 'f/a.bin' }));
    assert.equal(err.code, 'SlowDown');
    store.faults.clear();
    const counts = store.requestCounts();
    assert.ok((counts.GetObject ?? 0) >= 2, JSON.stringify(counts));
    await cos.putObject({ ...at, Key: 'f/c', Body: 'c' });
    assert.equal(store.requestCounts().PutObject, 1);
  });

  it('stalls and throttles without corrupting data', async () => {
    store.faults.add({ op: 'GetObject', action: { stallMs: 200 } });
    store.faults.add({ op: 'GetObject', action: { throttleBytesPerSec: 2_000_000 } });
    const got = await cos.getObject({ ...at, Key: 'f/a.bin' });
    assert.equal(md5Hex(got.Body as Buffer), md5Hex(body));
  });

  it('cuts a download mid-body', async () => {
    store.faults.add({ op: 'GetObject', key: 'f/b.bin', count: Infinity, action: { cutAfterBytes: 1000 } });
    const err = await sdkError(cos.getObject({ ...at, Key: 'f/b.bin' }));
    assert.ok(err, 'a cut download fails');
    store.faults.clear();
  });

  it('cuts an upload mid-body and keeps nothing of it', async () => {
    store.faults.add({ op: 'PutObject', key: 'f/cut.bin', count: Infinity, action: { cutAfterBytes: 100_000 } });
    await sdkError(cos.putObject({ ...at, Key: 'f/cut.bin', Body: body }));
    store.faults.clear();
    const missing = await sdkError(cos.headObject({ ...at, Key: 'f/cut.bin' }));
    assert.equal(missing.statusCode, 404);
  });

  it('takes faults and reports counters over the admin endpoint, only with the token', async () => {
    assert.equal((await admin(store.port, 'GET', '/-/admin/counts', undefined, 'wrong')).status, 403);
    assert.equal((await admin(store.port, 'DELETE', '/-/admin/counts')).status, 204);
    const added = await admin(store.port, 'POST', '/-/admin/faults', {
      op: 'PutObject',
      key: { regex: '^adm/' },
      count: 1,
      action: { status: 400, code: 'InvalidArgument', message: 'injected' },
    });
    assert.equal(added.status, 204);
    const err = await sdkError(cos.putObject({ ...at, Key: 'adm/x', Body: 'x' }));
    assert.equal(err.code, 'InvalidArgument');
    await cos.putObject({ ...at, Key: 'adm/x', Body: 'x' });
    const counts = JSON.parse((await admin(store.port, 'GET', '/-/admin/counts')).body) as Record<string, number>;
    assert.equal(counts.PutObject, 2);
    assert.equal((await admin(store.port, 'DELETE', '/-/admin/faults')).status, 204);
  });
});

describe('local COS fault queueing', () => {
  it('applies faults of one kind in the order added: 2 x 503, then 1 x 500, then success', async () => {
    const store = await startStore();
    try {
      const cos = sdkClient(store, undefined, undefined, {});
      await cos.putObject({ ...at, Key: 'q', Body: 'q' });
      store.faults.add({ op: 'HeadObject', count: 2, action: { status: 404, code: 'NoSuchKey' } });
      store.faults.add({ op: 'HeadObject', count: 1, action: { status: 409, code: 'Conflict' } });
      assert.equal((await sdkError(cos.headObject({ ...at, Key: 'q' }))).statusCode, 404);
      assert.equal((await sdkError(cos.headObject({ ...at, Key: 'q' }))).statusCode, 404);
      assert.equal((await sdkError(cos.headObject({ ...at, Key: 'q' }))).statusCode, 409);
      assert.equal((await cos.headObject({ ...at, Key: 'q' })).statusCode, 200);
    } finally {
      await store.close();
    }
  });
});
