// Listing helpers every store shares: the key order stores list in, and paging through a listing.
import { type ListOptions, type ListPage, type ObjectStore, StoreError } from './object-store';

/** Byte order of UTF-8, the order COS and S3 list keys in. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** A key or prefix of a listing asked for with `encoding-type=url`; `+` is a space where the store says so (S3). */
export function decodeListed(text: string, plusIsSpace = false): string {
  try {
    return decodeURIComponent(plusIsSpace ? text.replace(/\+/g, ' ') : text);
  } catch {
    return text;
  }
}

/**
 * A page from a listing answer's decoded entries. When truncated, the next page starts at the store's NextMarker,
 * else after the last entry (S3 sends NextMarker only with a delimiter); a truncated page with no entry and no
 * NextMarker starts the next request where this one did.
 */
export function pageOf(
  objects: ListPage['objects'],
  prefixes: string[],
  truncated: boolean,
  nextMarker: string | undefined,
  marker: string | undefined,
): ListPage {
  if (!truncated) return { objects, prefixes, nextMarker: undefined };
  const last = [...objects.map((o) => o.key), ...prefixes].sort(compareUtf8).pop();
  return { objects, prefixes, nextMarker: nextMarker || (last ?? marker ?? '') };
}

/** The Range header of a GET from `start` to `end` (inclusive), or none for the whole object. */
export function rangeOf(start: number, end: number | undefined): string | undefined {
  return start > 0 || end !== undefined ? `bytes=${start}-${end ?? ''}` : undefined;
}

/** Empty pages in a row that do not move the marker before a listing is given up as stalled. */
export const MAX_STALLED_PAGES = 20;

/**
 * Pages from `opts.marker` to the end, one listPage request each, made only when the next page is asked for. COS
 * may answer a page with fewer entries than asked, even none, that still says it is truncated (doc 7734): paging
 * goes on; a listing whose empty pages stop advancing is a retryable failure, not an endless loop.
 */
export async function* listPages(store: Pick<ObjectStore, 'listPage'>, opts: ListOptions): AsyncGenerator<ListPage> {
  let marker = opts.marker;
  let stalled = 0;
  do {
    const page = await store.listPage({ ...opts, marker });
    yield page;
    const empty = page.objects.length === 0 && page.prefixes.length === 0;
    stalled = empty && page.nextMarker === marker ? stalled + 1 : 0;
    if (stalled >= MAX_STALLED_PAGES) {
      throw new StoreError('retryable', 'GetBucket', `the listing of ${opts.prefix} stopped advancing`, 'ListingStalled');
    }
    marker = page.nextMarker;
  } while (marker !== undefined);
}

/**
 * Up to `n` entries (keys and common prefixes) from the start of a listing: usually one request; more only when
 * the store answers short pages.
 */
export async function firstEntries(store: Pick<ObjectStore, 'listPage'>, opts: ListOptions, n: number): Promise<ListPage> {
  const found: ListPage = { objects: [], prefixes: [], nextMarker: undefined };
  for await (const page of listPages(store, { ...opts, maxKeys: n })) {
    found.objects.push(...page.objects);
    found.prefixes.push(...page.prefixes);
    found.nextMarker = page.nextMarker;
    if (found.objects.length + found.prefixes.length >= n) break;
  }
  return found;
}
