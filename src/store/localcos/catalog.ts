// The store's index: buckets, their objects (with keys kept sorted for listing) and multipart uploads in progress.
// In data-folder mode every change is also written as a small JSON sidecar (temp file + rename), keyed by a hash
// of the object key, so keys are never turned into host paths and the folder survives a restart.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BlobStore, DiskBlobStore, MemoryBlobStore, type StoredBlob, newId } from './blob-store';
import { SortedKeys } from './key-order';

export interface ObjectRecord {
  key: string;
  size: number;
  /** MD5 hex, or `<hex>-<parts>` for a multipart object; unquoted. */
  etag: string;
  /** CRC-64/XZ, unsigned decimal. */
  crc64: string;
  /** ms since epoch */
  lastModified: number;
  /** Stored representation headers (content-type, cache-control, ...), lower-case names. */
  headers: Record<string, string>;
  /** User metadata without the `x-cos-meta-` / `x-amz-meta-` prefix. */
  meta: Record<string, string>;
  /** The bytes, in order (one per multipart part). */
  segments: StoredBlob[];
}

export interface PartRecord {
  partNumber: number;
  size: number;
  etag: string;
  crc64: string;
  lastModified: number;
  blob: StoredBlob;
}

export interface UploadRecord {
  uploadId: string;
  bucket: string;
  key: string;
  initiated: number;
  headers: Record<string, string>;
  meta: Record<string, string>;
  parts: Map<number, PartRecord>;
}

/** A deleted object as a lagging listing may still show it (memory only; for the lingerDeletedMs fault). */
export interface Tombstone {
  record: ObjectRecord;
  deletedAt: number;
}

/** Deleted objects remembered per bucket, at most (the oldest go first). */
const MAX_TOMBSTONES = 10_000;

