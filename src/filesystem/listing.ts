// A directory listing: GetBucket with delimiter `/`, page after page, handed on page by page (memory stays
// bounded by one page), capped at max_list_file entries. No HEAD per entry: the page carries size and time.
import { MAX_BATCH, type ObjectStore } from '../store/object-store';
import { compareUtf8 } from '../store/listing';
import type { Entry } from './format';
import type { NameMatcher } from './paths';

export interface ListingSummary {
  /** False when nothing at all lies under the prefix (no marker, no key): the directory does not exist. */
  found: boolean;
  /** Entries handed on. */
  count: number;
  /** True when max_list_file stopped the listing before its end. */
  capped: boolean;
  /** Names left out because they cannot be shown on one line (CR, LF, NUL inside). */
  skipped: number;
  /** GetBucket requests made. */
  requests: number;
}

const UNSHOWABLE = /[\0\r\n]/;

/** Only names that start with `literal` and match `match` (a wildcard listing; see globOf in paths.ts). */
export interface NameFilter {
  literal: string;
  match: NameMatcher;
}

/**
 * Lists the directory whose key prefix is `dirPrefix` (`''` for the bucket root), calling `onPage` with each page's
 * entries in COS order (a file `a` and a directory `a/` both appear). Stops after `cap` entries.
 */
export async function listDirectory(
  store: ObjectStore,
  dirPrefix: string,
  cap: number,
  onPage: (entries: Entry[]) => Promise<void>,
  filter?: NameFilter,
): Promise<ListingSummary> {
  const summary: ListingSummary = { found: false, count: 0, capped: false, skipped: 0, requests: 0 };
  const prefix = dirPrefix + (filter?.literal ?? '');
  for await (const page of store.list({ prefix, delimiter: '/', maxKeys: MAX_BATCH })) {
    summary.requests++;
    if (!filter && (page.objects.length || page.prefixes.length)) summary.found = true;
    const entries: Entry[] = [];
    for (const p of page.prefixes) {
      const name = p.slice(dirPrefix.length, -1);
      if (name === '') continue; // `dir//x`: an empty segment, not a name anyone can use
      entries.push({ name, type: 'dir', size: 0 });
    }
    for (const o of page.objects) {
      if (o.key === dirPrefix) continue; // the directory's own marker
      entries.push({ name: o.key.slice(dirPrefix.length), type: 'file', size: o.size, mtime: o.mtime });
    }
    entries.sort((a, b) => compareUtf8(a.name, b.name));
    const matching = filter ? entries.filter((e) => filter.match.test(e.name)) : entries;
    if (matching.length) summary.found = true;
    const showable = matching.filter((e) => !UNSHOWABLE.test(e.name));
    summary.skipped += matching.length - showable.length;
    const room = cap - summary.count;
    const taken = showable.length > room ? showable.slice(0, room) : showable;
    if (taken.length < showable.length) summary.capped = true;
    summary.count += taken.length;
    if (taken.length) await onPage(taken);
    if (page.nextMarker === undefined || summary.capped) break;
    if (summary.count >= cap) {
      summary.capped = true;
      break;
    }
  }
  return summary;
}
