// GET Bucket (list v1) through the SDK: paging 2,500 keys with and without a delimiter, UTF-8 byte order,
// IsTruncated/NextMarker, encoding-type=url.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type COS from 'cos-nodejs-sdk-v5';
import type { LocalCos } from '../../src/store/localcos';
import { at, sdkClient, startStore } from './helpers';

const byUtf8 = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe('local COS bucket listing via the SDK', () => {
  let store: LocalCos;
  let cos: COS;
  const keys: string[] = [];
  before(async () => {
    store = await startStore();
    cos = sdkClient(store);
    for (let d = 0; d < 40; d++) for (let f = 0; f < 50; f++) keys.push(`list/dir${d}/f${f}`);
    for (let f = 0; f < 496; f++) keys.push(`list/file${f}`);
    keys.push('list/é', 'list/\uff5e', 'list/😀', 'list/z');
    // Eight writers at a time: quick, and the store must cope with concurrent writes.
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < keys.length) {
          const key = keys[next++];
          await cos.putObject({ ...at, Key: key, Body: key });
        }
      }),
    );
    await cos.putObject({ ...at, Key: 'other/x', Body: 'x' });
  });
  after(async () => {
    await store.close();
  });

  async function pageAll(params: { Prefix: string; Delimiter?: string; MaxKeys: number }): Promise<{ items: string[]; pages: number }> {
    const items: string[] = [];
    let marker = '';
    let pages = 0;
    for (;;) {
      pages++;
      assert.ok(pages < 100, 'listing does not end');
      const res = await cos.getBucket({ ...at, ...params, Marker: marker });
      const page = [...(res.CommonPrefixes ?? []).map((p) => p.Prefix), ...res.Contents.map((c) => c.Key)].sort(byUtf8);
      assert.ok(page.length <= params.MaxKeys);
      items.push(...page);
      if (res.IsTruncated !== 'true') {
        assert.equal(res.NextMarker, undefined);
        return { items, pages };
      }
      assert.equal(res.NextMarker, page[page.length - 1]);
      marker = res.NextMarker as string;
    }
  }

  it('pages all 2,500 keys in UTF-8 byte order, 1000 at a time', async () => {
    const { items, pages } = await pageAll({ Prefix: 'list/', MaxKeys: 1000 });
    assert.equal(pages, 3);
    assert.deepEqual(items, [...keys].sort(byUtf8));
  });

  it('pages a delimiter listing: common prefixes and keys count together, each returned once', async () => {
    const { items, pages } = await pageAll({ Prefix: 'list/', Delimiter: '/', MaxKeys: 100 });
    const expected = [
      ...Array.from({ length: 40 }, (_v, d) => `list/dir${d}/`),
      ...keys.filter((k) => !k.slice('list/'.length).includes('/')),
    ].sort(byUtf8);
    assert.equal(items.length, 540);
    assert.deepEqual(items, expected);
    assert.equal(pages, 6);
  });

  it('pages inside a folder, with a page boundary on a common prefix', async () => {
    const first = await cos.getBucket({ ...at, Prefix: 'list/d', Delimiter: '/', MaxKeys: 3 });
    assert.deepEqual(first.CommonPrefixes.map((p) => p.Prefix), ['list/dir0/', 'list/dir1/', 'list/dir10/']);
    assert.equal(first.IsTruncated, 'true');
    assert.equal(first.NextMarker, 'list/dir10/');
    const second = await cos.getBucket({ ...at, Prefix: 'list/d', Delimiter: '/', MaxKeys: 3, Marker: 'list/dir10/' });
    assert.deepEqual(second.CommonPrefixes.map((p) => p.Prefix), ['list/dir11/', 'list/dir12/', 'list/dir13/']);
  });

  it('answers an exact last page without IsTruncated, and a root listing', async () => {
    const exact = await cos.getBucket({ ...at, Prefix: 'list/dir3/', MaxKeys: 50 });
    assert.equal(exact.Contents.length, 50);
    assert.equal(exact.IsTruncated, 'false');
    const root = await cos.getBucket({ ...at, Delimiter: '/' });
    assert.deepEqual(root.CommonPrefixes.map((p) => p.Prefix), ['list/', 'other/']);
    assert.equal(root.Contents.length, 0);
    const obj = (await cos.getBucket({ ...at, Prefix: 'other/' })).Contents[0];
    assert.equal(obj.Key, 'other/x');
    assert.equal(obj.Size, '1');
    assert.match(obj.LastModified, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.match(obj.ETag, /^"[0-9a-f]{32}"$/);
  });

  it('url-encodes keys and prefixes with encoding-type=url', async () => {
    const res = await cos.getBucket({ ...at, Prefix: 'list/', Delimiter: '/', EncodingType: 'url', MaxKeys: 1000 });
    const encoded = res.Contents.map((c) => c.Key);
    assert.ok(encoded.includes('list/%C3%A9'));
    assert.ok(encoded.map((k) => decodeURIComponent(k)).includes('list/😀'));
  });
});
