// COS lists eventually consistently (GET Bucket, doc 7734): a key just written may be missing from a listing for a
// while, and one just deleted may still be in it. HEAD and GET are read-after-write consistent. So this server
// remembers, for a short window, the keys it wrote and deleted itself, and mends each listing page with them:
// a remembered key the page lacks is confirmed with one HEAD and put in; a listed key it deleted is confirmed gone
// with one HEAD and taken out. A listing that agrees with the memory costs nothing extra, so request costs stay as
// documented. What other servers or tools wrote meanwhile cannot be known here (docs/storage.md).
import { compareUtf8, listPages } from './listing';
import {
  MAX_BATCH,
  type Body,
  type CallOptions,
  type InitMultipartOptions,
  type CompleteOptions,
  type CompletedPart,
  type CopyOptions,
  type DeleteFailure,
  type GetOptions,
  type GetResult,
  type ListOptions,
  type ListPage,
  type ObjectInfo,
  type ObjectStore,
  type PartCopyOptions,
  type PutOptions,
  type StoreCapabilities,
  type WriteResult,
} from './object-store';

/** How long a write is remembered: longer than COS takes to list it. */
export const REMEMBER_MS = 120_000;
/** At most this many keys per bucket (the oldest go first). */
const MAX_REMEMBERED = 10_000;

/** Keys written and deleted lately through this server, for one bucket. */
export class WriteMemory {
  /** key -> when; insertion order is age order (a key is re-inserted when touched again). */
  private readonly written = new Map<string, number>();
  private readonly deleted = new Map<string, number>();

  constructor(private readonly windowMs = REMEMBER_MS) {}

  wrote(key: string): void {
    this.deleted.delete(key);
    this.touch(this.written, key);
  }

  removed(key: string): void {
    this.written.delete(key);
    this.touch(this.deleted, key);
  }

  /** The store says otherwise now: forget what was remembered of `key`. */
  forget(key: string): void {
    this.written.delete(key);
    this.deleted.delete(key);
  }

  /** Remembered written keys under `prefix`, in key order. */
  writtenUnder(prefix: string): string[] {
    return this.live(this.written)
      .filter((k) => k.startsWith(prefix))
      .sort(compareUtf8);
  }

  wasDeleted(key: string): boolean {
    const at = this.deleted.get(key);
    return at !== undefined && Date.now() - at < this.windowMs;
  }

  private touch(map: Map<string, number>, key: string): void {
    map.delete(key);
    map.set(key, Date.now());
    if (map.size > MAX_REMEMBERED) map.delete(map.keys().next().value as string);
  }

  private live(map: Map<string, number>): string[] {
    const now = Date.now();
    for (const [key, at] of map) {
      if (now - at < this.windowMs) break;
      map.delete(key);
    }
    return [...map.keys()];
  }
}

/** One memory per bucket for all the accounts of one server. */
export class WriteMemories {
  private readonly byBucket = new Map<string, WriteMemory>();

  for(bucket: string): WriteMemory {
    let memory = this.byBucket.get(bucket);
    if (!memory) {
      memory = new WriteMemory();
      this.byBucket.set(bucket, memory);
    }
    return memory;
  }
}

/** A listing entry: an object (with its info) or a common prefix. */
interface Entry {
  key: string;
  info?: ObjectInfo;
}

/** In the half-open range (after, upTo] of a listing page; `upTo` undefined: to the end. */
function inRange(key: string, after: string | undefined, upTo: string | undefined): boolean {
  return (!after || compareUtf8(key, after) > 0) && (upTo === undefined || compareUtf8(key, upTo) <= 0);
}

/** An ObjectStore whose listings show this server's own recent writes and deletes (see the file comment). */
export class ReadYourWrites implements ObjectStore {
  readonly name: string;
  readonly capabilities: StoreCapabilities;

  constructor(
    private readonly inner: ObjectStore,
    private readonly memory: WriteMemory,
  ) {
    this.name = inner.name;
    this.capabilities = inner.capabilities;
  }

  async head(key: string, opts?: CallOptions): Promise<ObjectInfo | undefined> {
    const info = await this.inner.head(key, opts);
    if (!info) this.memory.forget(key);
    return info;
  }

  async listPage(opts: ListOptions): Promise<ListPage> {
    const page = await this.inner.listPage(opts);
    return this.mend(opts, page);
  }

  list(opts: ListOptions): AsyncIterable<ListPage> {
    return listPages(this, opts);
  }

