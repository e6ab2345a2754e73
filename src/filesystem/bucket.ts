// The few COS requests the file system makes, typed, for one account's bucket. No caching: another session (or
// another tool) may change the bucket at any time.
import type COS from 'cos-nodejs-sdk-v5';
import type { AccountContext } from '../server/context';
import { endpointOptions } from '../store/cos-client';
import { cosStatusOf } from './errors';

export interface ObjectInfo {
  key: string;
  size: number;
  /** Milliseconds since the epoch. */
  mtime: number;
}

export interface ListPage {
  objects: ObjectInfo[];
  /** Common prefixes (with their trailing `/`), when listed with a delimiter. */
  prefixes: string[];
  /** Where the next page starts, or undefined when this was the last. */
  nextMarker: string | undefined;
}

/** COS: at most 1000 keys per Delete Multiple request, and per GetBucket page. */
export const MAX_BATCH = 1000;

export class Bucket {
  readonly cos: COS;
  readonly name: string;
  readonly region: string;

  constructor(account: AccountContext) {
    this.cos = account.cos;
    this.name = account.account.bucket;
    this.region = endpointOptions(account.account).Region;
  }

  private get at(): { Bucket: string; Region: string } {
    return { Bucket: this.name, Region: this.region };
  }

  /** HEAD: the object, or undefined when there is none. */
  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const r = await this.cos.headObject({ ...this.at, Key: key });
      const headers = (r.headers ?? {}) as Record<string, string | undefined>;
      const mtime = Date.parse(headers['last-modified'] ?? '');
      return { key, size: Number(headers['content-length'] ?? 0), mtime: Number.isFinite(mtime) ? mtime : 0 };
    } catch (err) {
      if (cosStatusOf(err) === 404) return undefined;
      throw err;
    }
  }

  /** One GetBucket page. */
  async list(opts: { prefix: string; delimiter?: string; marker?: string; maxKeys?: number }): Promise<ListPage> {
    const r = await this.cos.getBucket({
      ...this.at,
      Prefix: opts.prefix,
      Delimiter: opts.delimiter,
      Marker: opts.marker,
      MaxKeys: opts.maxKeys ?? MAX_BATCH,
      // Keys may hold characters XML 1.0 cannot carry; COS percent-encodes them on request.
      EncodingType: 'url',
    });
    const decode = (s: string): string => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    };
    const objects = (r.Contents ?? []).map((c) => ({
      key: decode(c.Key),
      size: Number(c.Size ?? 0),
      mtime: Date.parse(c.LastModified ?? '') || 0,
    }));
    const prefixes = (r.CommonPrefixes ?? []).map((p) => decode(p.Prefix));
    const truncated = String(r.IsTruncated) === 'true';
    let nextMarker: string | undefined;
    if (truncated) {
      const last = [...objects.map((o) => o.key), ...prefixes].sort(compareUtf8).pop();
      nextMarker = r.NextMarker ? decode(r.NextMarker) : last;
    }
    return { objects, prefixes, nextMarker };
  }

  /** Whether any key starts with `prefix` (a directory's marker or content): one GetBucket with max-keys 1. */
  async anyUnder(prefix: string): Promise<boolean> {
    const page = await this.list({ prefix, maxKeys: 1 });
    return page.objects.length > 0 || page.prefixes.length > 0;
  }

  async putEmpty(key: string): Promise<void> {
    await this.cos.putObject({ ...this.at, Key: key, Body: Buffer.alloc(0) });
  }

  async delete(key: string): Promise<void> {
    await this.cos.deleteObject({ ...this.at, Key: key });
  }

  /** Deletes up to 1000 keys in one request; returns the keys COS could not delete, with the reason. */
  async deleteMany(keys: string[]): Promise<Array<{ key: string; reason: string }>> {
    if (keys.length === 0) return [];
    const r = await this.cos.deleteMultipleObject({ ...this.at, Objects: keys.map((Key) => ({ Key })), Quiet: true });
    return (r.Error ?? []).map((e) => ({ key: e.Key, reason: `${e.Code} ${e.Message}` }));
  }

  /** `x-cos-copy-source` for a key of this bucket. */
  copySource(key: string): string {
    return `${this.name}.cos.${this.region}.myqcloud.com/${key.split('/').map(encodeURIComponent).join('/')}`;
  }

  /** PUT Object - Copy (objects up to 5 GB). */
  async copy(sourceKey: string, targetKey: string): Promise<void> {
    await this.cos.putObjectCopy({ ...this.at, Key: targetKey, CopySource: this.copySource(sourceKey) });
  }

  /** Multipart copy (Upload Part - Copy) for objects above 5 GB; aborts the upload on any failure. */
  async multipartCopy(sourceKey: string, targetKey: string, size: number, partSize: number): Promise<void> {
    const init = await this.cos.multipartInit({ ...this.at, Key: targetKey });
    const uploadId = init.UploadId;
    try {
      const parts: Array<{ PartNumber: number; ETag: string }> = [];
      for (let start = 0, n = 1; start < size; start += partSize, n++) {
        const end = Math.min(size, start + partSize) - 1;
        const r = await this.cos.uploadPartCopy({
          ...this.at,
          Key: targetKey,
          UploadId: uploadId,
          PartNumber: n,
          CopySource: this.copySource(sourceKey),
          CopySourceRange: `bytes=${start}-${end}`,
        });
        parts.push({ PartNumber: n, ETag: r.ETag });
      }
      await this.cos.multipartComplete({ ...this.at, Key: targetKey, UploadId: uploadId, Parts: parts });
    } catch (err) {
      await this.cos.multipartAbort({ ...this.at, Key: targetKey, UploadId: uploadId }).catch(() => undefined);
      throw err;
    }
  }
}

/** Byte order of UTF-8, the order COS lists keys in. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
