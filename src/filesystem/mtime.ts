// Modification times that clients set (MFMT, `MDTM time path`): object storage sets Last-Modified itself on every
// write, so a time a client sets is kept as user metadata, `x-cos-meta-mtime`, in seconds since the epoch with an
// optional fraction: the form rclone's S3 backend writes and reads, so both agree about a file's time. A HEAD
// carries it; a listing does not (see docs/mtime.md).
import type { ObjectInfo, ObjectMetadata, ObjectStore } from '../store/object-store';
import type { Entry } from './format';

/** HEADs in flight per listing page when listing_mtime is on. */
const HEAD_CONCURRENCY = 16;

/** The user-metadata name (without the store's `x-cos-meta-` prefix). */
export const MTIME_META = 'mtime';

/** The time a client set, else the store's Last-Modified; ms since the epoch. */
export function modifiedTime(info: ObjectInfo): number {
  const kept = info.metadata?.meta[MTIME_META];
  if (kept !== undefined && /^\d{1,12}(\.\d{1,9})?$/.test(kept)) return Math.round(Number(kept) * 1000);
  return info.mtime;
}

/** The metadata to write so that `modifiedTime` answers `ms`: everything else the object had is kept. */
export function withModifiedTime(metadata: ObjectMetadata | undefined, ms: number): ObjectMetadata {
  const seconds = ms % 1000 === 0 ? String(ms / 1000) : (ms / 1000).toFixed(3);
  return { meta: { ...metadata?.meta, [MTIME_META]: seconds }, headers: { ...metadata?.headers } };
}

/**
 * `YYYYMMDDHHMMSS[.sss]` (UTC, RFC 3659 time-val) -> ms since the epoch, or undefined when it is not a real time
 * (month 13, 30 February...) or lies before 1970.
 */
export function parseTimeVal(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,3})\d*)?$/.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const ms = Number((m[7] ?? '').padEnd(3, '0'));
  const t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const d = new Date(t);
  const exact =
    d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day && d.getUTCHours() === hour &&
    d.getUTCMinutes() === minute && d.getUTCSeconds() === second;
  return exact && t >= 0 ? t : undefined;
}

/**
 * listing_mtime: each file entry of a listing page (names relative to `dirPrefix`) gets its time from a HEAD, so a
 * time a client set shows in LIST/MLSD/STAT too; a listing alone carries only Last-Modified. One HEAD per file,
 * 16 at a time. A file deleted meanwhile keeps the listing's time.
 */
export async function withKeptTimes(store: ObjectStore, dirPrefix: string, entries: Entry[]): Promise<Entry[]> {
  const out = entries.slice();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < out.length) {
      const i = next++;
      const e = out[i];
      if (e.type !== 'file') continue;
      const info = await store.head(dirPrefix + e.name);
      if (info) out[i] = { ...e, mtime: modifiedTime(info) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(HEAD_CONCURRENCY, out.length) }, worker));
  return out;
}
