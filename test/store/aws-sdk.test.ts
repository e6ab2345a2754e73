// The local store answers the AWS SDK v3 as it comes out of the box, not only as S3Store configures it: virtual-
// hosted bucket names (`bucket.host`), the SDK's default request checksums (a streamed body goes as aws-chunked with
// a CRC32 trailer; a buffer with x-amz-checksum-crc32), response checksum mode, ListObjectsV2 and Delete Multiple.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { LocalCos } from '../../src/store/localcos/index';
import { BUCKET, SECRET_ID, SECRET_KEY, patternBytes, startStore } from './helpers';

let local: LocalCos;
let client: S3Client;
const agent = new http.Agent({
  keepAlive: true,
  // Every `<bucket>.s3.test` name is this machine: virtual-hosted requests without a DNS entry.
  lookup: ((_host, opts, callback) =>
    opts.all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4)) as LookupFunction,
});

before(async () => {
  local = await startStore();
  client = new S3Client({
    region: 'us-east-1',
    endpoint: `http://s3.test:${local.port}`,
    forcePathStyle: false,
    credentials: { accessKeyId: SECRET_ID, secretAccessKey: SECRET_KEY },
    requestHandler: new NodeHttpHandler({ httpAgent: agent }),
  });
});

after(async () => {
  client?.destroy();
  agent.destroy();
  await local?.close();
});

test('virtual-hosted names, default checksums (aws-chunked stream, header on a buffer), V2 listing, Delete Multiple', async () => {
  const body = patternBytes(300_000, 21);
  await client.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: 'aws/stream 한.bin',
      Body: Readable.from([body.subarray(0, 1000), body.subarray(1000)]),
      ContentLength: body.length,
    }),
  );
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'aws/buffer', Body: body }));
  for (const key of ['aws/stream 한.bin', 'aws/buffer']) {
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: 'ENABLED' }));
    assert.ok(Buffer.from(await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()).equals(body), key);
  }
  const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'aws/' }));
  assert.deepEqual(listed.Contents?.map((c) => c.Key), ['aws/buffer', 'aws/stream 한.bin']);
  const deleted = await client.send(
    new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'aws/buffer' }, { Key: 'aws/stream 한.bin' }] } }),
  );
  assert.equal(deleted.Deleted?.length, 2);
  assert.equal(deleted.Errors, undefined);
  assert.deepEqual(local.requestCounts(), { PutObject: 2, GetObject: 2, GetBucket: 1, DeleteMultipleObjects: 1 });
});
