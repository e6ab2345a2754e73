// Rename in object storage: copy, then delete. A directory is every key under its prefix; its sources are deleted
// only after every copy succeeded, so a failure never loses an object that was not copied.
import type { Logger } from 'pino';
import { type DeleteFailure, MAX_BATCH, type ObjectInfo, type ObjectMetadata, type ObjectStore, describeError, isStoreError } from '../store/object-store';
import { ReplyError, badName, storageError } from './errors';
import { MAX_KEY_BYTES } from './paths';

/** Copy sizes (mutable so that tests can exercise the multipart path without 5 GB objects). */
export const copyLimits = {
  /** PUT Object - Copy accepts objects up to 5 GB; above, Upload Part - Copy. */
  singleCopyMaxBytes: 5 * 1024 ** 3,
  /** Part size of a multipart copy, raised when needed to stay within 10,000 parts. */
  partBytes: 512 * 1024 ** 2,
};

/** Parallel copies during a directory rename. */
const COPY_CONCURRENCY = 4;

export interface CopyObjectOptions {
  /** The source's metadata when known (a HEAD's); a multipart copy otherwise HEADs the source for it. */
  metadata?: ObjectMetadata;
  /** Write `metadata` onto the target instead of the source's (MFMT: a copy onto itself with a new mtime). */
  replace?: boolean;
  /** Only while the source still has this ETag. */
  sourceIfMatch?: string;
}

/**
 * One Copy up to the store's limit (5 GB); above it Initiate + one Upload Part - Copy per part + Complete. The
 * target keeps the source's metadata either way (a multipart upload starts without any, so it is passed on).
 */
export async function copyObject(
  store: ObjectStore,
  source: string,
  target: string,
  size: number,
  log: Logger,
  opts: CopyObjectOptions = {},
): Promise<void> {
  if (size > Math.min(copyLimits.singleCopyMaxBytes, store.capabilities.maxCopyBytes)) {
    const partBytes = Math.max(copyLimits.partBytes, Math.ceil(size / 10_000));
    const metadata = opts.metadata ?? (await store.head(source))?.metadata;
    await multipartCopy(store, { source, target, size, partBytes, metadata, sourceIfMatch: opts.sourceIfMatch }, log);
  } else {
    await store.copy(source, target, { replaceMetadata: opts.replace ? opts.metadata : undefined, sourceIfMatch: opts.sourceIfMatch });
  }
}

interface MultipartCopy {
  source: string;
  target: string;
  size: number;
  partBytes: number;
  metadata: ObjectMetadata | undefined;
  sourceIfMatch: string | undefined;
}

/**
 * Multipart copy (Upload Part - Copy) for objects above one Copy's limit; aborts the upload on any failure. An
 * upload that cannot be aborted keeps its copied parts (billed) until someone aborts it: logged as an error with
 * its key and upload id, the copy's own failure is what the caller sees.
 */
async function multipartCopy(store: ObjectStore, copy: MultipartCopy, log: Logger): Promise<void> {
  const { source, target, size, partBytes: partSize, metadata, sourceIfMatch } = copy;
  const uploadId = await store.initMultipart(target, { metadata });
  try {
    const parts: Array<{ partNumber: number; etag: string }> = [];
    for (let first = 0, n = 1; first < size; first += partSize, n++) {
      const last = Math.min(size, first + partSize) - 1;
      const r = await store.uploadPartCopy(target, uploadId, n, source, { first, last, sourceIfMatch });
      parts.push({ partNumber: n, etag: r.etag });
    }
    await store.completeMultipart(target, uploadId, parts);
  } catch (err) {
    await store.abortMultipart(target, uploadId).catch((abortError: unknown) => {
      log.error(
        { key: target, uploadId, err: describeError(abortError), copyError: describeError(err) },
        'multipart copy failed and its upload could not be aborted; it stays open until aborted',
      );
    });
    throw err;
  }
}

