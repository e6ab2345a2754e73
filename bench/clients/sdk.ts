// Direct COS access with cos-nodejs-sdk-v5, run as its own process so its CPU and memory are its own.
// argv[2]: a JSON SdkJob. Prints a ClientReport line.
import fs from 'node:fs';
import { Writable } from 'node:stream';
import COS from 'cos-nodejs-sdk-v5';
import { buildAccount } from '../../src/config/defaults';
import { endpointOptions } from '../../src/store/cos/client';
import { elapsed, printReport } from './report';

export interface SdkJob {
  op: 'multipart' | 'put' | 'get' | 'list' | 'seed' | 'ensure' | 'crcs' | 'remove';
  storeUrl: string;
  secretId: string;
  secretKey: string;
  bucket: string;
  key?: string;
  file?: string;
  /** multipart: part size (ChunkSize) and parts in flight (ChunkParallelLimit), as the gateway's config. */
  partSize?: number;
  threads?: number;
  prefix?: string;
  count?: number;
}

function client(job: SdkJob): { cos: COS; at: { Bucket: string; Region: string } } {
  // The gateway's own endpoint mapping (Ip + Protocol 'http:' for a URL endpoint), so both reach the store alike.
  const account = buildAccount({ secretId: job.secretId, secretKey: job.secretKey, bucket: job.bucket, endpoint: job.storeUrl, protocol: 'http' });
  const { Region, ...where } = endpointOptions(account);
  const cos = new COS({
    SecretId: job.secretId,
    SecretKey: job.secretKey,
    ...where,
    Timeout: 600_000,
    KeepAlive: true,
    AutoSwitchHost: false,
    ChunkParallelLimit: job.threads ?? 3,
    ChunkSize: job.partSize,
  });
  return { cos, at: { Bucket: job.bucket, Region } };
}

function discard(counter: { bytes: number }): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      counter.bytes += chunk.length;
      done();
    },
  });
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]) as SdkJob;
  const { cos, at } = client(job);
  const key = job.key ?? '';
  const start = process.hrtime.bigint();
  switch (job.op) {
    case 'multipart': {
      const size = fs.statSync(job.file ?? '').size;
      await cos.sliceUploadFile({ ...at, Key: key, FilePath: job.file ?? '', ChunkSize: job.partSize, SliceSize: job.partSize });
      return printReport(elapsed(start), size);
    }
    case 'put': {
      const size = fs.statSync(job.file ?? '').size;
      await cos.putObject({ ...at, Key: key, Body: fs.createReadStream(job.file ?? ''), ContentLength: size });
      return printReport(elapsed(start), size);
    }
    case 'get': {
      const counter = { bytes: 0 };
      await cos.getObject({ ...at, Key: key, Output: discard(counter) });
      return printReport(elapsed(start), counter.bytes);
    }
    case 'list': {
      const count = await listCount(cos, at, job.prefix ?? '');
      return printReport(elapsed(start), 0, count);
    }
    case 'seed': {
      const added = await seed(cos, at, job.prefix ?? '', job.count ?? 0);
      return printReport(elapsed(start), 0, added);
    }
    case 'crcs': {
      // The CRC-64 COS keeps for prefix0 .. prefix<count-1> (null where there is no object), as one JSON line.
      const crcs = await Promise.all(
        Array.from({ length: job.count ?? 0 }, async (_, i) => {
          const head = await cos.headObject({ ...at, Key: `${job.prefix ?? ''}${i}.bin` }).catch(() => undefined);
          const crc = (head?.headers as Record<string, string> | undefined)?.['x-cos-hash-crc64ecma'];
          return crc ?? null;
        }),
      );
      process.stdout.write(`${JSON.stringify({ crcs })}\n`);
      return printReport(elapsed(start), 0, crcs.length);
    }
    case 'remove': {
      // Deletes prefix0 .. prefix<count-1>.bin (a case's objects, once checked: they would fill the disk run after run).
      const keys = Array.from({ length: job.count ?? 0 }, (_, i) => ({ Key: `${job.prefix ?? ''}${i}.bin` }));
      for (let i = 0; i < keys.length; i += 1000) {
        await cos.deleteMultipleObject({ ...at, Objects: keys.slice(i, i + 1000), Quiet: true });
      }
      return printReport(elapsed(start), 0, keys.length);
    }
    case 'ensure': {
      // Uploads the file under key unless an object of that size is already there (reused work folders).
      const size = fs.statSync(job.file ?? '').size;
      const head = await cos.headObject({ ...at, Key: key }).catch(() => undefined);
      if (Number(head?.headers?.['content-length']) !== size) {
        await cos.sliceUploadFile({ ...at, Key: key, FilePath: job.file ?? '', ChunkSize: job.partSize, SliceSize: job.partSize });
      }
      return printReport(elapsed(start), size);
    }
  }
}

/** Pages GET Bucket (1,000 keys a page, delimiter '/') over the prefix, as a client listing a folder would. */
async function listCount(cos: COS, at: { Bucket: string; Region: string }, prefix: string): Promise<number> {
  let count = 0;
  let marker: string | undefined;
  for (;;) {
    const page = await cos.getBucket({ ...at, Prefix: prefix, Delimiter: '/', MaxKeys: 1000, Marker: marker });
    count += page.Contents.length + (page.CommonPrefixes?.length ?? 0);
    if (String(page.IsTruncated) !== 'true') return count;
    marker = page.NextMarker ?? page.Contents[page.Contents.length - 1]?.Key;
  }
}

/** Puts small objects prefix/obj-00000 .. until `count` exist under the prefix, 32 requests in flight. */
async function seed(cos: COS, at: { Bucket: string; Region: string }, prefix: string, count: number): Promise<number> {
  if ((await listCount(cos, at, prefix)) === count) return 0;
  const keys = Array.from({ length: count }, (_, i) => `${prefix}obj-${String(i).padStart(6, '0')}.txt`);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < keys.length) {
      const key = keys[next++];
      await cos.putObject({ ...at, Key: key, Body: Buffer.from(`${key}\n`) });
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  return keys.length;
}

main().catch((err: unknown) => {
  process.stderr.write(`sdk client: ${err instanceof Error ? err.stack : JSON.stringify(err)}\n`);
  process.exit(1);
});
