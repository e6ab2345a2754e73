// Folders in a bucket, made to behave like a disk's. A folder exists while any key lies under its prefix: its own
// `dir/` marker (MKD writes one), or objects other tools wrote under it without a marker. Such a marker-less folder
// would vanish with its last key, under the very client that just emptied it: FileZilla's and Net::FTP's recursive
// delete then got 550 for the CWD/RMD of folders they had emptied. So an operation that removes something first
// asks `keepFolder` whether that is the last thing in its folder, and if so writes the folder's marker: a folder a
// client has seen stays until RMD. Every folder-marker rule lives here (design: docs/folders.md).
import { firstEntries } from '../store/listing';
import type { ObjectStore } from '../store/object-store';
import { dirKey } from './paths';

/** Writes a folder's `dir/` marker: an empty object (one PUT). */
export async function putMarker(store: ObjectStore, marker: string): Promise<void> {
  await store.put(marker, Buffer.alloc(0), { length: 0 });
}

/** Whether any key starts with `keyPrefix` (a folder's marker or content): one GetBucket with max-keys 1. */
export async function anyUnder(store: ObjectStore, keyPrefix: string): Promise<boolean> {
  // firstEntries: COS may answer a short (even empty) page that is truncated; read on rather than call it empty.
  const page = await firstEntries(store, { prefix: keyPrefix }, 1);
  return page.objects.length > 0 || page.prefixes.length > 0;
}

/**
 * Before `leaving` (an object key, or a sub-folder's key prefix ending in `/`) is removed from the folder `dir` (an
 * FTP path under the account's key `prefix`): writes the folder's marker when nothing else is in it, neither a
 * marker nor another key. One GetBucket (delimiter `/`, max-keys 2: the marker sorts first, else a second entry shows
 * that something else stays) and, only when the folder would vanish, one PUT. The root needs no marker: it is free.
 * Run before the removal, so the folder exists at every moment; if the removal then fails the marker is harmless.
 * Returns true when a marker was written.
 */
export async function keepFolder(store: ObjectStore, prefix: string, dir: string, leaving: string): Promise<boolean> {
  if (dir === '/') return false;
  const marker = dirKey(prefix, dir);
  const page = await firstEntries(store, { prefix: marker, delimiter: '/' }, 2);
  const othersStay = page.objects.some((o) => o.key !== leaving) || page.prefixes.some((p) => p !== leaving);
  if (othersStay) return false;
  await putMarker(store, marker);
  return true;
}