/** A file: copy then delete (2 requests up to 5 GB). */
export async function renameFile(store: ObjectStore, source: ObjectInfo, targetKey: string, log: Logger): Promise<void> {
  try {
    await copyObject(store, source.key, targetKey, source.size, log, { metadata: source.metadata });
  } catch (err) {
    throw storageError(err, 'Rename failed, nothing changed');
  }
  try {
    await store.delete(source.key);
  } catch (err) {
    throw new ReplyError(451, `Renamed by copy, but the old name could not be removed (${describeError(err)})`, err);
  }
}

/** Every key under `prefix` (marker included), page by page. */
async function keysUnder(store: ObjectStore, prefix: string): Promise<ObjectInfo[]> {
  const all: ObjectInfo[] = [];
  for await (const page of store.list({ prefix, maxKeys: MAX_BATCH })) all.push(...page.objects);
  return all;
}

/** Runs `work` over `items` with at most `limit` at a time; stops starting new work after the first failure. */
async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const item = items[next++];
      try {
        await work(item);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
}

async function deleteAll(store: ObjectStore, keys: string[]): Promise<DeleteFailure[]> {
  const failed: DeleteFailure[] = [];
  for (let i = 0; i < keys.length; i += MAX_BATCH) {
    const batch = keys.slice(i, i + MAX_BATCH);
    try {
      failed.push(...(await store.deleteMany(batch)));
    } catch (err) {
      failed.push(...batch.map((key) => ({ key, reason: describeError(err) })));
    }
  }
  return failed;
}

/**
 * A directory: copy every key under `sourcePrefix` to `targetPrefix`, then delete the sources. When a copy fails,
 * the copies made are removed again and every source stays. Returns the number of objects moved.
 */
export async function renameDirectory(
  store: ObjectStore,
  sourcePrefix: string,
  targetPrefix: string,
  log: Logger,
): Promise<number> {
  let sources: ObjectInfo[];
  try {
    sources = await keysUnder(store, sourcePrefix);
  } catch (err) {
    throw storageError(err, 'Rename failed, nothing changed');
  }
  // Every new name must be a key COS takes: refused before the first copy, so nothing is half-moved.
  const tooLong = sources.find((o) => Buffer.byteLength(targetPrefix + o.key.slice(sourcePrefix.length), 'utf8') > MAX_KEY_BYTES);
  if (tooLong) {
    throw badName(`Rename refused: ${tooLong.key.slice(sourcePrefix.length)} would get an object key over ${MAX_KEY_BYTES} bytes.`);
  }
  const copied: string[] = [];
  // Listed but gone when copied (COS's listing lags behind deletes): nothing to move, nothing to delete.
  const vanished = new Set<string>();
  try {
    await eachLimited(sources, COPY_CONCURRENCY, async (o) => {
      const target = targetPrefix + o.key.slice(sourcePrefix.length);
      try {
        await copyObject(store, o.key, target, o.size, log);
      } catch (err) {
        if (isStoreError(err, 'not-found') && err.storeCode === 'NoSuchKey' && !(await store.head(o.key))) {
          vanished.add(o.key);
          return;
        }
        throw err;
      }
      copied.push(target);
    });
  } catch (err) {
    const leftover = await deleteAll(store, copied);
    log.warn(
      { sourcePrefix, targetPrefix, copied: copied.length, total: sources.length, leftover: leftover.length, err: describeError(err) },
      'directory rename failed; copies removed, sources kept',
    );
    const note = leftover.length ? `; ${leftover.length} partial copies could not be removed` : '';
    throw storageError(err, `Rename failed after ${copied.length} of ${sources.length} copies; nothing was moved${note}`);
  }
  if (vanished.size) log.info({ sourcePrefix, vanished: vanished.size }, 'directory rename: listed objects already gone');
  sources = sources.filter((o) => !vanished.has(o.key));
  const failed = await deleteAll(store, sources.map((o) => o.key));
  if (failed.length) {
    log.warn({ sourcePrefix, targetPrefix, failed: failed.length, first: failed[0] }, 'directory renamed; some sources not removed');
    throw new ReplyError(
      451,
      `Directory copied, but ${failed.length} of ${sources.length} objects could not be removed from the old name`,
    );
  }
  return sources.length;
}