  /** Puts in the remembered writes the page should hold, and takes out the remembered deletes it still shows. */
  private async mend(opts: ListOptions, page: ListPage): Promise<ListPage> {
    const maxKeys = opts.maxKeys ?? MAX_BATCH;
    const listed = new Set(page.objects.map((o) => o.key));
    const shownPrefixes = new Set(page.prefixes);
    const added: Entry[] = [];
    let more = false;
    for (const key of this.memory.writtenUnder(opts.prefix)) {
      const cut = opts.delimiter ? key.indexOf(opts.delimiter, opts.prefix.length) : -1;
      const commonPrefix = cut >= 0 ? key.slice(0, cut + (opts.delimiter ?? '').length) : undefined;
      if (!inRange(commonPrefix ?? key, opts.marker, page.nextMarker)) continue;
      if (commonPrefix !== undefined ? shownPrefixes.has(commonPrefix) : listed.has(key)) continue;
      // A last page that is already full: the rest comes on the next one (the marker moves to the last entry kept).
      if (page.nextMarker === undefined && listed.size + shownPrefixes.size >= maxKeys) {
        more = true;
        break;
      }
      const info = await this.head(key, opts);
      if (!info) continue;
      if (commonPrefix !== undefined) {
        shownPrefixes.add(commonPrefix);
        added.push({ key: commonPrefix });
      } else {
        listed.add(key);
        added.push({ key, info });
      }
    }
    const gone = new Set<string>();
    for (const o of page.objects) {
      if (!this.memory.wasDeleted(o.key)) continue;
      // Not this.head: its not-found would forget the delete, and the next listing would show the key again.
      if (await this.inner.head(o.key, opts)) this.memory.forget(o.key);
      else gone.add(o.key);
    }
    if (added.length === 0 && gone.size === 0) return page;
    let entries: Entry[] = [
      ...page.objects.filter((o) => !gone.has(o.key)).map((info) => ({ key: info.key, info })),
      ...page.prefixes.map((key) => ({ key })),
      ...added,
    ].sort((a, b) => compareUtf8(a.key, b.key));
    let nextMarker = page.nextMarker;
    if (more || (nextMarker === undefined && entries.length > maxKeys)) {
      entries = entries.slice(0, maxKeys);
      nextMarker = entries[entries.length - 1]?.key ?? opts.marker ?? '';
    }
    return {
      objects: entries.flatMap((e) => (e.info ? [e.info] : [])),
      prefixes: entries.flatMap((e) => (e.info ? [] : [e.key])),
      nextMarker,
    };
  }

  get(key: string, opts?: GetOptions): Promise<GetResult> {
    return this.inner.get(key, opts);
  }

  async put(key: string, body: Body, opts: PutOptions): Promise<WriteResult> {
    const r = await this.inner.put(key, body, opts);
    this.memory.wrote(key);
    return r;
  }

  async delete(key: string, opts?: CallOptions): Promise<void> {
    await this.inner.delete(key, opts);
    this.memory.removed(key);
  }

  async deleteMany(keys: readonly string[], opts?: CallOptions): Promise<DeleteFailure[]> {
    const failed = await this.inner.deleteMany(keys, opts);
    const kept = new Set(failed.map((f) => f.key));
    for (const key of keys) if (!kept.has(key)) this.memory.removed(key);
    return failed;
  }

  async copy(sourceKey: string, targetKey: string, opts?: CopyOptions): Promise<WriteResult> {
    const r = await this.inner.copy(sourceKey, targetKey, opts);
    this.memory.wrote(targetKey);
    return r;
  }

  initMultipart(key: string, opts?: InitMultipartOptions): Promise<string> {
    return this.inner.initMultipart(key, opts);
  }

  uploadPart(key: string, uploadId: string, partNumber: number, body: Body, opts: PutOptions): Promise<WriteResult> {
    return this.inner.uploadPart(key, uploadId, partNumber, body, opts);
  }

  uploadPartCopy(key: string, uploadId: string, partNumber: number, sourceKey: string, opts: PartCopyOptions): Promise<WriteResult> {
    return this.inner.uploadPartCopy(key, uploadId, partNumber, sourceKey, opts);
  }

  async completeMultipart(key: string, uploadId: string, parts: readonly CompletedPart[], opts?: CompleteOptions): Promise<WriteResult> {
    const r = await this.inner.completeMultipart(key, uploadId, parts, opts);
    this.memory.wrote(key);
    return r;
  }

  abortMultipart(key: string, uploadId: string, opts?: CallOptions): Promise<void> {
    return this.inner.abortMultipart(key, uploadId, opts);
  }
}