export interface BucketState {
  name: string;
  created: number;
  keys: SortedKeys;
  /** Recently deleted objects, oldest first. */
  tombstones?: Map<string, Tombstone>;
  objects: Map<string, ObjectRecord>;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{0,62}$/;

export function isValidBucketName(name: string): boolean {
  return BUCKET_NAME.test(name) && !name.includes('..');
}

function keyHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.${newId()}.tmp`;
  writeFileSync(tmp, JSON.stringify(value));
  renameSync(tmp, path);
}

interface StoredSegment {
  id: string;
  size: number;
}

export class Catalog {
  readonly blobs: BlobStore;
  readonly buckets = new Map<string, BucketState>();
  readonly uploads = new Map<string, UploadRecord>();
  private readonly dataDir?: string;

  constructor(dataDir?: string) {
    this.dataDir = dataDir;
    this.blobs = dataDir ? new DiskBlobStore(dataDir) : new MemoryBlobStore();
    if (dataDir) this.load(dataDir);
  }

  ensureBucket(name: string): BucketState {
    const existing = this.buckets.get(name);
    if (existing) return existing;
    if (!isValidBucketName(name)) throw new Error(`invalid bucket name: ${name}`);
    const bucket: BucketState = { name, created: Date.now(), keys: new SortedKeys(), objects: new Map() };
    this.buckets.set(name, bucket);
    if (this.dataDir) {
      const dir = join(this.dataDir, 'buckets', name);
      mkdirSync(join(dir, 'objects'), { recursive: true });
      writeJsonAtomic(join(dir, 'bucket.json'), { name, created: bucket.created });
    }
    return bucket;
  }

  /** Makes `record` the object at its key, releasing the bytes of what it replaces. */
  putObject(bucket: BucketState, record: ObjectRecord): void {
    if (this.dataDir) {
      writeJsonAtomic(this.objectPath(bucket.name, record.key), {
        ...record,
        segments: record.segments.map((s): StoredSegment => ({ id: s.id, size: s.size })),
      });
    }
    const previous = bucket.objects.get(record.key);
    bucket.tombstones?.delete(record.key);
    bucket.objects.set(record.key, record);
    if (!previous) bucket.keys.insert(record.key);
    else for (const segment of previous.segments) this.blobs.release(segment);
  }

  deleteObject(bucket: BucketState, key: string): boolean {
    const previous = bucket.objects.get(key);
    if (!previous) return false;
    if (this.dataDir) rmSync(this.objectPath(bucket.name, key), { force: true });
    bucket.objects.delete(key);
    bucket.keys.remove(key);
    bucket.tombstones ??= new Map();
    bucket.tombstones.set(key, { record: previous, deletedAt: Date.now() });
    if (bucket.tombstones.size > MAX_TOMBSTONES) bucket.tombstones.delete(bucket.tombstones.keys().next().value as string);
    for (const segment of previous.segments) this.blobs.release(segment);
    return true;
  }

  addUpload(upload: UploadRecord): void {
    this.uploads.set(upload.uploadId, upload);
    if (this.dataDir) {
      const dir = join(this.dataDir, 'uploads', upload.uploadId);
      mkdirSync(dir, { recursive: true });
      const { parts: _parts, ...info } = upload;
      writeJsonAtomic(join(dir, 'upload.json'), info);
    }
  }

  putPart(upload: UploadRecord, part: PartRecord): void {
    if (this.dataDir) {
      const path = join(this.dataDir, 'uploads', upload.uploadId, `${part.partNumber}.json`);
      writeJsonAtomic(path, { ...part, blob: { id: part.blob.id, size: part.blob.size } });
    }
    const previous = upload.parts.get(part.partNumber);
    upload.parts.set(part.partNumber, part);
    if (previous) this.blobs.release(previous.blob);
  }

  /** Forgets an upload; `keep` lists parts whose bytes now belong to an object. */
  removeUpload(upload: UploadRecord, keep: ReadonlySet<number> = new Set()): void {
    this.uploads.delete(upload.uploadId);
    if (this.dataDir) rmSync(join(this.dataDir, 'uploads', upload.uploadId), { recursive: true, force: true });
    for (const part of upload.parts.values()) if (!keep.has(part.partNumber)) this.blobs.release(part.blob);
  }

  private objectPath(bucket: string, key: string): string {
    return join(this.dataDir as string, 'buckets', bucket, 'objects', `${keyHash(key)}.json`);
  }

  /** Rebuilds the index from the data folder and removes what an interrupted write left behind. */
  private load(dataDir: string): void {
    const referenced = new Set<string>();
    const bucketsDir = join(dataDir, 'buckets');
    mkdirSync(bucketsDir, { recursive: true });
    for (const name of readdirSync(bucketsDir)) {
      if (!isValidBucketName(name)) continue;
      const dir = join(bucketsDir, name);
      let created = Date.now();
      try {
        created = (JSON.parse(readFileSync(join(dir, 'bucket.json'), 'utf8')) as { created: number }).created;
      } catch {
        // A bucket folder without its file: keep the bucket anyway.
      }
      const objects = new Map<string, ObjectRecord>();
      const objectsDir = join(dir, 'objects');
      mkdirSync(objectsDir, { recursive: true });
      for (const file of readdirSync(objectsDir)) {
        const path = join(objectsDir, file);
        if (!file.endsWith('.json') || file.includes('.tmp')) {
          unlinkSync(path);
          continue;
        }
        const record = JSON.parse(readFileSync(path, 'utf8')) as ObjectRecord;
        objects.set(record.key, record);
        for (const s of record.segments) referenced.add(s.id);
      }
      this.buckets.set(name, { name, created, objects, keys: SortedKeys.from(objects.keys()) });
    }
    const uploadsDir = join(dataDir, 'uploads');
    mkdirSync(uploadsDir, { recursive: true });
    for (const uploadId of readdirSync(uploadsDir)) {
      const dir = join(uploadsDir, uploadId);
      const infoPath = join(dir, 'upload.json');
      if (!existsSync(infoPath)) {
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      const info = JSON.parse(readFileSync(infoPath, 'utf8')) as Omit<UploadRecord, 'parts'>;
      const parts = new Map<number, PartRecord>();
      let completed = false;
      for (const file of readdirSync(dir)) {
        if (!/^\d+\.json$/.test(file)) {
          if (file !== 'upload.json') unlinkSync(join(dir, file));
          continue;
        }
        const part = JSON.parse(readFileSync(join(dir, file), 'utf8')) as PartRecord;
        parts.set(part.partNumber, part);
        // A part already owned by an object: the store stopped between completing the upload and forgetting it.
        if (referenced.has(part.blob.id)) completed = true;
      }
      if (completed) {
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      for (const part of parts.values()) referenced.add(part.blob.id);
      this.uploads.set(info.uploadId, { ...info, parts });
    }
    const store = this.blobs as DiskBlobStore;
    for (const file of readdirSync(store.blobDir)) if (!referenced.has(file)) unlinkSync(join(store.blobDir, file));
    for (const file of readdirSync(store.tmpDir)) rmSync(join(store.tmpDir, file), { force: true });
  }
}
